//! Plain JS objects describing outcomes, built here so both adapters return the very
//! same shapes: the error info the JS layer turns into a `LuaError`, and `run()` results.

use crate::engine::{Engine, MemoryStats, Outcome, Stats};
use crate::error::LuaError;
use crate::host::{Host, HostResult};

fn set_str<H: Host>(h: &mut H, o: &H::Value, k: &str, v: Option<&str>) -> HostResult<()> {
    let jv = match v {
        Some(s) => h.string(s)?,
        None => h.undefined()?,
    };
    h.object_set(o, k, &jv)
}

fn set_num<H: Host>(h: &mut H, o: &H::Value, k: &str, v: f64) -> HostResult<()> {
    let jv = h.number(v)?;
    h.object_set(o, k, &jv)
}

/// Bytes of an error's message (and of its traceback) given to JS: a script can raise a
/// string as big as its heap, and error messages are for people.
pub const MESSAGE_LIMIT: usize = 64 * 1024;

/// `text` cut to [`MESSAGE_LIMIT`] bytes (on a character boundary), saying how much was left out.
fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MESSAGE_LIMIT {
        return text.into();
    }
    let mut end = MESSAGE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... [{} more bytes]", &text[..end], text.len() - end).into()
}

/// `{ kind, message, chunkName, line, traceback, exitCode?, code?, cause? }`.
pub fn error_info<H: Host + 'static>(h: &mut H, engine: &Engine<H>, e: &LuaError) -> HostResult<H::Value> {
    let o = h.new_object()?;
    set_str(h, &o, "kind", Some(e.kind.as_str()))?;
    set_str(h, &o, "message", Some(&bounded(&e.message)))?;
    set_str(h, &o, "chunkName", e.chunk_name.as_deref())?;
    match e.line {
        Some(l) => set_num(h, &o, "line", l as f64)?,
        None => set_str(h, &o, "line", None)?,
    }
    set_str(h, &o, "traceback", e.traceback.as_deref().map(bounded).as_deref())?;
    if let Some(code) = e.exit_code {
        set_num(h, &o, "exitCode", code as f64)?;
    }
    if let Some(code) = e.code {
        set_str(h, &o, "code", Some(code.as_str()))?;
    }
    if let Some(v) = e.cause_slot.and_then(|s| engine.slot_value(h, s)) {
        h.object_set(&o, "cause", &v)?;
    }
    Ok(o)
}

pub fn stats<H: Host>(h: &mut H, s: &Stats) -> HostResult<H::Value> {
    let o = h.new_object()?;
    let duration = match s.started_ms {
        Some(start) => H::now_ms() - start,
        None => 0.0,
    };
    set_num(h, &o, "durationMs", duration)?;
    match s.instructions {
        Some(n) => set_num(h, &o, "instructions", n as f64)?,
        None => set_str(h, &o, "instructions", None)?,
    }
    set_num(h, &o, "memoryUsed", s.memory_used as f64)?;
    set_num(h, &o, "memoryPeak", s.memory_peak as f64)?;
    Ok(o)
}

/// `{ ok, values, output, error?, stats }` for `lua.run`.
pub fn run_result<H: Host + 'static>(h: &mut H, engine: &Engine<H>, out: Outcome<H::Value>) -> HostResult<H::Value> {
    let o = h.new_object()?;
    let ok = h.boolean(out.result.is_ok())?;
    h.object_set(&o, "ok", &ok)?;
    let values = match &out.result {
        Ok(vs) => array(h, vs)?,
        Err(_) => h.new_array(0)?,
    };
    h.object_set(&o, "values", &values)?;
    set_str(h, &o, "output", Some(&out.output))?;
    if let Err(e) = &out.result {
        let info = error_info(h, engine, e)?;
        h.object_set(&o, "error", &info)?;
    }
    let st = stats(h, &out.stats)?;
    h.object_set(&o, "stats", &st)?;
    Ok(o)
}

pub fn memory<H: Host>(h: &mut H, m: &MemoryStats) -> HostResult<H::Value> {
    let o = h.new_object()?;
    set_num(h, &o, "used", m.used as f64)?;
    set_num(h, &o, "peak", m.peak as f64)?;
    set_num(h, &o, "limit", m.limit as f64)?;
    Ok(o)
}

/// An array of values (evalAll, callAll).
pub fn array<H: Host>(h: &mut H, vs: &[H::Value]) -> HostResult<H::Value> {
    let arr = h.new_array(vs.len() as u32)?;
    for (i, v) in vs.iter().enumerate() {
        h.array_set(&arr, i as u32, v)?;
    }
    Ok(arr)
}

/// What a call returns to JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The first result (eval, call).
    First,
    /// All results as an array (evalAll).
    All,
    /// A `run()` report; never an error.
    Run,
}

impl Mode {
    pub fn from_u32(n: u32) -> Mode {
        match n {
            1 => Mode::All,
            2 => Mode::Run,
            _ => Mode::First,
        }
    }

    pub fn want(self) -> crate::engine::Want {
        match self {
            Mode::First => crate::engine::Want::First,
            _ => crate::engine::Want::All,
        }
    }
}

/// Shapes an outcome for JS: `Ok(value)` to return, `Err(info)` for the adapter to throw
/// (the JS layer turns the info object into a `LuaError`).
pub fn finish<H: Host + 'static>(h: &mut H, engine: &Engine<H>, out: Outcome<H::Value>, mode: Mode) -> Result<H::Value, H::Value> {
    let shaped = match (mode, &out.result) {
        (Mode::Run, _) => run_result(h, engine, out),
        (_, Err(e)) => return Err(fail(h, engine, e)),
        (Mode::First, Ok(vs)) => match vs.first() {
            Some(v) => Ok(v.clone()),
            None => h.undefined(),
        },
        (Mode::All, Ok(vs)) => array(h, vs),
    };
    shaped.map_err(|he| message_value(h, &he.message))
}

/// An async call's step for JS: `{ pending: promise }` while it waits, else
/// `{ done: result }` shaped as [`finish`] shapes it (an error is thrown as there).
pub fn finish_step<H: Host + 'static>(h: &mut H, engine: &Engine<H>, step: crate::Step<H::Value>, mode: Mode) -> Result<H::Value, H::Value> {
    let (key, value) = match step {
        crate::Step::Pending(p) => ("pending", p),
        crate::Step::Done(out) => ("done", finish(h, engine, out, mode)?),
    };
    let wrapped = h.new_object().and_then(|o| h.object_set(&o, key, &value).map(|_| o));
    wrapped.map_err(|he| message_value(h, &he.message))
}

/// Error info for a failure outside a call (set/getGlobal, snapshot, restore).
pub fn fail<H: Host + 'static>(h: &mut H, engine: &Engine<H>, e: &LuaError) -> H::Value {
    match error_info(h, engine, e) {
        Ok(v) => v,
        Err(he) => message_value(h, &he.message),
    }
}

/// When even building the error object failed: the message as a bare string to throw.
fn message_value<H: Host>(h: &mut H, message: &str) -> H::Value {
    match h.string(message) {
        Ok(v) => v,
        Err(_) => h.undefined().unwrap_or_else(|_| unreachable!("hosts always have undefined")),
    }
}
