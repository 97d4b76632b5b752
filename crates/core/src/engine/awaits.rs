//! Async calls (`evalAsync`, `runAsync`, `callAsync`; docs/design.md "Async calls").
//!
//! The called function runs in a coroutine of its own, the *driver*. When a JS function
//! called from Lua returns a Promise (a thenable), its wrapper (plain.rs `wrap_await`)
//! yields the driver with the Promise's slot; the call then returns [`Step::Pending`]
//! with the Promise, JS awaits it and resumes the call with its value or its rejection
//! ([`Engine::resume_async`]), which the wrapper returns or raises at the line of the JS
//! call. Each run between two awaits is a *segment*, armed with what is left of the
//! call's timeout and instruction budget: time spent waiting is not Lua's, so it does
//! not count (the Promise bounds it). The call is one transaction over ext data
//! (journal.rs), from its start to its end; while it waits, other calls into the VM
//! fail (`busy`), and closing or resetting the VM cancels it (undone).

use mlua::{MultiValue, Thread, ThreadStatus, Value};

use super::{convert_results, js_args, Engine, Nested, Outcome, Stats, Want};
use crate::error::{from_mlua, ErrorKind, LuaError, Raised};
use crate::host::{Host, HostError};
use crate::limits;
use crate::options::{CallOptions, DEFAULT_CHUNK_NAME};
use crate::shared::{lua_position, Output, Scope, Shared};

/// What an async call runs.
pub enum AsyncTarget<'a> {
    Chunk(&'a [u8]),
    Global(&'a str),
    Ref(u32),
}

/// An async call's progress: waiting for a Promise (given back to JS), or finished.
pub enum Step<V> {
    Pending(V),
    Done(Outcome<V>),
}

/// The async call in progress (one per VM).
pub(crate) struct AsyncCall {
    thread: Thread,
    want: Want,
    /// What is left of the timeout (ms) and of the instruction budget; 0: none.
    timeout_ms: f64,
    instructions: u64,
    instructions_used: u64,
    output: Output,
    started: f64,
    peak: usize,
    /// The position of the JS call whose Promise the call waits for.
    waiting_at: Option<String>,
}

/// A call that ended before running: its error, no output.
fn failure<V>(e: LuaError) -> Step<V> {
    Step::Done(Outcome { result: Err(e), output: String::new(), stats: Stats::default() })
}

/// The error of a call made while an async call waits.
pub(crate) fn busy() -> LuaError {
    LuaError::new(ErrorKind::Runtime, "the VM is busy: an async call is waiting for a Promise (await it before calling again)")
}

impl<H: Host + 'static> Engine<H> {
    /// Whether an async call is waiting for a Promise (no call of it is running): then
    /// no other call may start.
    pub(crate) fn waiting(&self) -> bool {
        self.async_call.try_borrow().map(|c| c.is_some()).unwrap_or(true) && self.shared.calls.get() == 0
    }

    /// Starts an async call; see the module's doc.
    pub fn start_async(&self, host: &mut H, target: AsyncTarget, args: &[H::Value], call: &CallOptions, want: Want) -> Step<H::Value> {
        self.entry(failure, || self.start_now(host, target, args, call, want))
    }

    fn start_now(&self, host: &mut H, target: AsyncTarget, args: &[H::Value], call: &CallOptions, want: Want) -> Step<H::Value> {
        let lua = match self.vm() {
            Ok(l) => l,
            Err(e) => return failure(e),
        };
        if self.async_call.borrow().is_some() {
            return failure(busy());
        }
        let shared = &self.shared;
        let _g = shared.enter(host);
        // Kinds of plain-string errors are matched by message within one call only.
        shared.last_raised.replace(None);
        let h = match shared.host() {
            Ok(h) => h,
            Err(e) => return failure(from_mlua(&e)),
        };
        let name = call.chunk_name.as_deref().unwrap_or(DEFAULT_CHUNK_NAME);
        let made = (|| -> mlua::Result<(Thread, MultiValue)> {
            let f = match target {
                AsyncTarget::Chunk(code) => crate::chunk::from_host(&lua, code, name)?,
                AsyncTarget::Global(g) => match lua.globals().get::<Value>(g)? {
                    Value::Function(f) => f,
                    other => return Err(mlua::Error::RuntimeError(format!("attempt to call global '{g}' (a {} value)", other.type_name()))),
                },
                AsyncTarget::Ref(id) => shared.refs.borrow().get(&id).cloned().ok_or_else(|| {
                    mlua::Error::RuntimeError("this Lua function belongs to a VM that was reset or closed".into())
                })?,
            };
            let args = js_args(&lua, h, shared, args)?;
            limits::prepare_hook(&lua, shared, self.options.instruction_limit);
            Ok((lua.create_thread(f)?, args))
        })();
        let (thread, args) = match made {
            Ok(t) => t,
            Err(e) => return failure(from_mlua(&e)),
        };
        shared.journal.borrow_mut().begin();
        shared.changes.borrow_mut().begin();
        *shared.async_thread.borrow_mut() = Some(thread.clone());
        *self.async_call.borrow_mut() = Some(AsyncCall {
            thread,
            want,
            timeout_ms: call.timeout_ms.unwrap_or(self.options.timeout_ms),
            instructions: self.options.instruction_limit,
            instructions_used: 0,
            output: Output::new(call.echo),
            started: H::now_ms(),
            peak: lua.used_memory(),
            waiting_at: None,
        });
        drop(_g);
        self.segment(host, &lua, args)
    }

    /// Resumes the waiting async call with its Promise's outcome: `value` when
    /// `fulfilled`, else the rejection `value` and `message` (its text for Lua).
    pub fn resume_async(&self, host: &mut H, fulfilled: bool, value: &H::Value, message: &str) -> Step<H::Value> {
        self.entry(failure, || self.resume_now(host, fulfilled, value, message))
    }

    fn resume_now(&self, host: &mut H, fulfilled: bool, value: &H::Value, message: &str) -> Step<H::Value> {
        let lua = match self.vm() {
            Ok(l) => l,
            Err(e) => return failure(e),
        };
        let at = match self.async_call.borrow_mut().as_mut().map(|c| c.waiting_at.take()) {
            Some(Some(at)) => at,
            _ => return failure(LuaError::new(ErrorKind::Runtime, "no async call is waiting for a Promise")),
        };
        let shared = &self.shared;
        let args = {
            let _g = shared.enter(host);
            let h = match shared.host() {
                Ok(h) => h,
                Err(e) => return failure(from_mlua(&e)),
            };
            let settled = if fulfilled {
                crate::convert::FromJs { host: h, shared, lua: &lua }.value(value, 0).map(|v| MultiValue::from(vec![Value::Boolean(true), v]))
            } else {
                let exception_id = shared.keep_exception(h, value);
                let raised = Raised::Host { message: format!("{at}{message}"), exception_id };
                let text = crate::plain::remember(shared, &raised.into_lua()).unwrap_or_else(|| format!("{at}{message}"));
                lua.create_string(&text).map(|s| MultiValue::from(vec![Value::Boolean(false), Value::String(s)]))
            };
            match settled {
                Ok(a) => a,
                // A value Lua cannot hold is raised at the await, as a rejection would be.
                Err(e) => {
                    let text = format!("{at}{}", from_mlua(&e).message);
                    match lua.create_string(&text) {
                        Ok(s) => MultiValue::from(vec![Value::Boolean(false), Value::String(s)]),
                        Err(e) => return failure(from_mlua(&e)),
                    }
                }
            }
        };
        self.segment(host, &lua, args)
    }

    /// Runs the call until it waits again or ends.
    fn segment(&self, host: &mut H, lua: &mlua::Lua, args: MultiValue) -> Step<H::Value> {
        let shared = &self.shared;
        let Some(depth) = Nested::enter(&shared.calls) else {
            return self.finish(host, Err(LuaError::new(ErrorKind::Runtime, "too many nested calls between JS and Lua")));
        };
        let _g = shared.enter(host);
        let (thread, timeout, instructions, out) = {
            let mut c = self.async_call.borrow_mut();
            let c = c.as_mut().expect("an async call runs");
            (c.thread.clone(), c.timeout_ms, c.instructions, std::mem::replace(&mut c.output, Output::new(false)))
        };
        let start = H::now_ms();
        let prev_out = std::mem::replace(&mut *shared.output.borrow_mut(), out);
        let prev_limits = limits::arm(lua, shared, start, timeout, instructions, self.options.interruptible);
        let ran = thread.resume::<MultiValue>(args);
        let tripped = shared.limits.borrow().tripped.is_some();
        let waiting = matches!(thread.status(), ThreadStatus::Resumable) && !tripped;
        let result: Result<Option<Vec<H::Value>>, LuaError> = match (ran, shared.host()) {
            (Ok(_), _) if tripped => Ok(None),
            (Ok(values), Ok(h)) if waiting => match awaited(&values) {
                Some(slot) => {
                    let promise = h.slot_get(slot);
                    shared.release_later(slot);
                    let at = std::mem::take(&mut *shared.await_position.borrow_mut());
                    match promise {
                        Ok(p) => {
                            self.close_segment(lua, prev_limits, prev_out, start, timeout, instructions);
                            drop(depth);
                            if let Some(c) = self.async_call.borrow_mut().as_mut() {
                                c.waiting_at = Some(at);
                            }
                            return Step::Pending(p);
                        }
                        Err(e) => Err(LuaError::new(ErrorKind::Runtime, e.message)),
                    }
                }
                None => Err(LuaError::new(ErrorKind::Runtime, "attempt to yield from outside a coroutine")),
            },
            (Ok(values), Ok(h)) => {
                let want = self.async_call.borrow().as_ref().map_or(Want::First, |c| c.want);
                convert_results(h, shared, &values, want).map(Some).map_err(|e| from_mlua(&e))
            }
            (Err(e), _) | (_, Err(e)) => Err(from_mlua(&e)),
        };
        let ended = self.close_segment(lua, prev_limits, prev_out, start, timeout, instructions);
        let result = ended.verdict(result.map(|v| v.unwrap_or_default()).map_err(|mut err| {
            crate::plain::recover_kind(shared, &mut err);
            shared.resolve_cause(&mut err);
            err
        }));
        drop(depth);
        drop(_g);
        self.finish(host, result)
    }

    /// Disarms the limits and puts the output back; charges the segment to the call.
    fn close_segment(&self, lua: &mlua::Lua, prev_limits: limits::Limits, prev_out: Output, start: f64, timeout: f64, instructions: u64) -> limits::Limits {
        let shared = &self.shared;
        let ended = limits::disarm(lua, shared, prev_limits);
        let out = std::mem::replace(&mut *shared.output.borrow_mut(), prev_out);
        let spent = H::now_ms() - start;
        if let Some(c) = self.async_call.borrow_mut().as_mut() {
            c.output = out;
            c.timeout_ms = if timeout > 0.0 { (timeout - spent).max(f64::MIN_POSITIVE) } else { 0.0 };
            if instructions > 0 {
                c.instructions = instructions.saturating_sub(ended.instructions).max(1);
            }
            c.instructions_used += ended.instructions;
            c.peak = c.peak.max(ended.peak_memory);
        }
        ended
    }

    /// Ends the async call: its transaction kept or undone, its stats and output.
    fn finish(&self, host: &mut H, result: Result<Vec<H::Value>, LuaError>) -> Step<H::Value> {
        let shared = &self.shared;
        let call = self.async_call.borrow_mut().take();
        *shared.async_thread.borrow_mut() = None;
        let _g = shared.enter(host);
        let result = self.settle(result);
        let Some(call) = call else {
            return Step::Done(Outcome { result, output: String::new(), stats: Stats::default() });
        };
        let used = self.vm().map(|l| l.used_memory()).unwrap_or(0);
        let peak = call.peak.max(used);
        self.peak.set(self.peak.get().max(peak));
        let stats = Stats {
            started_ms: Some(call.started),
            instructions: (self.options.instruction_limit > 0).then_some(call.instructions_used),
            memory_used: used,
            memory_peak: peak,
        };
        Step::Done(Outcome { result, output: call.output.text, stats })
    }

    /// Ends a waiting async call without resuming it (the VM is closed or reset): its
    /// ext changes are undone.
    pub fn cancel_async(&self, host: &mut H) {
        if self.async_call.borrow().is_none() {
            return;
        }
        let _ = self.finish(host, Err(LuaError::new(ErrorKind::Runtime, "cancelled")));
    }
}

/// The slot of the Promise a driver yield carries, if it is one of the wrappers'.
fn awaited(values: &MultiValue) -> Option<u32> {
    match (values.front(), values.get(1)) {
        (Some(Value::LightUserData(m)), Some(Value::Integer(slot))) if *m == crate::plain::await_marker() => u32::try_from(*slot).ok(),
        _ => None,
    }
}

/// The message of a JS function that returned a Promise where Lua cannot wait for it;
/// the Promise is let go (a no-op rejection handler, so its failure is nobody's).
pub(crate) fn cannot_wait<H: Host + 'static>(lua: &mlua::Lua, shared: &std::rc::Weak<Shared<H>>, slot: u32, yieldable: bool) -> String {
    let at = lua_position(lua);
    if let Some(shared) = shared.upgrade() {
        if let Ok(host) = shared.host() {
            let s = Scope::open(host);
            if let Ok(p) = s.host.slot_get(slot) {
                let _ = s.host.mute_rejection(&p);
            }
        }
        shared.release_later(slot);
    }
    if yieldable {
        format!("{at}cannot wait for a Promise inside a coroutine of the script: only the async call's own code can wait (call the JS function outside the coroutine)")
    } else {
        format!("{at}cannot wait for a Promise here: Lua cannot suspend inside this call (a table.sort comparator, a string.gsub replacement, a metamethod called from C)")
    }
}

/// A JS function's Promise `result` in an async call is kept in a slot and handed to the
/// wrapper to await (see plain.rs `wrap_await`); `None` outside async calls.
/// `at`: the position of the JS call, where a rejection will be raised.
pub(crate) fn awaitable<H: Host + 'static>(h: &mut H, shared: &Shared<H>, result: &H::Value, at: &str) -> Result<Option<MultiValue>, HostError> {
    if shared.async_thread.borrow().is_none() {
        return Ok(None);
    }
    let slot = shared.alloc_slot();
    h.slot_set(slot, result)?;
    *shared.await_position.borrow_mut() = at.to_string();
    Ok(Some(MultiValue::from(vec![Value::LightUserData(crate::plain::await_marker()), Value::Integer(slot as i64)])))
}
