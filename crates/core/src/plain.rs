//! Errors Lua code can handle like its own.
//!
//! mlua raises every Rust callback error as a userdata, which Lua code cannot
//! concatenate or compare (`"failed: " .. err` would itself fail). Callbacks that can
//! fail in ways scripts are expected to handle (a throwing JS function, a rejected ext
//! write) are therefore wrapped by a small Lua function that raises the message as a
//! plain string. The typed reason is remembered, keyed by that message, so the error
//! still reaches JS with its kind when the script does not catch it.

use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Value};

use crate::error::{ErrorKind, LuaError, Raised};
use crate::host::Host;
use crate::shared::Shared;

const REGISTRY_KEY: &str = "lua-persistent.plain";

/// Also defines the runners every top-level call goes through: results come back either
/// as one value or packed in a table, so a chunk returning hundreds of values never
/// overflows the C stack space mlua reserves for reading them.
///
/// The runners call the function from a register loaded by `...`, which Lua cannot name:
/// its traceback frame then has the shape lua.c's host call gives it ("in main chunk",
/// "in function <...>"), where a named local would show as "in local 'f'". In Lua, not
/// C: a C runner would spend one more level of Lua's C-call budget (200, shared by
/// nested calls between JS and Lua) per call. Calls without arguments (every `eval`)
/// have runners of their own, without the `select` (~14 ns a call).
///
/// JS functions get `wrap_await`: a callback that got a Promise in an async call returns
/// `AWAIT` and the Promise's slot, and the wrapper suspends the async call's coroutine
/// there (see awaits.rs), when it can: the code must run in that coroutine (not in one of
/// the script's own) and be able to yield (not inside a table.sort comparator, say).
///
/// VMs load it as bytecode (`precompiled::PLAIN`): edit here, then re-make that.
#[cfg(any(test, target_endian = "big"))]
pub(crate) const FACTORY: &str = r#"
local AWAIT, driver, cannot = ...
local error, pack, select = error, table.pack, select
local yield, isyieldable, running = coroutine.yield, coroutine.isyieldable, coroutine.running
local function check(ok, ...)
  if ok then return ... end
  error((...), 0)
end
local function wrap(rf)
  return function(...) return check(rf(...)) end
end
local function check_await(ok, ...)
  if ok then
    if (...) ~= AWAIT then return ... end
    if isyieldable() and running() == driver() then return check(yield(AWAIT, select(2, ...))) end
    return check(false, cannot(select(2, ...), isyieldable()))
  end
  error((...), 0)
end
local function wrap_await(rf)
  return function(...) return check_await(rf(...)) end
end
local function first(...) return ((...)(select(2, ...))) end
local function all(...) return pack((...)(select(2, ...))) end
local function first0(...) return ((...)()) end
local function all0(...) return pack((...)()) end
return wrap, wrap_await, first, all, first0, all0
"#;

/// The value a callback returns first to have its wrapper await a Promise (see
/// `FACTORY`): an address no Lua value can forge.
pub(crate) fn await_marker() -> mlua::LightUserData {
    static MARKER: u8 = 0;
    mlua::LightUserData(&MARKER as *const u8 as *mut std::ffi::c_void)
}

const AWAIT_KEY: &str = "lua-persistent.plain-await";

/// The runners of a Lua state, kept at hand (a registry lookup per call is measurable):
/// `[first, all]` for calls with arguments, then for calls without.
pub(crate) struct Runners([Function; 4]);

pub(crate) fn install<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let weak = Rc::downgrade(shared);
    let driver = lua.create_function(move |_, ()| Ok(weak.upgrade().and_then(|s| s.async_thread.borrow().clone())))?;
    let weak = Rc::downgrade(shared);
    let cannot = lua.create_function(move |lua, (slot, yieldable): (u32, bool)| Ok(crate::engine::awaits::cannot_wait(lua, &weak, slot, yieldable)))?;
    let (factory, wrap_await, first, all, first0, all0): (Function, Function, Function, Function, Function, Function) =
        crate::precompiled::PLAIN.load(lua)?.call((await_marker(), driver, cannot))?;
    *shared.runners.borrow_mut() = Some(Runners([first, all, first0, all0]));
    lua.set_named_registry_value(AWAIT_KEY, wrap_await)?;
    lua.set_named_registry_value(REGISTRY_KEY, factory)
}

/// As [`function`], for a JS function: its wrapper can await a Promise the function
/// returns in an async call (see `FACTORY`).
pub(crate) fn js_callable<H, F>(lua: &Lua, shared: &Rc<Shared<H>>, f: F) -> mlua::Result<Function>
where
    H: Host + 'static,
    F: Fn(&Lua, MultiValue) -> mlua::Result<MultiValue> + 'static,
{
    wrapped(lua, shared, Box::new(f), AWAIT_KEY)
}

/// Calls `f` with `args`; returns its first result only, or all of them.
pub(crate) fn call<H: Host>(shared: &Shared<H>, f: Function, args: MultiValue, all: bool) -> mlua::Result<MultiValue> {
    let which = usize::from(all) + 2 * usize::from(args.is_empty());
    let runner = match shared.runners.borrow().as_ref() {
        Some(r) => r.0[which].clone(),
        None => return Err(mlua::Error::RuntimeError("lua-persistent: VM not initialised".into())),
    };
    let mut full = MultiValue::with_capacity(args.len() + 1);
    full.push_back(Value::Function(f));
    full.extend(args);
    if !all {
        return runner.call(full);
    }
    let packed: mlua::Table = runner.call(full)?;
    let n: i64 = packed.raw_get("n")?;
    (1..=n).map(|i| packed.raw_get::<Value>(i)).collect()
}

fn raised_of(e: &mlua::Error) -> Option<&Raised> {
    match e {
        mlua::Error::ExternalError(inner) => inner.downcast_ref::<Raised>(),
        mlua::Error::CallbackError { cause, .. } => raised_of(cause),
        mlua::Error::WithContext { cause, .. } => raised_of(cause),
        _ => None,
    }
}

/// A Rust function as Lua calls it, boxed: one type, so one instantiation of mlua's
/// callback machinery for all of them.
type Callback = Box<dyn Fn(&Lua, MultiValue) -> mlua::Result<MultiValue>>;

/// What every callback of the core fails with while `lua_close` frees the state.
pub(crate) const CLOSING: &str = "the Lua VM is closing";

/// Whether `lua` is being freed: its last handle is dropping and `lua_close` runs the
/// pending finalizers, which may call the core's functions. mlua's handles (a
/// `Function` called, a `Table` read) then panic ("Lua instance is destroyed"), which
/// is an abort, and so a trap of the whole module, on wasm.
fn closing(lua: &Lua) -> bool {
    lua.weak().try_upgrade().is_none()
}

/// A Lua function running `f` whose ext and JS-call failures are plain string errors.
///
/// With [`handle_free`], the only way the core makes Rust functions for Lua (the fast
/// paths and finalizers that skip mlua's callback machinery are C functions, see
/// `shared::c_function`), so that the rule for a closing state lives here: while the
/// state is being freed, `f` is not run and the call fails with [`CLOSING`], a plain
/// string error like the others.
pub(crate) fn function<H, F>(lua: &Lua, shared: &Rc<Shared<H>>, f: F) -> mlua::Result<Function>
where
    H: Host + 'static,
    F: Fn(&Lua, MultiValue) -> mlua::Result<MultiValue> + 'static,
{
    // Boxed so that every wrapped callback shares one instantiation of mlua's callback
    // machinery (each closure type would otherwise add ~2 KB to the wasm module).
    wrapped(lua, shared, Box::new(f), REGISTRY_KEY)
}

/// `f` as `boxed` makes it, wrapped by the Lua factory kept under `factory_key`.
fn wrapped<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, f: Callback, factory_key: &str) -> mlua::Result<Function> {
    let inner = boxed(lua, shared, f)?;
    let factory: Function = lua.named_registry_value(factory_key)?;
    factory.call(inner)
}

/// As [`function`], wrapped in C (lua-sys's `luap_plaincall`) rather than in Lua: a
/// third cheaper to call, for the ext proxies' metamethods. Only for functions that
/// never call back into Lua: the C wrapper holds one level of Lua's C-call budget, which
/// calls nested between JS and Lua would otherwise spend twice per level.
pub(crate) fn method<H, F>(lua: &Lua, shared: &Rc<Shared<H>>, f: F) -> mlua::Result<Function>
where
    H: Host + 'static,
    F: Fn(&Lua, MultiValue) -> mlua::Result<MultiValue> + 'static,
{
    let inner = boxed(lua, shared, Box::new(f))?;
    let wrapper = crate::sandbox::sys_cfunction(lua_persistent_sys::luap_plaincall);
    // SAFETY: pushes one C closure taking `inner`, on top, as its one upvalue;
    // `exec_raw` checks the stack.
    unsafe { lua.exec_raw(&inner, |state| mlua::ffi::lua_pushcclosure(state, wrapper, 1)) }
}

/// A Rust function for Lua that also runs while the state is being freed, for what must
/// work then and touches no mlua handle: the limits' tick function, which stops
/// finalizers that loop at close (it reads only the clock and `Shared`).
///
/// Its errors are mlua's as usual (a timeout keeps its traceback), except while the
/// state is being freed: Lua then runs no finalizer for objects made after closing
/// began, mlua's error userdata among them, whose message would leak (found by the
/// `close_all` fuzz target); a plain string is freed with the state. Wrapped in C
/// (`luap_plaincall`), which raises it.
pub(crate) fn handle_free(lua: &Lua, f: Callback) -> mlua::Result<Function> {
    let inner = lua.create_function(move |lua, args: MultiValue| match f(lua, args) {
        Ok(values) => Ok((true, values)),
        Err(e) if closing(lua) => Ok((false, MultiValue::from(vec![Value::String(lua.create_string(e.to_string())?)]))),
        Err(e) => Err(e),
    })?;
    let wrapper = crate::sandbox::sys_cfunction(lua_persistent_sys::luap_plaincall);
    // SAFETY: as in `method`: one C closure with `inner` as its upvalue.
    unsafe { lua.exec_raw(&inner, |state| mlua::ffi::lua_pushcclosure(state, wrapper, 1)) }
}

/// The function both wrappers call: `true` and `f`'s results, or `false` and the
/// message of a failure that travels as a plain string. Returned as a pair, which mlua
/// pushes value by value: prepending the flag to the results' `MultiValue` reallocated
/// it, ~15% of a metamethod's call.
fn boxed<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, f: Callback) -> mlua::Result<Function> {
    let weak = Rc::downgrade(shared);
    lua.create_function(move |lua, args: MultiValue| {
        let result = if closing(lua) { Err(Raised::Runtime(CLOSING.into()).into_lua()) } else { contained(lua, &weak, &f, args) };
        match result {
            Ok(values) => Ok((true, values)),
            Err(e) => match weak.upgrade().and_then(|shared| remember(&shared, &e)) {
                // `create_string` goes through the state itself (not a handle): it works
                // while the state is being freed.
                Some(message) => Ok((false, MultiValue::from(vec![Value::String(lua.create_string(&message)?)]))),
                None => Err(e),
            },
        }
    })
}

/// Runs `f`. A panic in it is stopped here rather than by mlua, which would make it a
/// Lua error that a script's `pcall` catches (mlua's panic-proof `pcall` cannot yield
/// in coroutines): the VM is marked crashed, so the call fails with kind 'crashed'
/// whatever the script does (see `Engine::entry`).
fn contained<H: Host>(lua: &Lua, weak: &std::rc::Weak<Shared<H>>, f: &Callback, args: MultiValue) -> mlua::Result<MultiValue> {
    crate::shared::catch_panic(|| f(lua, args)).unwrap_or_else(|| {
        if let Some(shared) = weak.upgrade() {
            shared.crashed.set(true);
        }
        Err(mlua::Error::RuntimeError(crate::error::LuaError::crashed().message))
    })
}

/// The message of `e` as a plain string error, when it is one of the core's errors that
/// travel that way; its typed reason is remembered for [`recover_kind`].
pub(crate) fn remember<H: Host>(shared: &Shared<H>, e: &mlua::Error) -> Option<String> {
    match raised_of(e) {
        Some(r @ (Raised::Ext(_) | Raised::Runtime(_) | Raised::Quota(_) | Raised::Storage(_) | Raised::Host { .. })) => {
            let message = r.to_string();
            shared.last_raised.replace(Some((message.clone(), r.clone())));
            Some(message)
        }
        _ => None,
    }
}

/// Restores the kind of an error that crossed Lua as a plain string.
pub(crate) fn recover_kind<H: Host>(shared: &Shared<H>, err: &mut LuaError) {
    if err.kind != ErrorKind::Runtime {
        return;
    }
    if let Some((message, raised)) = shared.last_raised.borrow().as_ref() {
        if *message == err.message {
            err.kind = raised.kind();
            if let Raised::Host { exception_id, .. } = raised {
                err.exception_id = *exception_id;
            }
        }
    }
}
