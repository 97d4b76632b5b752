//! lua-persistent's wasm backend: a thin wasm-bindgen adapter over
//! `lua-persistent-core`, the counterpart of the napi crate. Same `Vm` surface, same
//! plain-object results (shaped by the core's `report` module).

mod host;

use host::WasmHost;
use lua_persistent_core::report::{self, Mode};
use lua_persistent_core::{optional_bytes, AsyncTarget, CallOptions, Engine, Host, JsKind, LuaError, Options, Outcome, SharedOp};
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
mod clock {
    use lua_persistent_core::Host;
    use lua_persistent_sys::clock_id;
    use std::cell::Cell;

    thread_local! {
        /// When this instance's VM was made (the host's monotonic clock, ms).
        static START: Cell<f64> = const { Cell::new(0.0) };
    }

    /// Time for the C library, from JS: the epoch's for `os.time` and `os.date`; for
    /// `os.clock` (the C library's `clock()` reads the monotonic clock), the time since
    /// the VM was made, as a native C library counts from the start of the process.
    fn now_ns(id: u32) -> u64 {
        let ms = if id == clock_id::REALTIME { js_sys::Date::now() } else { crate::WasmHost::now_ms() - START.get() };
        (ms.max(0.0) * 1e6) as u64
    }

    pub fn install() {
        START.set(crate::WasmHost::now_ms());
        lua_persistent_sys::set_clock(now_ns);
    }
}

thread_local! {
    /// The VM `__lp_prepare` made into the module's memory image at build time
    /// (scripts/preinit.js), taken by the instance's first `Vm::new` that it can serve.
    static PREPARED: std::cell::Cell<Option<Engine<WasmHost>>> = const { std::cell::Cell::new(None) };
}

/// Called once by the build (scripts/preinit.js), never by the package: makes the VM
/// that every instance of the module then starts with (docs/design.md, "The prepared
/// VM"). Returns 1 when it did.
#[no_mangle]
pub extern "C" fn __lp_prepare() -> u32 {
    // No clock yet (`clock::install`): Lua's own seeding then reads the time as 0, and
    // the image is the same at every build. `Vm::new` installs it.
    match Engine::prepare() {
        Ok(engine) => {
            PREPARED.set(Some(engine));
            1
        }
        Err(_) => 0,
    }
}

#[wasm_bindgen]
pub struct Vm {
    engine: Engine<WasmHost>,
}

fn read_f64(o: &JsValue, k: &str) -> f64 {
    js_sys::Reflect::get(o, &JsValue::from_str(k)).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
}

#[wasm_bindgen]
impl Vm {
    /// `options`: `{ stdlib, memoryLimit, timeout, instructionLimit, storageLimit }` (validated by the
    /// JS layer). Every other method takes the JS layer's `hooks` object first.
    #[wasm_bindgen(constructor)]
    pub fn new(_hooks: JsValue, options: JsValue) -> Result<Vm, JsValue> {
        #[cfg(target_arch = "wasm32")]
        clock::install();
        let stdlib = js_sys::Reflect::get(&options, &"stdlib".into()).ok().and_then(|v| v.as_string());
        let interruptible = js_sys::Reflect::get(&options, &"interruptBuffer".into()).is_ok_and(|v| v.is_object());
        let options = Options::from_js(
            stdlib.as_deref().unwrap_or("safe"),
            read_f64(&options, "memoryLimit"),
            read_f64(&options, "timeout"),
            read_f64(&options, "instructionLimit"),
            read_f64(&options, "storageLimit"),
            interruptible,
        );
        let prepared = if Engine::<WasmHost>::prepared_for(&options) { PREPARED.take() } else { None };
        let engine = match prepared {
            Some(engine) => engine.configure(options),
            None => Engine::new(options),
        };
        Ok(Vm { engine: engine.map_err(|e| JsValue::from_str(&e.message))? })
    }

    fn finish(&self, h: &mut WasmHost, out: Outcome<JsValue>, mode: Mode) -> Result<JsValue, JsValue> {
        report::finish(h, &self.engine, out, mode)
    }

    fn fail(&self, h: &mut WasmHost, e: &LuaError) -> JsValue {
        report::fail(h, &self.engine, e)
    }

    /// Runs a chunk. mode: 0 first value, 1 all values, 2 run report.
    pub fn exec(&self, hooks: JsValue, code: &str, chunk_name: Option<String>, timeout: Option<f64>, mode: u32, echo: bool) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let call = CallOptions { chunk_name, timeout_ms: timeout, echo };
        let mode = Mode::from_u32(mode);
        let out = self.engine.exec(&mut h, code.as_bytes(), &call, mode.want());
        self.finish(&mut h, out, mode)
    }

    #[wasm_bindgen(js_name = callGlobal)]
    pub fn call_global(&self, hooks: JsValue, name: &str, args: Vec<JsValue>, mode: u32, echo: bool) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let call = CallOptions { echo, ..Default::default() };
        let mode = Mode::from_u32(mode);
        let out = self.engine.call_global(&mut h, name, &args, &call, mode.want());
        self.finish(&mut h, out, mode)
    }

    #[wasm_bindgen(js_name = callRef)]
    pub fn call_ref(&self, hooks: JsValue, id: u32, args: Vec<JsValue>, timeout: Option<f64>, mode: u32, echo: bool) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let call = CallOptions { echo, timeout_ms: timeout, chunk_name: None };
        let mode = Mode::from_u32(mode);
        let out = self.engine.call_ref(&mut h, id, &args, &call, mode.want());
        self.finish(&mut h, out, mode)
    }

    /// Compiles a chunk for `callRef`; throws the syntax error as `exec` would.
    pub fn compile(&self, hooks: JsValue, code: &str, chunk_name: Option<String>) -> Result<u32, JsValue> {
        self.engine.compile(code.as_bytes(), chunk_name.as_deref()).map_err(|e| self.fail(&mut WasmHost::new(hooks), &e))
    }

    #[wasm_bindgen(js_name = releaseRef)]
    pub fn release_ref(&self, id: u32) {
        self.engine.release_ref(id);
    }

    #[wasm_bindgen(js_name = setGlobal)]
    pub fn set_global(&self, hooks: JsValue, name: &str, value: JsValue) -> Result<(), JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.set_global(&mut h, name, &value).map_err(|e| self.fail(&mut h, &e))
    }

    #[wasm_bindgen(js_name = getGlobal)]
    pub fn get_global(&self, hooks: JsValue, name: &str) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.get_global(&mut h, name).map_err(|e| self.fail(&mut h, &e))
    }

    pub fn memory(&self, hooks: JsValue) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        match self.engine.memory() {
            Ok(m) => report::memory(&mut h, &m).map_err(|e| JsValue::from_str(&e.message)),
            Err(e) => Err(self.fail(&mut h, &e)),
        }
    }

    pub fn gc(&self, hooks: JsValue) -> Result<(), JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.gc().map_err(|e| self.fail(&mut h, &e))
    }

    pub fn reset(&self, hooks: JsValue) -> Result<(), JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.reset().map_err(|e| self.fail(&mut h, &e))
    }

    pub fn close(&self) {
        self.engine.close();
    }

    /// Executes `unreachable`, for the tests of trap recovery; nothing else calls it.
    #[wasm_bindgen(js_name = __trapForTests)]
    pub fn trap_for_tests(&self) {
        #[cfg(target_arch = "wasm32")]
        core::arch::wasm32::unreachable();
    }

    #[wasm_bindgen(js_name = takeDirty)]
    pub fn take_dirty(&self) -> bool {
        self.engine.take_dirty()
    }

    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.engine.is_closed()
    }

    pub fn snapshot(&self, hooks: JsValue) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        match self.engine.snapshot(&mut h) {
            Ok(bytes) => h.bytes(&bytes).map_err(|e| JsValue::from_str(&e.message)),
            Err(e) => Err(self.fail(&mut h, &e)),
        }
    }

    pub fn restore(&self, hooks: JsValue, bytes: JsValue) -> Result<(), JsValue> {
        let mut h = WasmHost::new(hooks);
        let data = match h.inspect(&bytes) {
            Ok(JsKind::Bytes(b)) => b,
            _ => return Err(js_sys::TypeError::new("restore() expects a Uint8Array").into()),
        };
        self.engine.restore(&mut h, &data).map_err(|e| self.fail(&mut h, &e))
    }

    /// `startAsync(hooks, kind, target, chunkName, args, timeout, mode, echo)`: kind 0 runs
    /// `target` as a chunk, 1 calls the global `target`, 2 the Lua function with id
    /// `target`. See `Engine::start_async`; the result is `{ pending }` or `{ done }`.
    #[wasm_bindgen(js_name = startAsync)]
    #[allow(clippy::too_many_arguments)]
    pub fn start_async(&self, hooks: JsValue, kind: u32, target: JsValue, chunk_name: Option<String>, args: Vec<JsValue>, timeout: Option<f64>, mode: u32, echo: bool) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let call = CallOptions { chunk_name, timeout_ms: timeout, echo };
        let mode = Mode::from_u32(mode);
        let text = target.as_string();
        let target = match (kind, &text) {
            (0, Some(code)) => AsyncTarget::Chunk(code.as_bytes()),
            (1, Some(name)) => AsyncTarget::Global(name),
            (2, _) => AsyncTarget::Ref(target.as_f64().unwrap_or(0.0) as u32),
            _ => return Err(js_sys::TypeError::new("startAsync: bad target").into()),
        };
        let step = self.engine.start_async(&mut h, target, &args, &call, mode.want());
        report::finish_step(&mut h, &self.engine, step, mode)
    }

    /// See `Engine::resume_async`.
    #[wasm_bindgen(js_name = resumeAsync)]
    pub fn resume_async(&self, hooks: JsValue, fulfilled: bool, value: JsValue, message: &str, mode: u32) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let mode = Mode::from_u32(mode);
        let step = self.engine.resume_async(&mut h, fulfilled, &value, message);
        report::finish_step(&mut h, &self.engine, step, mode)
    }

    /// See `Engine::cancel_async`.
    #[wasm_bindgen(js_name = cancelAsync)]
    pub fn cancel_async(&self, hooks: JsValue) {
        let mut h = WasmHost::new(hooks);
        self.engine.cancel_async(&mut h);
    }

    /// See `Engine::define_module`.
    #[wasm_bindgen(js_name = defineModule)]
    pub fn define_module(&self, hooks: JsValue, name: &str, value: JsValue, source: bool) -> Result<(), JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.define_module(&mut h, name, &value, source).map_err(|e| self.fail(&mut h, &e))
    }

    /// `openLog(hooks, snapshot | undefined, log | undefined)`: see `Engine::open_log`.
    #[wasm_bindgen(js_name = openLog)]
    pub fn open_log(&self, hooks: JsValue, snapshot: JsValue, log: JsValue) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        let mut bytes = |v: &JsValue| optional_bytes(&mut h, v).ok_or_else(|| JsValue::from(js_sys::TypeError::new("openLog() expects Uint8Arrays")));
        let (snapshot, log) = (bytes(&snapshot)?, bytes(&log)?.unwrap_or_default());
        self.engine.open_log(&mut h, snapshot.as_deref(), &log).map_err(|e| self.fail(&mut h, &e))
    }

    /// `sharedOp(hooks, op, bytes | undefined)`: see `Engine::shared_op`.
    #[wasm_bindgen(js_name = sharedOp)]
    pub fn shared_op(&self, hooks: JsValue, op: u32, input: JsValue) -> Result<JsValue, JsValue> {
        let op = SharedOp::from_u32(op).ok_or_else(|| JsValue::from(js_sys::TypeError::new("sharedOp(): unknown operation")))?;
        let mut h = WasmHost::new(hooks);
        let input = optional_bytes(&mut h, &input).ok_or_else(|| JsValue::from(js_sys::TypeError::new("sharedOp() expects a Uint8Array")))?;
        self.engine.shared_op(&mut h, op, input.as_deref()).map_err(|e| self.fail(&mut h, &e))
    }

    /// See `Engine::take_record`.
    #[wasm_bindgen(js_name = takeRecord)]
    pub fn take_record(&self, hooks: JsValue) -> Result<JsValue, JsValue> {
        let mut h = WasmHost::new(hooks);
        self.engine.take_record(&mut h).map_err(|e| self.fail(&mut h, &e))
    }
}

/// Rust allocations go to the C library's malloc (one allocator in the module, not two).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static GLOBAL: lua_persistent_sys::LibcAlloc = lua_persistent_sys::LibcAlloc;
