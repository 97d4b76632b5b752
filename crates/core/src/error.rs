//! Typed errors: what kind of failure ended a call, and where in the user's code.

use std::fmt;

/// The `kind` of a `LuaError` as JS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Syntax,
    Runtime,
    Memory,
    Timeout,
    Instructions,
    Ext,
    Closed,
    /// Another thread raised the VM's interrupt flag (the `interruptBuffer` option).
    Interrupted,
    /// A bug stopped the VM in the middle of an operation: natively a Rust panic, which
    /// the engine catches (see `Engine::entry`); on wasm a trap, which no code of the
    /// module survives, so the JS layer reports it. Its state can no longer be trusted:
    /// this and every later call fail. Listed here either way so that this enum stays the
    /// one list of kinds (lib/errors.js and index.d.ts are checked against [`ErrorKind::ALL`]
    /// by a core test).
    Crashed,
    /// A shared store (Redis) could not serve the call: unreachable, a conflict that
    /// outlasted the retries, data it cannot read, or ext access outside an async call
    /// (sharing.rs).
    Storage,
}

impl ErrorKind {
    /// Every kind, in the order lib/errors.js `KINDS` and index.d.ts `LuaErrorKind` list them.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Syntax,
        ErrorKind::Runtime,
        ErrorKind::Memory,
        ErrorKind::Timeout,
        ErrorKind::Instructions,
        ErrorKind::Ext,
        ErrorKind::Closed,
        ErrorKind::Interrupted,
        ErrorKind::Crashed,
        ErrorKind::Storage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Memory => "memory",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Instructions => "instructions",
            ErrorKind::Ext => "ext",
            ErrorKind::Closed => "closed",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Crashed => "crashed",
            ErrorKind::Storage => "storage",
        }
    }
}

/// A failure JS code must tell apart from others of its kind without reading the
/// message (which is for people and may be reworded): reported as the error info's
/// `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A snapshot written by a newer lua-persistent (`SnapshotError::NewerVersion`):
    /// stores refuse to open rather than set the data aside as unreadable.
    NewerFormat,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NewerFormat => "newer-format",
        }
    }
}

/// A failed call, fully described for the JS `LuaError`.
#[derive(Debug, Clone, PartialEq)]
pub struct LuaError {
    pub kind: ErrorKind,
    /// The error as Lua reports it, position included ("main.lua:3: boom").
    pub message: String,
    /// The chunk the position refers to, when the message carries one.
    pub chunk_name: Option<String>,
    pub line: Option<u32>,
    pub traceback: Option<String>,
    /// Slot of the JS exception that caused this error (a throwing JS function).
    pub cause_slot: Option<u32>,
    /// Which JS exception caused it (matched against the last one kept by the engine).
    pub(crate) exception_id: Option<u64>,
    /// Set when the script called `os.exit` (stdlib 'all'): the status it asked for.
    pub exit_code: Option<i32>,
    /// Set for the failures JS reacts to by type (see [`ErrorCode`]).
    pub code: Option<ErrorCode>,
}

impl LuaError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        let (chunk_name, line) = parse_position(&message);
        LuaError { kind, message, chunk_name, line, traceback: None, cause_slot: None, exception_id: None, exit_code: None, code: None }
    }

    pub fn closed() -> Self {
        LuaError::new(ErrorKind::Closed, "the Lua VM is closed")
    }

    /// A snapshot `restore` refused: kind 'ext', with the code of a newer format.
    pub fn restore(e: &crate::snapshot::SnapshotError) -> Self {
        let mut err = LuaError::new(ErrorKind::Ext, format!("restore: {e}"));
        if matches!(e, crate::snapshot::SnapshotError::NewerVersion(_)) {
            err.code = Some(ErrorCode::NewerFormat);
        }
        err
    }

    /// The error of every call to a VM that crashed (see `ErrorKind::Crashed`).
    pub fn crashed() -> Self {
        LuaError::new(ErrorKind::Crashed, "the Lua VM crashed (an internal error) and cannot be used any more: create a new one")
    }
}

impl fmt::Display for LuaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LuaError {}

/// Errors the core raises inside Lua (from callbacks and hooks). They travel through
/// Lua as mlua external errors, so `pcall` can catch them, and are recognised by type
/// when they reach the top.
#[derive(Debug, Clone)]
pub enum Raised {
    /// An ext-table rule was broken; the message already names the key and position.
    Ext(String),
    /// A runtime error of the core's own Lua functions (a bad argument, a JS result Lua
    /// cannot hold), worded as Lua's own.
    Runtime(String),
    /// A write would take the ext tables past `storageLimit` (kind 'memory', catchable
    /// like Lua's own memory errors; see quota.rs).
    Quota(String),
    Timeout(String),
    Instructions(String),
    Interrupted(String),
    /// The script called `os.exit(code)`: the call ends (as soon as it can, whatever
    /// `pcall` catches), and the host decides whether to exit.
    Exit(i32),
    /// A JS function threw.
    Host { message: String, exception_id: Option<u64> },
    /// Ext access the shared store cannot serve now (sharing.rs `gate`).
    Storage(String),
}

impl Raised {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Raised::Ext(_) => ErrorKind::Ext,
            Raised::Runtime(_) => ErrorKind::Runtime,
            Raised::Quota(_) => ErrorKind::Memory,
            Raised::Timeout(_) => ErrorKind::Timeout,
            Raised::Instructions(_) => ErrorKind::Instructions,
            Raised::Interrupted(_) => ErrorKind::Interrupted,
            Raised::Exit(_) | Raised::Host { .. } => ErrorKind::Runtime,
            Raised::Storage(_) => ErrorKind::Storage,
        }
    }

    fn message(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Raised::Ext(m) | Raised::Runtime(m) | Raised::Quota(m) | Raised::Timeout(m) | Raised::Instructions(m) | Raised::Interrupted(m) | Raised::Storage(m) => m.into(),
            Raised::Exit(code) => format!("os.exit({code}): the script asked the host to exit").into(),
            Raised::Host { message, .. } => message.into(),
        }
    }

    pub fn into_lua(self) -> mlua::Error {
        mlua::Error::external(self)
    }
}

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Raised {}

/// Splits "chunk:LINE: text" into its chunk name and line.
pub fn parse_position(message: &str) -> (Option<String>, Option<u32>) {
    let first = message.lines().next().unwrap_or("");
    // Lua writes `[string "..."]:3:` for unnamed text chunks and `name:3:` otherwise.
    let mut search = 0;
    while let Some(rel) = first[search..].find(':') {
        let colon = search + rel;
        let rest = &first[colon + 1..];
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && rest[digits..].starts_with(':') && colon > 0 {
            let line = rest[..digits].parse().ok();
            return (Some(first[..colon].to_string()), line);
        }
        search = colon + 1;
    }
    (None, None)
}

/// Turns any mlua error that reached the top of a call into a `LuaError`.
pub fn from_mlua(err: &mlua::Error) -> LuaError {
    use mlua::Error as E;
    match err {
        E::SyntaxError { message, .. } => LuaError::new(ErrorKind::Syntax, message.clone()),
        E::MemoryError(m) => LuaError::new(ErrorKind::Memory, m.clone()),
        E::RuntimeError(m) => split_traceback(ErrorKind::Runtime, m),
        E::CallbackError { traceback, cause } => {
            let mut e = from_mlua(cause);
            if e.traceback.is_none() {
                e.traceback = Some(clean_traceback(traceback, false));
            }
            e
        }
        E::ExternalError(inner) => match inner.downcast_ref::<Raised>() {
            Some(r) => {
                let mut e = LuaError::new(r.kind(), r.message().into_owned());
                match r {
                    Raised::Host { exception_id, .. } => e.exception_id = *exception_id,
                    Raised::Exit(code) => e.exit_code = Some(*code),
                    _ => {}
                }
                e
            }
            None => match inner.downcast_ref::<LuaError>() {
                Some(e) => e.clone(),
                None => LuaError::new(ErrorKind::Runtime, inner.to_string()),
            },
        },
        E::WithContext { cause, .. } => from_mlua(cause),
        E::CallbackDestructed => LuaError::closed(),
        other => LuaError::new(ErrorKind::Runtime, other.to_string()),
    }
}

/// mlua appends "stack traceback:" to runtime error strings; keep the two apart.
fn split_traceback(kind: ErrorKind, text: &str) -> LuaError {
    match text.find("\nstack traceback:\n") {
        Some(at) => {
            let mut e = LuaError::new(kind, &text[..at]);
            e.traceback = Some(clean_traceback(&text[at + 1..], true));
            e
        }
        None => LuaError::new(kind, text),
    }
}

/// Gives a traceback the shape of the reference interpreter's (`lua5.4 script.lua`):
/// - `from_handler`: it was taken by mlua's message handler, which starts at its own
///   frame (level 0, a stray "[C]: in ?" first line) where lua.c's starts at level 1;
/// - the frames of the engine's error wrappers (chunk "plain"), which raise a core
///   function's failure as a plain string, go, with the `error` call above them and
///   the tail-call mark below them, so that the user's code and real library functions
///   remain;
/// - the runner's frame (chunk "plain" too, see `plain::call`) goes, and the host's
///   frame, with which lua.c's tracebacks end ("[C]: in ?", the C function that called
///   the chunk), takes its place.
pub(crate) fn clean_traceback(tb: &str, from_handler: bool) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut lines = tb.lines().peekable();
    let mut first_frame = true;
    while let Some(line) = lines.next() {
        let frame = line.trim_start();
        if !line.starts_with('\t') {
            kept.push(line);
            continue;
        }
        if std::mem::take(&mut first_frame) && from_handler && frame.starts_with("[C]:") {
            continue;
        }
        if frame.starts_with("plain:") {
            if kept.last().is_some_and(|l| l.trim_start() == "[C]: in function 'error'") {
                kept.pop();
            }
            if lines.peek().is_some_and(|l| l.trim_start() == "(...tail calls...)") {
                lines.next();
            }
            continue;
        }
        kept.push(line);
    }
    const HOST_FRAME: &str = "\t[C]: in ?";
    if !first_frame {
        kept.push(HOST_FRAME);
    }
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_parsed() {
        assert_eq!(parse_position("main.lua:12: boom"), (Some("main.lua".into()), Some(12)));
        assert_eq!(
            parse_position("[string \"x:1\"]:3: oops"),
            (Some("[string \"x:1\"]".into()), Some(3))
        );
        assert_eq!(parse_position("no position here"), (None, None));
        assert_eq!(parse_position("C:\\a:5: win"), (Some("C:\\a".into()), Some(5)));
    }

    #[test]
    fn tracebacks_take_lua_c_shape() {
        // As mlua's handler takes it for a JS function that threw, called from `f`.
        let raw = "stack traceback:\n\t[C]: in ?\n\t[C]: in function 'error'\n\tplain:4: in function <plain:3>\n\t(...tail calls...)\n\tj.lua:1: in local 'f'\n\tj.lua:2: in main chunk\n\tplain:10: in function <plain:10>";
        assert_eq!(clean_traceback(raw, true), "stack traceback:\n\tj.lua:1: in local 'f'\n\tj.lua:2: in main chunk\n\t[C]: in ?");
        // A library function's own error keeps its frame.
        let raw = "stack traceback:\n\t[C]: in ?\n\t[C]: in function 'error'\n\teval:1: in main chunk\n\tplain:10: in function <plain:10>";
        assert_eq!(clean_traceback(raw, true), "stack traceback:\n\t[C]: in function 'error'\n\teval:1: in main chunk\n\t[C]: in ?");
        // Taken inside a callback (a hook): its first frame is a real one.
        let raw = "stack traceback:\n\t[C]: in hook '?'\n\teval:2: in main chunk\n\tplain:10: in function <plain:10>";
        assert_eq!(clean_traceback(raw, false), "stack traceback:\n\t[C]: in hook '?'\n\teval:2: in main chunk\n\t[C]: in ?");
    }
}
