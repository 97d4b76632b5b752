//! lua-persistent's Node backend: a thin napi-rs adapter over `lua-persistent-core`.
//! Methods translate arguments, run the engine with a `NodeHost`, and shape results
//! with the core's `report` module. No global state: every VM owns its references, so
//! the addon loads in worker_threads and many VMs coexist. (The heap is the process's
//! one allocator, chosen in `alloc.rs`; mimalloc keeps a heap per thread.)

mod alloc;
mod napi_call;

mod fast;
mod host;
mod slot_refs;

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;

use host::{NodeHost, Refs};
use napi_call::napi_call;
use slot_refs::SlotRefs;
use lua_persistent_core::report::{self, Mode};
use lua_persistent_core::{CallOptions, Engine, LuaError, Options};
use napi::bindgen_prelude::{FromNapiValue, ObjectFinalize, ToNapiValue, TypeName, ValidateNapiValue};
use napi::sys::{self, napi_env, napi_value};
use napi::{Env, Error, Result, Status, ValueType};
use napi_derive::napi;

/// A JS value passed through untouched; the core inspects it via `NodeHost`.
#[derive(Clone, Copy)]
pub struct Raw(napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Raw {}

impl FromNapiValue for Raw {
    /// # Safety
    /// As the trait asks: `v` is a live handle of `_env`. Nothing is read from it here.
    unsafe fn from_napi_value(_env: napi_env, v: napi_value) -> Result<Self> {
        Ok(Raw(v))
    }
}

impl ToNapiValue for Raw {
    /// # Safety
    /// As the trait asks: `_env` is the running call's. `v` was made for it.
    unsafe fn to_napi_value(_env: napi_env, v: Self) -> Result<napi_value> {
        Ok(v.0)
    }
}

/// An N-API call's result as a napi-rs result (`what` names the call in the message).
fn check<T>(result: std::result::Result<T, sys::napi_status>, what: &str) -> Result<T> {
    result.map_err(|_| Error::new(Status::GenericFailure, format!("lua-persistent: {what} failed")))
}

/// Throws `v` as the JS exception of this call.
fn throw(env: napi_env, v: napi_value) -> Error {
    let _ = napi_call!(env, napi_throw(v) -> ());
    Error::new(Status::PendingException, "lua-persistent error")
}

fn reference(env: napi_env, v: napi_value) -> Result<sys::napi_ref> {
    check(napi_call!(env, napi_create_reference(v, 1u32)), "create reference")
}

fn weak_reference(env: napi_env, v: napi_value) -> Result<sys::napi_ref> {
    check(napi_call!(env, napi_create_reference(v, 0u32)), "create weak reference")
}

#[napi(custom_finalize)]
pub struct Vm {
    core: Rc<VmCore>,
}

/// What a VM's methods work on; shared (weakly) with its raw N-API methods (fast.rs).
pub(crate) struct VmCore {
    engine: Engine<NodeHost>,
    /// `None` once the VM is finalized (the references are deleted then).
    refs: Cell<Option<Refs>>,
    slot_refs: Rc<SlotRefs>,
}

impl VmCore {
    fn host(&self, env: napi_env, hooks: napi_value) -> Result<NodeHost> {
        match self.refs.get() {
            Some(refs) => NodeHost::new(env, refs, hooks, self.slot_refs.clone())
                .map_err(|e| Error::new(Status::InvalidArg, format!("lua-persistent: bad hooks: {}", e.message))),
            None => Err(Error::new(Status::GenericFailure, "lua-persistent: VM finalized")),
        }
    }

    /// `callRef`: the outcome shaped for JS, or the value to throw.
    fn call_ref(&self, h: &mut NodeHost, id: u32, args: &[napi_value], timeout: Option<f64>, mode: u32, echo: bool) -> std::result::Result<napi_value, napi_value> {
        let call = CallOptions { echo, timeout_ms: timeout, chunk_name: None };
        let mode = Mode::from_u32(mode);
        let out = self.engine.call_ref(h, id, args, &call, mode.want());
        report::finish(h, &self.engine, out, mode)
    }
}

#[napi(object)]
pub struct VmOptions {
    pub stdlib: String,
    pub memory_limit: f64,
    pub timeout: f64,
    pub instruction_limit: f64,
    pub storage_limit: f64,
    pub interrupt_buffer: Option<Raw>,
}

#[napi]
impl Vm {
    /// `hooks` (also passed with every call): `{ Map, ext: Map, slots: [], auxSymbol,
    /// makeFunction(id), mapEntries(map), print(text), muteRejection(thenable) }`. `hooks.Map` is the JS layer's
    /// own Map constructor, so Maps are recognised and made in the caller's realm (Jest
    /// and `vm` contexts each have their own `Map`).
    #[napi(constructor)]
    pub fn new(env: Env, hooks: Raw, options: VmOptions) -> Result<Self> {
        let interrupt_buffer = options.interrupt_buffer;
        let options = Options::from_js(&options.stdlib, options.memory_limit, options.timeout, options.instruction_limit, options.storage_limit, interrupt_buffer.is_some());
        let mut refs = make_refs(env.raw(), hooks.0)?;
        if let Some(buffer) = interrupt_buffer {
            attach_interrupt(env.raw(), &mut refs, buffer.0)?;
        }
        let engine = Engine::new(options).map_err(|e| Error::new(Status::GenericFailure, e.message))?;
        Ok(Vm { core: Rc::new(VmCore { engine, refs: Cell::new(Some(refs)), slot_refs: Rc::default() }) })
    }

    fn host(&self, env: &Env, hooks: Raw) -> Result<NodeHost> {
        self.core.host(env.raw(), hooks.0)
    }

    fn engine(&self) -> &Engine<NodeHost> {
        &self.core.engine
    }

    /// `callRef(hooks, id, args, timeout, mode, echo)` as a raw N-API function bound to
    /// this VM (see fast.rs); the JS layer installs it on the instance.
    #[napi]
    pub fn fast_call_ref(&self, env: Env) -> Result<Raw> {
        fast::call_ref_function(env.raw(), &self.core).map(Raw)
    }

    fn fail(&self, env: &Env, host: &mut NodeHost, e: &LuaError) -> Error {
        let info = report::fail(host, self.engine(), e);
        throw(env.raw(), info)
    }

    /// Runs a chunk. mode: 0 first value, 1 all values, 2 run report.
    #[napi]
    // The JS call's six arguments (lib/api.js), plus napi-rs's injected env and `self`.
    #[allow(clippy::too_many_arguments)]
    pub fn exec(&self, env: Env, hooks: Raw, code: String, chunk_name: Option<String>, timeout: Option<f64>, mode: u32, echo: bool) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        let call = CallOptions { chunk_name, timeout_ms: timeout, echo };
        let mode = Mode::from_u32(mode);
        let out = self.engine().exec(&mut h, code.as_bytes(), &call, mode.want());
        self.finish(&env, &mut h, out, mode)
    }

    #[napi]
    pub fn call_global(&self, env: Env, hooks: Raw, name: String, args: Vec<Raw>, mode: u32, echo: bool) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        let call = CallOptions { echo, ..Default::default() };
        let mode = Mode::from_u32(mode);
        let args: Vec<napi_value> = args.into_iter().map(|a| a.0).collect();
        let out = self.engine().call_global(&mut h, &name, &args, &call, mode.want());
        self.finish(&env, &mut h, out, mode)
    }

    /// Compiles a chunk for `callRef`; throws the syntax error as `exec` would.
    #[napi]
    pub fn compile(&self, env: Env, hooks: Raw, code: String, chunk_name: Option<String>) -> Result<u32> {
        self.engine().compile(code.as_bytes(), chunk_name.as_deref()).map_err(|e| {
            let mut h = match self.host(&env, hooks) {
                Ok(h) => h,
                Err(err) => return err,
            };
            self.fail(&env, &mut h, &e)
        })
    }

    fn finish(&self, env: &Env, h: &mut NodeHost, out: lua_persistent_core::Outcome<napi_value>, mode: Mode) -> Result<Raw> {
        match report::finish(h, self.engine(), out, mode) {
            Ok(v) => Ok(Raw(v)),
            Err(info) => Err(throw(env.raw(), info)),
        }
    }

    #[napi]
    pub fn release_ref(&self, id: u32) {
        self.engine().release_ref(id);
    }

    #[napi]
    pub fn set_global(&self, env: Env, hooks: Raw, name: String, value: Raw) -> Result<()> {
        let mut h = self.host(&env, hooks)?;
        self.engine().set_global(&mut h, &name, &value.0).map_err(|e| self.fail(&env, &mut h, &e))
    }

    #[napi]
    pub fn get_global(&self, env: Env, hooks: Raw, name: String) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        match self.engine().get_global(&mut h, &name) {
            Ok(v) => Ok(Raw(v)),
            Err(e) => Err(self.fail(&env, &mut h, &e)),
        }
    }

    #[napi]
    pub fn memory(&self, env: Env, hooks: Raw) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        match self.engine().memory() {
            Ok(m) => report::memory(&mut h, &m).map(Raw).map_err(|e| Error::new(Status::GenericFailure, e.message)),
            Err(e) => Err(self.fail(&env, &mut h, &e)),
        }
    }

    #[napi]
    pub fn gc(&self, env: Env, hooks: Raw) -> Result<()> {
        let mut h = self.host(&env, hooks)?;
        self.engine().gc().map_err(|e| self.fail(&env, &mut h, &e))
    }

    #[napi]
    pub fn reset(&self, env: Env, hooks: Raw) -> Result<()> {
        let mut h = self.host(&env, hooks)?;
        self.engine().reset().map_err(|e| self.fail(&env, &mut h, &e))
    }

    #[napi]
    pub fn close(&self) {
        self.engine().close();
    }

    #[napi]
    pub fn take_dirty(&self) -> bool {
        self.engine().take_dirty()
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.engine().is_closed()
    }

    #[napi]
    pub fn snapshot(&self, env: Env, hooks: Raw) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        match self.engine().snapshot(&mut h) {
            Ok(bytes) => {
                use lua_persistent_core::Host;
                h.bytes(&bytes).map(Raw).map_err(|e| Error::new(Status::GenericFailure, e.message))
            }
            Err(e) => Err(self.fail(&env, &mut h, &e)),
        }
    }

    #[napi]
    pub fn restore(&self, env: Env, hooks: Raw, bytes: Raw) -> Result<()> {
        use lua_persistent_core::{Host, JsKind};
        let mut h = self.host(&env, hooks)?;
        let data = match h.inspect(&bytes.0) {
            Ok(JsKind::Bytes(b)) => b,
            _ => return Err(Error::new(Status::InvalidArg, "restore() expects a Uint8Array")),
        };
        self.engine().restore(&mut h, &data).map_err(|e| self.fail(&env, &mut h, &e))
    }

    /// `startAsync(hooks, kind, target, chunkName, args, timeout, mode, echo)`: kind 0 runs
    /// `target` as a chunk, 1 calls the global `target`, 2 the Lua function with id
    /// `target`. See `Engine::start_async`; the result is `{ pending }` or `{ done }`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn start_async(&self, env: Env, hooks: Raw, kind: u32, target: Raw, chunk_name: Option<String>, args: Vec<Raw>, timeout: Option<f64>, mode: u32, echo: bool) -> Result<Raw> {
        use lua_persistent_core::{AsyncTarget, Host, JsKind};
        let mut h = self.host(&env, hooks)?;
        let call = CallOptions { chunk_name, timeout_ms: timeout, echo };
        let mode = Mode::from_u32(mode);
        let args: Vec<napi_value> = args.into_iter().map(|a| a.0).collect();
        let text = match h.inspect(&target.0) {
            Ok(JsKind::String(s)) => Some(s),
            _ => None,
        };
        let id = match h.inspect(&target.0) {
            Ok(JsKind::Number(n)) => n as u32,
            _ => 0,
        };
        let target = match (kind, &text) {
            (0, Some(code)) => AsyncTarget::Chunk(code.as_bytes()),
            (1, Some(name)) => AsyncTarget::Global(name),
            (2, _) => AsyncTarget::Ref(id),
            _ => return Err(Error::new(Status::InvalidArg, "startAsync: bad target")),
        };
        let step = self.engine().start_async(&mut h, target, &args, &call, mode.want());
        report::finish_step(&mut h, self.engine(), step, mode).map(Raw).map_err(|info| throw(env.raw(), info))
    }

    /// See `Engine::resume_async`.
    #[napi]
    pub fn resume_async(&self, env: Env, hooks: Raw, fulfilled: bool, value: Raw, message: String, mode: u32) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        let mode = Mode::from_u32(mode);
        let step = self.engine().resume_async(&mut h, fulfilled, &value.0, &message);
        report::finish_step(&mut h, self.engine(), step, mode).map(Raw).map_err(|info| throw(env.raw(), info))
    }

    /// See `Engine::cancel_async`.
    #[napi]
    pub fn cancel_async(&self, env: Env, hooks: Raw) -> Result<()> {
        let mut h = self.host(&env, hooks)?;
        self.engine().cancel_async(&mut h);
        Ok(())
    }

    /// See `Engine::define_module`.
    #[napi]
    pub fn define_module(&self, env: Env, hooks: Raw, name: String, value: Raw, source: bool) -> Result<()> {
        let mut h = self.host(&env, hooks)?;
        self.engine().define_module(&mut h, &name, &value.0, source).map_err(|e| self.fail(&env, &mut h, &e))
    }

    /// `openLog(hooks, snapshot | undefined, log | undefined)`: see `Engine::open_log`.
    #[napi]
    pub fn open_log(&self, env: Env, hooks: Raw, snapshot: Raw, log: Raw) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        let mut bytes = |v: &Raw| lua_persistent_core::optional_bytes(&mut h, &v.0).ok_or_else(|| Error::new(Status::InvalidArg, "openLog() expects Uint8Arrays"));
        let (snapshot, log) = (bytes(&snapshot)?, bytes(&log)?.unwrap_or_default());
        self.engine().open_log(&mut h, snapshot.as_deref(), &log).map(Raw).map_err(|e| self.fail(&env, &mut h, &e))
    }

    /// `sharedOp(hooks, op, bytes | undefined)`: see `Engine::shared_op`.
    #[napi]
    pub fn shared_op(&self, env: Env, hooks: Raw, op: u32, input: Raw) -> Result<Raw> {
        use lua_persistent_core::{optional_bytes, SharedOp};
        let op = SharedOp::from_u32(op).ok_or_else(|| Error::new(Status::InvalidArg, "sharedOp(): unknown operation"))?;
        let mut h = self.host(&env, hooks)?;
        let input = optional_bytes(&mut h, &input.0).ok_or_else(|| Error::new(Status::InvalidArg, "sharedOp() expects a Uint8Array"))?;
        self.engine().shared_op(&mut h, op, input.as_deref()).map(Raw).map_err(|e| self.fail(&env, &mut h, &e))
    }

    /// See `Engine::take_record`.
    #[napi]
    pub fn take_record(&self, env: Env, hooks: Raw) -> Result<Raw> {
        let mut h = self.host(&env, hooks)?;
        self.engine().take_record(&mut h).map(Raw).map_err(|e| self.fail(&env, &mut h, &e))
    }
}

impl ObjectFinalize for Vm {
    fn finalize(self, env: Env) -> Result<()> {
        self.engine().close();
        self.core.slot_refs.clear(env.raw());
        if let Some(r) = self.core.refs.take() {
            for x in [r.map_ctor, r.map_proto, r.object_proto, r.map_get, r.map_set, r.map_has, r.map_delete, r.map_clear, r.map_size, r.interrupt_ref, r.slots, r.ext, r.journal_set, r.object_kind] {
                if !x.is_null() {
                    let _ = napi_call!(env.raw(), napi_delete_reference(x) -> ());
                }
            }
        }
        Ok(())
    }
}

/// Property `name` of `obj`.
fn property(env: napi_env, obj: napi_value, name: &str) -> Result<napi_value> {
    let key = check(napi_call::string(env, name), "key")?;
    check(napi_call!(env, napi_get_property(obj, key)), name)
}

fn make_refs(env: napi_env, hooks: napi_value) -> Result<Refs> {
    let get = |obj: napi_value, name: &str| property(env, obj, name);
    let map_ctor = get(hooks, "Map")?;
    let proto = get(map_ctor, "prototype")?;
    Ok(Refs {
        map_ctor: reference(env, map_ctor)?,
        map_proto: reference(env, proto)?,
        object_proto: reference(env, check(napi_call!(env, napi_get_prototype(proto)), "Object.prototype")?)?,
        map_get: reference(env, get(proto, "get")?)?,
        map_set: reference(env, get(proto, "set")?)?,
        map_has: reference(env, get(proto, "has")?)?,
        map_delete: reference(env, get(proto, "delete")?)?,
        map_clear: reference(env, get(proto, "clear")?)?,
        map_size: reference(env, size_getter(env, proto)?)?,
        interrupt_ref: ptr::null_mut(),
        interrupt: ptr::null(),
        slots: weak_reference(env, get(hooks, "slots")?)?,
        ext: weak_reference(env, get(hooks, "ext")?)?,
        journal_set: weak_reference(env, get(hooks, "journalSet")?)?,
        object_kind: weak_reference(env, get(hooks, "objectKind")?)?,
    })
}

/// `Object.getOwnPropertyDescriptor(proto, 'size').get`: the intrinsic `size` getter.
fn size_getter(env: napi_env, proto: napi_value) -> Result<napi_value> {
    let global = check(napi_call!(env, napi_get_global()), "global")?;
    let object = property(env, global, "Object")?;
    let describe = property(env, object, "getOwnPropertyDescriptor")?;
    let size = check(napi_call::string(env, "size"), "key")?;
    let descriptor = check(napi_call::call_function(env, object, describe, &[proto, size]), "Map size descriptor")?;
    property(env, descriptor, "get")
}

/// Points the VM at the first element of the `interruptBuffer` Int32Array (the JS layer
/// has checked its type and length).
fn attach_interrupt(env: napi_env, refs: &mut Refs, array: napi_value) -> Result<()> {
    let info = check(napi_call::typedarray_info(env, array), "interruptBuffer")?;
    if info.kind != sys::TypedarrayType::int32_array || info.len == 0 || info.data.is_null() {
        return Err(Error::new(Status::InvalidArg, "interruptBuffer must be a non-empty Int32Array"));
    }
    refs.interrupt_ref = reference(env, array)?;
    refs.interrupt = info.data as *const std::sync::atomic::AtomicI32;
    Ok(())
}
