//! Ext tables on a store many VMs share (Redis): what a call read, the gate that keeps
//! ext access inside calls that can commit, the commit set handed to the store, and
//! other VMs' commits applied here (docs/design.md "Shared stores", docs/redis.md).
//!
//! A shared store commits a call atomically when it returns, and only if nothing the
//! call read was committed by another VM since the call's view was read (optimistic
//! concurrency, as FoundationDB or a SQL database's serializable isolation do). So the
//! core notes each read of a call, at the granularity the store versions: one top-level
//! entry (`t.n`, or `t.user` for any read inside `t.user`), a whole table (`pairs`,
//! `#`, `next`), a table's existence (`ext.table`, `ext.drop`) and the list of tables
//! (`ext.tables`). The writes come from the change notes (changes.rs), as records do.
//!
//! The JS layer (lib/shared-store.js) drives a call: `Open` before it (after applying
//! what others committed), `Close` after it, then `TakeCommit`, and `Abort` for a call
//! that failed. Between calls the gate is closed: ext access then fails with kind
//! 'storage', since a synchronous call could neither read fresh data nor commit.
//!
//! Keys travel as text fields (see [`field`]) and values as postcard bytes of
//! [`Stored`], so the store can version and keep each entry on its own.

use std::collections::HashSet;
use std::rc::Rc;

use crate::changes::{self, Taken};
use crate::error::{ErrorKind, LuaError, Raised};
use crate::host::Host;
use crate::record::{self, Op};
use crate::shared::Shared;
use crate::snapshot::check_entries;
use crate::stored::{with_depth_limit, Key, Stored};

/// Whether ext access is shared, and if so whether a call may use it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// A store of this VM's own (or none): no gate, nothing noted.
    #[default]
    Local,
    /// Shared, between calls: ext access fails.
    Closed,
    /// Shared, inside a call: reads are noted.
    Open,
}

/// What a call read, at the store's granularity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Read {
    Entry(Rc<str>, Key),
    Table(Rc<str>),
    Exists(Rc<str>),
    List,
}

#[derive(Default)]
pub(crate) struct Reads {
    list: Vec<Read>,
    seen: HashSet<Read>,
}

impl Reads {
    fn note(&mut self, read: Read) {
        if self.seen.insert(read.clone()) {
            self.list.push(read);
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.seen.clear();
    }
}

/// The gate in front of every ext access of a shared VM: nothing for a local store; an
/// error between calls; inside a call the read is noted (`read` builds it, called only
/// then; `None` for an access that reads nothing, a blind write).
pub(crate) fn gate<H: Host>(lua: &mlua::Lua, shared: &Shared<H>, read: impl FnOnce() -> Option<Read>) -> mlua::Result<()> {
    match shared.sharing.get() {
        Mode::Local => Ok(()),
        Mode::Closed => Err(Raised::Storage(format!(
            "{}ext: this VM's ext tables are on a shared store: use them in evalAsync, runAsync or callAsync (which read what other processes committed first, and commit when the call returns)",
            crate::shared::lua_position(lua)
        ))
        .into_lua()),
        Mode::Open => {
            if let Some(read) = read() {
                shared.reads.borrow_mut().note(read);
            }
            Ok(())
        }
    }
}

/// The operations of [`crate::Engine::shared_op`], by number (the adapters pass a u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedOp {
    /// The VM's tables are on a shared store: close the gate, note changes.
    Share,
    Open,
    Close,
    /// Close, and forget what a failed call noted.
    Abort,
    /// The commit set of the call that ended (`undefined` when it changed nothing).
    TakeCommit,
    /// Replace every table with the entries given (a whole load).
    Load,
    /// Apply change records other VMs committed.
    Apply,
}

impl SharedOp {
    pub fn from_u32(n: u32) -> Option<SharedOp> {
        use SharedOp::*;
        [Share, Open, Close, Abort, TakeCommit, Load, Apply].get(n as usize).copied()
    }
}

fn storage_error(message: String) -> LuaError {
    LuaError::new(ErrorKind::Storage, format!("shared store: {message}"))
}

/// A key as a text field: `s:` + the string, `i:` + the integer, `f:` + the float
/// (its shortest exact `%g` form, `lua_persistent_sys::float_text`), `b:true` / `b:false`.
pub fn field(key: &Key) -> String {
    match key {
        Key::Str(s) => format!("s:{s}"),
        Key::Int(i) => format!("i:{i}"),
        Key::Float(f) => format!("f:{}", lua_persistent_sys::float_text(*f, &mut [0; lua_persistent_sys::FLOAT_TEXT])),
        Key::Bool(b) => format!("b:{b}"),
    }
}

/// The key of a text field ([`field`]'s inverse); `None` for anything else.
pub fn key_of(field: &[u8]) -> Option<Key> {
    let text = std::str::from_utf8(field).ok()?;
    let (tag, rest) = text.split_at_checked(2)?;
    match tag {
        "s:" => Some(Key::Str(rest.to_string())),
        "i:" => rest.parse().ok().map(Key::Int),
        "f:" => lua_persistent_sys::text_float(rest).and_then(Key::from_float).filter(|k| matches!(k, Key::Float(_))),
        "b:" => match rest {
            "true" => Some(Key::Bool(true)),
            "false" => Some(Key::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

/// An entry's value as the store keeps it.
pub fn value_bytes(value: &Stored) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard encoding of owned data")
}

/// An entry's value from the store's bytes, checked as snapshot entries are.
pub fn value_of(table: &str, key: &Key, bytes: &[u8]) -> Result<Stored, String> {
    let (decoded, too_deep) = with_depth_limit(|| postcard::from_bytes::<Stored>(bytes));
    if too_deep {
        return Err(format!("the value of {} in table '{table}' is nested too deeply", field(key)));
    }
    let value = decoded.map_err(|e| format!("the value of {} in table '{table}' is not a lua-persistent value ({e})", field(key)))?;
    check_entries(table, std::slice::from_ref(&(key.clone(), value.clone()))).map_err(|e| e.to_string())?;
    Ok(value)
}

/// A list of byte strings, as one buffer: a u32 LE count, then each as a u32 LE length
/// and its bytes. The commit set and whole loads cross the adapters this way (one
/// `Uint8Array` each way, nothing adapter-specific).
pub fn frame_list(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + items.iter().map(|i| 4 + i.len()).sum::<usize>());
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for item in items {
        out.extend_from_slice(&(item.len() as u32).to_le_bytes());
        out.extend_from_slice(item);
    }
    out
}

/// [`frame_list`]'s inverse; `None` when the buffer is not one.
pub fn unframe_list(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let u32_at = |at: usize| -> Option<usize> { Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize) };
    let count = u32_at(0)?;
    let mut items = Vec::with_capacity(count.min(bytes.len() / 4));
    let mut at = 4;
    for _ in 0..count {
        let len = u32_at(at)?;
        items.push(bytes.get(at + 4..(at + 4).checked_add(len)?)?);
        at += 4 + len;
    }
    (at == bytes.len()).then_some(items)
}

/// The commit set of what the call that ended changed, or `None` when it changed
/// nothing (a read-only call commits nothing: it saw one consistent state). Items: the
/// change record (for the store's log), the number of reads, each read as
/// (kind, table, field), then each write as (kind, table, field, value); kinds are
/// `entry|table|exists|list` and `set|del|create|drop`, unused parts empty.
pub(crate) fn take_commit<H: Host + 'static>(shared: &Shared<H>, h: &mut H) -> Result<Option<Vec<u8>>, LuaError> {
    let ops = match changes::take_ops(shared, h).map_err(|m| LuaError::new(ErrorKind::Ext, format!("commit: {m}")))? {
        Taken::Nothing => return Ok(None),
        Taken::Everything => {
            return Err(storage_error(format!(
                "the call changed more than {} ext entries (or the tables were restored): too many for one commit",
                changes::MAX_NOTED
            )))
        }
        Taken::Record(ops) => ops,
    };
    let reads = std::mem::take(&mut *shared.reads.borrow_mut());
    let mut items = vec![record::encode(&ops), reads.list.len().to_string().into_bytes()];
    let text = |s: &str| s.as_bytes().to_vec();
    for read in &reads.list {
        let (kind, table, key) = match read {
            Read::Entry(t, k) => ("entry", &**t, field(k)),
            Read::Table(t) => ("table", &**t, String::new()),
            Read::Exists(t) => ("exists", &**t, String::new()),
            Read::List => ("list", "", String::new()),
        };
        items.extend([text(kind), text(table), key.into_bytes()]);
    }
    for op in &ops {
        let (kind, table, key, value) = match op {
            Op::Set(t, k, v) => ("set", t, field(k), value_bytes(v)),
            Op::Delete(t, k) => ("del", t, field(k), Vec::new()),
            Op::Create(t) => ("create", t, String::new(), Vec::new()),
            Op::Drop(t) => ("drop", t, String::new(), Vec::new()),
        };
        items.extend([text(kind), text(table), key.into_bytes(), value]);
    }
    Ok(Some(frame_list(&items)))
}

/// The tables of a whole load: (table, field, value) triples, an empty field meaning
/// "the table exists". Checked whole before anything changes.
pub(crate) fn load_tables(bytes: &[u8]) -> Result<crate::snapshot::Tables, LuaError> {
    let items = unframe_list(bytes).filter(|i| i.len() % 3 == 0).ok_or_else(|| storage_error("a whole load that is not (table, field, value) triples".into()))?;
    let mut tables: crate::snapshot::Tables = Vec::new();
    for triple in items.chunks(3) {
        let name = std::str::from_utf8(triple[0]).map_err(|_| storage_error("a table name that is not UTF-8".into()))?;
        if tables.last().is_none_or(|(n, _)| n != name) {
            tables.push((name.to_string(), Vec::new()));
        }
        if triple[1].is_empty() {
            continue;
        }
        let key = key_of(triple[1]).ok_or_else(|| storage_error(format!("table '{name}' has a field that is not a lua-persistent key: {:?}", String::from_utf8_lossy(triple[1]))))?;
        let value = value_of(name, &key, triple[2]).map_err(storage_error)?;
        tables.last_mut().expect("pushed above").1.push((key, value));
    }
    Ok(tables)
}

/// Change records other VMs committed (concatenated frames), every one whole.
pub(crate) fn records(bytes: &[u8]) -> Result<Vec<Vec<Op>>, LuaError> {
    let log = record::decode_log(bytes).map_err(|e| storage_error(format!("a committed change record cannot be read: {e}")))?;
    match log.end {
        record::LogEnd::Clean => Ok(log.records),
        record::LogEnd::Torn { at } | record::LogEnd::Damaged { at, .. } => Err(storage_error(format!("a committed change record is damaged (at byte {at})"))),
    }
}

/// Forgets what the call noted (a failed call, or a commit set that was taken).
pub(crate) fn forget<H: Host>(shared: &Shared<H>) {
    shared.reads.borrow_mut().clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        for key in [Key::Str("".into()), Key::Str("a:b é".into()), Key::Int(-7), Key::Int(i64::MAX), Key::Float(0.1), Key::Float(-1e300), Key::Float(f64::INFINITY), Key::Bool(true), Key::Bool(false)] {
            assert_eq!(key_of(field(&key).as_bytes()), Some(key.clone()), "{key:?}");
        }
    }

    #[test]
    fn float_fields_are_exact_and_short() {
        for (x, text) in [(2.5, "f:2.5"), (0.1, "f:0.1"), (-1e300, "f:-1e+300"), (f64::INFINITY, "f:inf"), (f64::NEG_INFINITY, "f:-inf"), (1.0 / 3.0, "f:0.3333333333333333"), (0.1 + 0.2, "f:0.30000000000000004")] {
            assert_eq!(field(&Key::Float(x)), text);
        }
        for x in [5e-324, f64::MAX, -f64::MIN_POSITIVE, 1e-7, 123456.789, 1.5e20, std::f64::consts::PI] {
            assert_eq!(key_of(field(&Key::Float(x)).as_bytes()), Key::from_float(x), "{x}");
        }
    }

    #[test]
    fn bad_fields_are_refused() {
        for bad in ["", "s", "x:1", "i:1.5", "i:", "f:2", "f:NaN", "f:nan", "f: 2.5", "f:2.50", "f:0x1p-1", "f:1e300", "b:yes", "i:99999999999999999999"] {
            assert_eq!(key_of(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn lists_round_trip_and_refuse_garbage() {
        let items = vec![b"ab".to_vec(), Vec::new(), vec![0; 300]];
        let framed = frame_list(&items);
        assert_eq!(unframe_list(&framed).unwrap(), items.iter().map(|i| &i[..]).collect::<Vec<_>>());
        assert!(unframe_list(&framed[..framed.len() - 1]).is_none());
        assert!(unframe_list(&[255, 255, 255, 255]).is_none());
        let mut longer = framed.clone();
        longer.push(0);
        assert!(unframe_list(&longer).is_none());
    }

    #[test]
    fn values_are_checked() {
        let key = Key::Str("k".into());
        let v = Stored::Table(vec![(Key::Int(1), Stored::Str("x".into()))]);
        assert_eq!(value_of("t", &key, &value_bytes(&v)), Ok(v));
        assert!(value_of("t", &key, &[200, 1, 2]).is_err());
        let bad_key = Stored::Table(vec![(Key::Float(2.0), Stored::Int(1))]);
        assert!(value_of("t", &key, &value_bytes(&bad_key)).is_err());
    }
}
