//! The engine: one persistent Lua VM and every operation the JS API offers on it.

pub(crate) mod awaits;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mlua::{Lua, MultiValue, Value};

use crate::chunk;
use crate::convert::{FromJs, ToJs};
use crate::error::{from_mlua, ErrorKind, LuaError};
use crate::ext;
use crate::host::{Host, JsKind};
use crate::limits;
use crate::plain;
use crate::options::{CallOptions, Options, DEFAULT_CHUNK_NAME};
use crate::ext::CopyError;
use crate::quota::{self, Meter, Over};
use crate::sandbox;
use crate::shared::{Output, Shared};
use crate::snapshot;
use crate::{changes, record};
use crate::stored::{Key, Stored};

/// How many results a caller wants converted to JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    First,
    All,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// The host clock (ms) when the call began. `report::stats` reads the clock again
    /// for `durationMs`: only `run()` reports it, so eval pays one clock read, not two.
    /// `None` when the call never started (closed VM).
    pub started_ms: Option<f64>,
    /// Approximate (counted in hook periods); `None` unless an instruction limit is set
    /// (only that limit counts instructions, see limits.rs).
    pub instructions: Option<u64>,
    pub memory_used: usize,
    pub memory_peak: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryStats {
    pub used: usize,
    pub peak: usize,
    pub limit: u64,
}

/// The result of one call, never a panic: values or an error, plus captured output.
pub struct Outcome<V> {
    pub result: Result<Vec<V>, LuaError>,
    pub output: String,
    pub stats: Stats,
}

pub struct Engine<H: Host + 'static> {
    lua: RefCell<Option<Lua>>,
    shared: Rc<Shared<H>>,
    options: Options,
    peak: Cell<usize>,
    /// Bumped when `close` or `reset` lets go of the state: a call that began on it then
    /// holds what may be the last handle (see `invoke`).
    state_gen: Cell<u64>,
    /// The async call in progress (awaits.rs).
    async_call: RefCell<Option<awaits::AsyncCall>>,
}

impl<H: Host + 'static> Engine<H> {
    pub fn new(options: Options) -> Result<Self, LuaError> {
        let shared = Shared::new();
        let lua = sandbox::new_lua(&options, &shared).map_err(|e| from_mlua(&e))?;
        let peak = lua.used_memory();
        Ok(Engine { lua: RefCell::new(Some(lua)), shared, options, peak: Cell::new(peak), state_gen: Cell::new(0), async_call: RefCell::new(None) })
    }

    /// A VM made before its options are known, for a module that carries it ready in
    /// its memory image (docs/design.md, "The prepared VM"): what `new` makes for the
    /// safe stdlib, without the limits, which [`Engine::configure`] applies.
    pub fn prepare() -> Result<Self, LuaError> {
        Self::new(Options { memory_limit: 0, ..Options::default() })
    }

    /// Whether a VM from [`Engine::prepare`] can serve `options`: only the stdlib is
    /// fixed at creation.
    pub fn prepared_for(options: &Options) -> bool {
        options.stdlib == Options::default().stdlib
    }

    /// The VM from [`Engine::prepare`], never called yet, given `options` (which
    /// [`Engine::prepared_for`] accepted): the same VM as `Engine::new(options)` makes,
    /// with seeds of its own (every copy of a memory image starts with the same ones:
    /// [`Host::seeds`]).
    pub fn configure(mut self, options: Options) -> Result<Self, LuaError> {
        debug_assert!(Self::prepared_for(&options));
        let lua = self.vm()?;
        sandbox::apply(&lua, &options, &self.shared).map_err(|e| from_mlua(&e))?;
        self.options = options;
        Ok(self)
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn is_closed(&self) -> bool {
        self.lua.borrow().is_none()
    }

    /// A handle to the live VM. Cloning keeps the state alive for the duration of a call
    /// even if JS closes or resets the VM from a callback meanwhile.
    fn vm(&self) -> Result<Lua, LuaError> {
        self.lua.borrow().clone().ok_or_else(LuaError::closed)
    }

    /// Runs `code` as a chunk.
    pub fn exec(&self, host: &mut H, code: &[u8], call: &CallOptions, want: Want) -> Outcome<H::Value> {
        let name = call.chunk_name.as_deref().unwrap_or(DEFAULT_CHUNK_NAME);
        self.invoke(host, call, want, |lua, _, _| {
            let f = chunk::from_host(lua, code, name)?;
            plain::call(&self.shared, f, MultiValue::new(), want == Want::All)
        })
    }

    /// Compiles `code` once into a Lua function kept for JS under the returned id (JS
    /// caches ids by source text so repeated `eval`s skip the parser); run it with
    /// [`Engine::call_ref`], free it with [`Engine::release_ref`]. Calling the same
    /// main chunk again behaves as loading it again, except for a chunk that assigns
    /// `_ENV`: the JS cache never holds those.
    pub fn compile(&self, code: &[u8], chunk_name: Option<&str>) -> Result<u32, LuaError> {
        self.entry(Err, || self.compile_now(code, chunk_name))
    }

    fn compile_now(&self, code: &[u8], chunk_name: Option<&str>) -> Result<u32, LuaError> {
        let lua = self.vm()?;
        let name = chunk_name.unwrap_or(DEFAULT_CHUNK_NAME);
        self.bounded(&lua, || {
            let f = chunk::from_host(&lua, code, name).map_err(|e| from_mlua(&e))?;
            Ok(self.shared.add_ref(f))
        })
    }

    /// Calls the global function `name` with JS arguments.
    pub fn call_global(&self, host: &mut H, name: &str, args: &[H::Value], call: &CallOptions, want: Want) -> Outcome<H::Value> {
        self.invoke(host, call, want, |lua, h, shared| {
            let f: Value = lua.globals().get(name)?;
            let f = match f {
                Value::Function(f) => f,
                other => {
                    return Err(mlua::Error::RuntimeError(format!(
                        "attempt to call global '{name}' (a {} value)",
                        other.type_name()
                    )))
                }
            };
            let args = js_args(lua, h, shared, args)?;
            plain::call(shared, f, args, want == Want::All)
        })
    }

    /// Calls a Lua function previously handed to JS.
    pub fn call_ref(&self, host: &mut H, id: u32, args: &[H::Value], call: &CallOptions, want: Want) -> Outcome<H::Value> {
        self.invoke(host, call, want, |lua, h, shared| {
            let f = shared.refs.borrow().get(&id).cloned().ok_or_else(|| {
                mlua::Error::RuntimeError("this Lua function belongs to a VM that was reset or closed".into())
            })?;
            let args = js_args(lua, h, shared, args)?;
            plain::call(shared, f, args, want == Want::All)
        })
    }

    /// JS dropped its wrapper of a Lua function (a FinalizationRegistry callback).
    pub fn release_ref(&self, id: u32) {
        self.shared.refs.borrow_mut().remove(&id);
    }

    pub fn set_global(&self, host: &mut H, name: &str, value: &H::Value) -> Result<(), LuaError> {
        self.entry(Err, || self.set_global_now(host, name, value))
    }

    fn set_global_now(&self, host: &mut H, name: &str, value: &H::Value) -> Result<(), LuaError> {
        let lua = self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        self.bounded(&lua, || {
            let v = FromJs { host: h, shared: &self.shared, lua: &lua }.value(value, 0).map_err(|e| from_mlua(&e))?;
            // Raw: a script's _G metamethods must not run (unbounded) inside a host call.
            lua.globals().raw_set(name, v).map_err(|e| from_mlua(&e))
        })
    }

    /// Gives scripts module `name` (`createLua({ modules })`, see modules.rs): `value` is
    /// Lua source to compile (`source`) or a JS value to convert. A source that does not
    /// compile is refused with its syntax error.
    pub fn define_module(&self, host: &mut H, name: &str, value: &H::Value, source: bool) -> Result<(), LuaError> {
        self.entry(Err, || self.define_module_now(host, name, value, source))
    }

    fn define_module_now(&self, host: &mut H, name: &str, value: &H::Value, source: bool) -> Result<(), LuaError> {
        let lua = self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        self.bounded(&lua, || {
            let defined = if source {
                match h.inspect(value) {
                    Ok(JsKind::String(code)) => crate::modules::define_source(&lua, &self.shared, name, code.as_bytes()),
                    _ => return Err(LuaError::new(ErrorKind::Runtime, format!("module '{name}': Lua source must be a string"))),
                }
            } else {
                FromJs { host: h, shared: &self.shared, lua: &lua }.value(value, 0).and_then(|v| crate::modules::define_value(&lua, &self.shared, name, v))
            };
            defined.map_err(|e| from_mlua(&e))
        })
    }

    pub fn get_global(&self, host: &mut H, name: &str) -> Result<H::Value, LuaError> {
        self.entry(Err, || self.get_global_now(host, name))
    }

    fn get_global_now(&self, host: &mut H, name: &str) -> Result<H::Value, LuaError> {
        let lua = self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        self.bounded(&lua, || {
            let v: Value = lua.globals().raw_get(name).map_err(|e| from_mlua(&e))?;
            ToJs::new(h, &self.shared).value(&v).map_err(|e| from_mlua(&e))
        })
    }

    pub fn memory(&self) -> Result<MemoryStats, LuaError> {
        if self.shared.crashed.get() {
            return Err(LuaError::crashed());
        }
        let lua = self.vm()?;
        let used = lua.used_memory();
        let peak = self.peak.get().max(used);
        self.peak.set(peak);
        Ok(MemoryStats { used, peak, limit: self.options.memory_limit })
    }

    /// A full collection (two cycles, so objects resurrected by finalizers go too). It
    /// fails with the timeout's error if finalizers ran past the VM's timeout; each of
    /// them was stopped, and the collection finished.
    pub fn gc(&self) -> Result<(), LuaError> {
        self.entry(Err, || self.gc_now())
    }

    fn gc_now(&self) -> Result<(), LuaError> {
        let lua = self.vm()?;
        self.bounded(&lua, || {
            lua.gc_collect().map_err(|e| from_mlua(&e))?;
            lua.gc_collect().map_err(|e| from_mlua(&e))
        })
    }

    /// A fresh VM with the same options: globals are gone, ext tables (which live in JS)
    /// are untouched, Lua functions held by JS stop working.
    pub fn reset(&self) -> Result<(), LuaError> {
        self.entry(Err, || self.reset_now())
    }

    fn reset_now(&self) -> Result<(), LuaError> {
        self.vm()?;
        self.async_call.borrow_mut().take();
        self.shared.async_thread.borrow_mut().take();
        let old = self.lua.borrow_mut().take();
        self.free(old, true);
        let lua = sandbox::new_lua(&self.options, &self.shared).map_err(|e| from_mlua(&e))?;
        self.peak.set(lua.used_memory());
        *self.lua.borrow_mut() = Some(lua);
        Ok(())
    }

    /// Frees the VM. Later calls fail with kind 'closed'. Safe to call twice, and from a
    /// JS callback in the middle of a call (the VM is freed when that call unwinds).
    pub fn close(&self) {
        self.entry(|_| (), || {
            // A waiting async call holds the state (its coroutine): let it go first.
            self.async_call.borrow_mut().take();
            self.shared.async_thread.borrow_mut().take();
            let lua = self.lua.borrow_mut().take();
            self.free(lua, true);
        })
    }

    /// Drops a handle to the state; the last one frees it, running the finalizers still
    /// pending, so that happens under the VM's timeout (a finalizer that loops is stopped
    /// and the state freed all the same). Inside a call the state outlives this handle,
    /// and the call frees it when it unwinds (see `invoke`). `current`: the engine's own
    /// state, whose hooks the limits may set; otherwise one that a callback closed or
    /// reset during a call, whose hooks that call left armed.
    fn free(&self, lua: Option<Lua>, current: bool) {
        let Some(lua) = lua else { return };
        let prev = if self.shared.in_call() {
            None
        } else if current {
            Some(self.arm_default(&lua))
        } else {
            Some(limits::swap(&self.shared, limits::unhooked(H::now_ms(), self.options.timeout_ms, self.options.interruptible)))
        };
        if current {
            self.state_gen.set(self.state_gen.get() + 1);
            self.shared.forget_vm_objects();
        }
        drop(lua);
        if let Some(prev) = prev {
            limits::swap(&self.shared, prev);
        }
    }

    /// Arms the VM's timeout and interrupts, with no instruction limit: for host calls,
    /// whose work is not the script's but may run its `__gc` finalizers.
    fn arm_default(&self, lua: &Lua) -> limits::Limits {
        let prev = limits::arm(lua, &self.shared, H::now_ms(), self.options.timeout_ms, 0, self.options.interruptible);
        self.shared.limits.borrow_mut().charges = false;
        prev
    }

    /// Runs a host call's work on the state under [`Engine::arm_default`]: allocating can
    /// run finalizers, which would otherwise loop unbounded. Inside a call (a JS callback
    /// calling back in), the call's own limits already apply. A tripped limit's error
    /// replaces the result.
    fn bounded<T>(&self, lua: &Lua, work: impl FnOnce() -> Result<T, LuaError>) -> Result<T, LuaError> {
        if self.shared.in_call() {
            return work();
        }
        let prev = self.arm_default(lua);
        let result = work();
        limits::disarm(lua, &self.shared, prev).verdict(result)
    }

    /// All external tables as one snapshot blob. Refused when they hold more than
    /// `storageLimit` (JS can put anything into the Maps): the copy stops there, before
    /// it costs that much memory again.
    pub fn snapshot(&self, host: &mut H) -> Result<Vec<u8>, LuaError> {
        self.entry(Err, || self.snapshot_now(host))
    }

    fn snapshot_now(&self, host: &mut H) -> Result<Vec<u8>, LuaError> {
        self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        let (tables, weight) = export_all(h, &self.shared).map_err(|m| LuaError::new(ErrorKind::Ext, format!("snapshot: {m}")))?;
        self.shared.ext_estimate.set(weight);
        // Checked, so that a Map the next load would refuse is never written.
        snapshot::encode_checked(&tables).map_err(|e| LuaError::new(ErrorKind::Ext, format!("snapshot: {e}")))
    }

    /// Replaces every external table with the snapshot's contents. The blob is fully
    /// decoded and checked first: a bad blob changes nothing. A snapshot bigger than
    /// `storageLimit` is loaded all the same (it is the host's data), and scripts then
    /// cannot grow it.
    pub fn restore(&self, host: &mut H, bytes: &[u8]) -> Result<(), LuaError> {
        self.entry(Err, || self.restore_now(host, bytes))
    }

    fn restore_now(&self, host: &mut H, bytes: &[u8]) -> Result<(), LuaError> {
        self.vm()?;
        let tables = snapshot::decode(bytes).map_err(|e| LuaError::restore(&e))?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        self.shared.mark_dirty();
        self.shared.changes.borrow_mut().replaced();
        import_all(h, &tables, &self.shared.float_tags).map_err(|e| LuaError::new(ErrorKind::Ext, format!("restore: {}", e.message)))?;
        self.shared.ext_estimate.set(tables_weight(&tables));
        Ok(())
    }

    /// Ends a call's transaction (journal.rs): a failed call's ext changes are undone.
    /// `os.exit` with a success status (`os.exit()`, `os.exit(true)`, `os.exit(0)`) ends
    /// the call as a script ends, keeping them; any other status is a failure. An undo the
    /// host could not complete is said in the call's error.
    fn settle(&self, result: Result<Vec<H::Value>, LuaError>) -> Result<Vec<H::Value>, LuaError> {
        let h = self.shared.host().ok();
        let ok = match &result {
            Ok(_) => true,
            Err(e) => e.exit_code == Some(0),
        };
        self.shared.changes.borrow_mut().end(ok);
        let ended = self.shared.journal.borrow_mut().end(h, ok);
        match (result, ended) {
            (r, Ok(())) | (r @ Ok(_), Err(_)) => r,
            (Err(mut e), Err(undo)) => {
                e.message = format!("{}\n(and its ext changes could not all be undone: {})", e.message, undo.message);
                Err(e)
            }
        }
    }

    /// Loads a store: its snapshot (none for a new store) and the change log written
    /// after it, and notes Lua's changes from now on for the next records (changes.rs).
    /// Every record is checked before anything changes; records after a damaged one
    /// are left out. Returns `{ records, torn, damaged }`: how many records were
    /// applied, whether a cut last record was ignored, and what damaged the log (a
    /// message) if a record before its end was unreadable.
    pub fn open_log(&self, host: &mut H, snapshot: Option<&[u8]>, log: &[u8]) -> Result<H::Value, LuaError> {
        self.entry(Err, || self.open_log_now(host, snapshot, log))
    }

    fn open_log_now(&self, host: &mut H, snapshot: Option<&[u8]>, log: &[u8]) -> Result<H::Value, LuaError> {
        self.vm()?;
        let tables = match snapshot {
            Some(bytes) => snapshot::decode(bytes).map_err(|e| LuaError::restore(&e))?,
            None => Vec::new(),
        };
        let read = record::decode_log(log).map_err(|e| match e {
            snapshot::SnapshotError::NewerVersion(v) => {
                let mut err = LuaError::new(
                    ErrorKind::Ext,
                    format!("restore: change record format version {v} is newer than this build supports ({})", record::RECORD_VERSION),
                );
                err.code = Some(crate::error::ErrorCode::NewerFormat);
                err
            }
            other => LuaError::restore(&other),
        })?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        let failed = |e: crate::host::HostError| LuaError::new(ErrorKind::Ext, format!("restore: {}", e.message));
        import_all(h, &tables, &self.shared.float_tags).map_err(failed)?;
        changes::apply(h, &read.records, &self.shared.float_tags).map_err(failed)?;
        self.shared.mark_dirty();
        let mut weight = tables_weight(&tables);
        if !read.records.is_empty() {
            // The records changed the tables: measure them as they now are.
            weight = export_all(h, &self.shared).map(|(_, w)| w).unwrap_or(weight);
        }
        self.shared.ext_estimate.set(weight);
        self.shared.changes.borrow_mut().start();
        log_report(h, &read).map_err(failed)
    }

    /// The change record of what Lua changed since the last one (see
    /// [`Engine::open_log`]): `undefined` when nothing changed, `true` when a whole
    /// snapshot is due instead (too many changes, or a restore), else the record's
    /// bytes. A value JS put into a changed entry that cannot be stored fails as a
    /// snapshot would (kind 'ext'), and a whole snapshot is then due.
    pub fn take_record(&self, host: &mut H) -> Result<H::Value, LuaError> {
        self.entry(Err, || self.take_record_now(host))
    }

    fn take_record_now(&self, host: &mut H) -> Result<H::Value, LuaError> {
        self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        let host_failed = |e: crate::host::HostError| LuaError::new(ErrorKind::Ext, e.message);
        match changes::take_ops(&self.shared, h).map_err(|m| LuaError::new(ErrorKind::Ext, format!("snapshot: {m}")))? {
            changes::Taken::Nothing => h.undefined(),
            changes::Taken::Everything => h.boolean(true),
            changes::Taken::Record(ops) => h.bytes(&record::encode(&ops)),
        }
        .map_err(host_failed)
    }

    /// An operation of a VM whose tables are on a shared store (sharing.rs has the
    /// protocol): `Share`, `Open`, `Close`, `Abort` return undefined; `TakeCommit` the
    /// commit set's bytes or undefined; `Load` (a framed list of triples) and `Apply`
    /// (change records) change the tables and return undefined. Bad input fails with
    /// kind 'storage' and changes nothing.
    pub fn shared_op(&self, host: &mut H, op: crate::SharedOp, input: Option<&[u8]>) -> Result<H::Value, LuaError> {
        self.entry(Err, || self.shared_op_now(host, op, input.unwrap_or_default()))
    }

    fn shared_op_now(&self, host: &mut H, op: crate::SharedOp, input: &[u8]) -> Result<H::Value, LuaError> {
        use crate::sharing::{self, Mode};
        use crate::SharedOp as Op;
        self.vm()?;
        let _g = self.shared.enter(host);
        let h = self.shared.host().map_err(|e| from_mlua(&e))?;
        let failed = |e: crate::host::HostError| LuaError::new(ErrorKind::Storage, format!("shared store: {}", e.message));
        let sh = &self.shared;
        match op {
            Op::Share => {
                sh.sharing.set(Mode::Closed);
                sh.changes.borrow_mut().start();
            }
            Op::Open => {
                sharing::forget(sh);
                sh.sharing.set(Mode::Open);
            }
            Op::Close => sh.sharing.set(Mode::Closed),
            Op::Abort => {
                sh.sharing.set(Mode::Closed);
                sharing::forget(sh);
                sh.changes.borrow_mut().forget();
            }
            Op::TakeCommit => {
                return match sharing::take_commit(sh, h)? {
                    Some(bytes) => h.bytes(&bytes).map_err(failed),
                    None => h.undefined().map_err(failed),
                };
            }
            Op::Load => {
                let tables = sharing::load_tables(input)?;
                import_all(h, &tables, &sh.float_tags).map_err(failed)?;
                sh.ext_estimate.set(tables_weight(&tables));
                sh.changes.borrow_mut().forget();
            }
            Op::Apply => {
                let records = sharing::records(input)?;
                changes::apply(h, &records, &sh.float_tags).map_err(failed)?;
            }
        }
        h.undefined().map_err(failed)
    }

    /// Whether Lua changed any external table (or a restore replaced them) since the last
    /// call; clears the flag. Writes JS makes to the Maps directly are not seen here.
    pub fn take_dirty(&self) -> bool {
        self.shared.take_dirty()
    }

    /// The JS value held in `slot` (the exception behind an error's `cause_slot`).
    pub fn slot_value(&self, host: &mut H, slot: u32) -> Option<H::Value> {
        host.slot_get(slot).ok()
    }

    /// Runs the work of an entry point (every public operation that touches the state).
    /// A panic (a bug of the core, of mlua or of a host) that escapes costs only this VM:
    /// it is caught here (natively; on wasm a panic is an abort, a trap the JS layer
    /// reports), or stopped inside the VM (`shared::contain`), and the VM is marked
    /// crashed: this call fails, through `failed`, with kind 'crashed', and so does every
    /// later one. The state is abandoned, not freed: it may be inconsistent, and freeing
    /// it would run its finalizers.
    fn entry<T>(&self, failed: impl FnOnce(LuaError) -> T, work: impl FnOnce() -> T) -> T {
        if self.shared.crashed.get() {
            return failed(LuaError::crashed());
        }
        match crate::shared::catch_panic(work) {
            Some(v) if !self.shared.crashed.get() => v,
            _ => {
                self.abandon();
                failed(LuaError::crashed())
            }
        }
    }

    /// Lets go of a crashed VM's state without freeing it (see [`Engine::entry`]).
    fn abandon(&self) {
        self.shared.crashed.set(true);
        let lua = self.lua.try_borrow_mut().ok().and_then(|mut l| l.take());
        if let Some(lua) = lua {
            self.state_gen.set(self.state_gen.get() + 1);
            std::mem::forget(lua);
        }
    }

    fn invoke<F>(&self, host: &mut H, call: &CallOptions, want: Want, mut body: F) -> Outcome<H::Value>
    where
        F: FnMut(&Lua, &mut H, &Rc<Shared<H>>) -> mlua::Result<MultiValue>,
    {
        let failed = |e| Outcome { result: Err(e), output: String::new(), stats: Stats::default() };
        self.entry(failed, || self.invoke_now(host, call, want, &mut body))
    }

    /// The body of every call into Lua: one function, not one per caller's closure, so
    /// its code is not copied into every call's export on wasm.
    fn invoke_now(&self, host: &mut H, call: &CallOptions, want: Want, body: &mut Body<'_, H>) -> Outcome<H::Value> {
        let lua = match self.vm() {
            Ok(l) => l,
            Err(e) => return Outcome { result: Err(e), output: String::new(), stats: Stats::default() },
        };
        let shared = &self.shared;
        if self.waiting() {
            return Outcome { result: Err(awaits::busy()), output: String::new(), stats: Stats::default() };
        }
        let Some(depth) = Nested::enter(&shared.calls) else {
            let message = format!("too many nested calls between JS and Lua (more than {})", limits::NESTED_CALLS);
            return Outcome { result: Err(LuaError::new(ErrorKind::Runtime, message)), output: String::new(), stats: Stats::default() };
        };
        let state_gen = self.state_gen.get();
        let _g = shared.enter(host);
        shared.journal.borrow_mut().begin();
        shared.changes.borrow_mut().begin();
        // Kinds of plain-string errors are matched by message within one call only.
        shared.last_raised.replace(None);
        let h = match shared.host() {
            Ok(h) => h,
            Err(e) => return Outcome { result: Err(from_mlua(&e)), output: String::new(), stats: Stats::default() },
        };
        let start = H::now_ms();
        let prev_out = std::mem::replace(&mut *shared.output.borrow_mut(), Output::new(call.echo));
        let timeout = call.timeout_ms.unwrap_or(self.options.timeout_ms);
        let prev_limits = limits::arm(&lua, shared, start, timeout, self.options.instruction_limit, self.options.interruptible);

        let ran = body(&lua, h, shared);
        // Converted while the limits are armed: copying a big result is the call's work.
        let tripped = shared.limits.borrow().tripped.is_some();
        let result = match (ran, shared.host()) {
            // A tripped limit's error replaces the values (`verdict`): no use converting them.
            (Ok(_), _) if tripped => Ok(Vec::new()),
            (Ok(values), Ok(h)) => convert_results(h, shared, &values, want).map_err(|e| from_mlua(&e)),
            (Err(e), _) | (_, Err(e)) => Err(from_mlua(&e)),
        };

        let ended = limits::disarm(&lua, shared, prev_limits);
        let (instructions, counted, mut peak) = (ended.instructions, ended.counts_instructions(), ended.peak_memory);
        let result = ended.verdict(result.map_err(|mut err| {
            crate::plain::recover_kind(shared, &mut err);
            shared.resolve_cause(&mut err);
            err
        }));
        let result = self.settle(result);
        let output = std::mem::replace(&mut *shared.output.borrow_mut(), prev_out).text;
        let used = lua.used_memory();
        peak = peak.max(used);
        self.peak.set(self.peak.get().max(peak));
        let stats = Stats {
            started_ms: Some(start),
            instructions: counted.then_some(instructions),
            memory_used: used,
            memory_peak: peak,
        };
        drop(depth);
        if self.state_gen.get() != state_gen {
            // JS closed or reset the VM from a callback: this may be the last handle.
            self.free(Some(lua), false);
        }
        Outcome { result, output, stats }
    }
}

/// What a call runs once the VM is entered and its limits armed (see `Engine::invoke`).
type Body<'a, H> = dyn FnMut(&Lua, &mut H, &Rc<Shared<H>>) -> mlua::Result<MultiValue> + 'a;

/// One call into Lua counted in `Shared::calls` while it lasts.
struct Nested<'a>(&'a Cell<u32>);

impl<'a> Nested<'a> {
    fn enter(calls: &'a Cell<u32>) -> Option<Self> {
        let n = calls.get();
        (n < limits::NESTED_CALLS).then(|| {
            calls.set(n + 1);
            Nested(calls)
        })
    }
}

impl Drop for Nested<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl<H: Host + 'static> Drop for Engine<H> {
    /// Frees the state as `close` does, under the VM's timeout.
    fn drop(&mut self) {
        self.close();
    }
}

fn js_args<H: Host + 'static>(lua: &Lua, h: &mut H, shared: &Rc<Shared<H>>, args: &[H::Value]) -> mlua::Result<MultiValue> {
    let mut conv = FromJs { host: h, shared, lua };
    let mut out = MultiValue::new();
    for a in args {
        out.push_back(conv.value(a, 0)?);
    }
    Ok(out)
}

fn convert_results<H: Host + 'static>(h: &mut H, shared: &Rc<Shared<H>>, values: &MultiValue, want: Want) -> mlua::Result<Vec<H::Value>> {
    let mut conv = ToJs::new(h, shared);
    match want {
        Want::First => match values.front() {
            Some(v) => Ok(vec![conv.value(v)?]),
            None => Ok(vec![conv.value(&Value::Nil)?]),
        },
        Want::All => values.iter().map(|v| conv.value(v)).collect(),
    }
}

/// Every ext table as snapshot data, and its weight (see quota.rs).
fn export_all<H: Host + 'static>(h: &mut H, shared: &Shared<H>) -> Result<(snapshot::Tables, u64), String> {
    let root = h.ext_root().map_err(|e| e.message)?;
    let limit = shared.storage_limit.get();
    let room = if limit == 0 { u64::MAX } else { limit };
    let mut meter = Meter::new(shared, room);
    let mut tables = Vec::new();
    for (k, v) in h.map_entries(&root).map_err(|e| e.message)? {
        let name = match h.inspect(&k).map_err(|e| e.message)? {
            JsKind::String(s) => s,
            _ => return Err("lua.ext keys must be strings (table names)".into()),
        };
        match h.inspect(&v).map_err(|e| e.message)? {
            JsKind::Map => {}
            _ => return Err(format!("lua.ext holds a non-Map value under '{name}'")),
        }
        let over = || format!("the ext tables hold more than storageLimit ({limit} bytes)");
        meter.take(Key::Str(name.clone()).weight()).map_err(|_| over())?;
        let entries = ext::export_map(h, &v, &name, 0, &mut meter).map_err(|e| match e {
            CopyError::Rule(m) => m,
            CopyError::Host(e) => e.message,
            CopyError::Over(Over::Limit(r)) => r.to_string(),
            CopyError::Over(Over::Quota) => over(),
        })?;
        tables.push((name, entries));
    }
    // The meter took exactly each table's and entry's weight.
    Ok((tables, room - meter.remaining))
}

/// The weight of snapshot data (see quota.rs).
fn tables_weight(tables: &[(String, Vec<(Key, Stored)>)]) -> u64 {
    tables.iter().map(|(name, entries)| Key::Str(name.clone()).weight() + entries.iter().map(|(k, v)| quota::entry_weight(k, v)).sum::<u64>()).sum()
}

fn import_all<H: Host>(h: &mut H, tables: &[(String, Vec<(Key, Stored)>)], tags: &Cell<bool>) -> Result<(), crate::host::HostError> {
    let root = h.ext_root()?;
    for name in ext::root_names(h)? {
        if !tables.iter().any(|(n, _)| *n == name) {
            let k = h.string(&name)?;
            h.map_delete(&root, &k)?;
        }
    }
    for (name, entries) in tables {
        let map = match ext::open_root(h, name, true)? {
            Ok(m) => m,
            Err(_) => {
                // Not a Map under that name (JS put something else there): replace it.
                let k = h.string(name)?;
                let m = h.new_map()?;
                h.map_set(&root, &k, &m)?;
                m
            }
        };
        ext::replace_contents(h, &map, entries, tags)?;
    }
    Ok(())
}

/// `{ records, torn, damaged }` for [`Engine::open_log`].
fn log_report<H: Host>(h: &mut H, read: &record::Log) -> Result<H::Value, crate::host::HostError> {
    let out = h.new_object()?;
    let n = h.number(read.records.len() as f64)?;
    h.object_set(&out, "records", &n)?;
    let torn = h.boolean(matches!(read.end, record::LogEnd::Torn { .. }))?;
    h.object_set(&out, "torn", &torn)?;
    if let record::LogEnd::Damaged { record, at, error } = &read.end {
        let m = h.string(&format!("record {} (at byte {at}) is damaged: {error}; it and the records after it were not applied", record + 1))?;
        h.object_set(&out, "damaged", &m)?;
    }
    Ok(out)
}
