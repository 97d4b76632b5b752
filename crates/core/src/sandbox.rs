//! Creating a Lua state with the chosen standard library (docs/design.md "Safety by default").

use std::rc::Rc;

use mlua::{Lua, LuaOptions, MultiValue, StdLib};

use crate::host::Host;
use crate::options::{Options, Stdlib};
use crate::shared::Shared;

pub(crate) fn new_lua<H: Host + 'static>(options: &Options, shared: &Rc<Shared<H>>) -> mlua::Result<Lua> {
    let libs = match options.stdlib {
        Stdlib::Safe => {
            StdLib::COROUTINE | StdLib::TABLE | StdLib::STRING | StdLib::UTF8 | StdLib::MATH | StdLib::OS | StdLib::DEBUG
        }
        Stdlib::All => StdLib::ALL,
    };
    // SAFETY: `unsafe_new_with` only allows loading the debug library (needed for
    // debug.traceback); the safe profile removes everything else from it below.
    let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new()) };
    crate::plain::install(&lua, shared)?;
    if options.stdlib == Stdlib::Safe {
        restrict(&lua)?;
    } else {
        install_exit(&lua, shared)?;
    }
    lua.set_app_data(shared.clone());
    crate::print::install(&lua, shared)?;
    crate::ext::install(&lua, shared)?;
    crate::limits::install(&lua, shared)?;
    apply(&lua, options, shared)?;
    Ok(lua)
}

/// What a made state takes from the host and the options, once everything is
/// installed: the host's seeds, then the storage and memory limits. Run by `new_lua`, and
/// by `Engine::configure` for a state made before its options (the prepared VM).
pub(crate) fn apply<H: Host>(lua: &Lua, options: &Options, shared: &Shared<H>) -> mlua::Result<()> {
    seed(shared)?;
    shared.storage_limit.set(options.storage_limit);
    if options.memory_limit > 0 {
        lua.set_memory_limit(usize::try_from(options.memory_limit).unwrap_or(usize::MAX))?;
    }
    Ok(())
}

/// Gives a state that ran no code yet the host's seeds ([`Host::seeds`]), if it has
/// any: one C call, lua-sys's `luap_seed`, which rehashes the strings and every table's
/// hash part for the new string-hash seed, then calls `math.randomseed`. Before any
/// memory limit applies: the rehash reallocates every table's hash part.
fn seed<H: Host>(shared: &Shared<H>) -> mlua::Result<()> {
    let Some(seeds) = H::seeds() else { return Ok(()) };
    let state = shared.tick_state.get();
    // SAFETY: `state` is the live state's main thread (set by limits::install), which
    // runs nothing now; luap_seed calls Lua in protected mode only and leaves the stack
    // as it found it.
    if state.is_null() || unsafe { lua_persistent_sys::luap_seed(state, seeds[0], seeds[1]) } != 0 {
        return Err(mlua::Error::MemoryError("not enough memory to seed the new VM".into()));
    }
    Ok(())
}

/// One of lua-sys's C functions as a Lua function.
pub(crate) fn sys_function(lua: &Lua, f: lua_persistent_sys::CFunction) -> mlua::Result<mlua::Function> {
    // SAFETY: see `sys_cfunction`.
    unsafe { lua.create_c_function(sys_cfunction(f)) }
}

/// One of lua-sys's C functions with mlua-sys's type.
pub(crate) fn sys_cfunction(f: lua_persistent_sys::CFunction) -> mlua::ffi::lua_CFunction {
    // SAFETY: lua-sys's functions are lua_CFunctions (they take a lua_State*), declared
    // with an opaque pointer only because lua-sys does not depend on mlua-sys, and use
    // only the Lua C API on the state they are given.
    unsafe { std::mem::transmute::<lua_persistent_sys::CFunction, mlua::ffi::lua_CFunction>(f) }
}

/// Applies the safe stdlib: `luap_restrict` in lua-sys's `csrc/luap_safe.c`, where what it
/// removes or wraps is listed.
///
/// In C, not a Lua chunk: on wasm, V8 charges its tier-up budget by the size of the loop
/// it runs, so the few dozen VM instructions of such a chunk sent the 30 KB interpreter
/// loop to V8's optimising compiler (~85 ms on a helper thread) at every cold start,
/// which slowed VM creation itself on a 2-core machine (15.5 -> 11.2 ms once in C,
/// medians of 21 interleaved pairs).
fn restrict(lua: &Lua) -> mlua::Result<()> {
    sys_function(lua, lua_persistent_sys::luap_restrict)?.call(())
}

/// `os.exit([code])` ends the call with a LuaError carrying `exitCode` instead of ending
/// the host process (see `limits::request_exit`). `code` as Lua's: `true` or none is 0,
/// `false` is 1, otherwise an integer.
fn install_exit<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let weak = Rc::downgrade(shared);
    let exit = crate::plain::function(lua, shared, move |lua, args: MultiValue| {
        let code = match args.front() {
            None | Some(mlua::Value::Nil) | Some(mlua::Value::Boolean(true)) => 0,
            Some(mlua::Value::Boolean(false)) => 1,
            Some(v) => match lua.coerce_integer(v.clone())? {
                Some(i) => i as i32,
                None => {
                    let m = format!("bad argument #1 to 'exit' (number expected, got {})", v.type_name());
                    return Err(crate::error::Raised::Runtime(m).into_lua());
                }
            },
        };
        match weak.upgrade() {
            Some(shared) => Err(crate::limits::request_exit(lua, &shared, code)),
            None => Ok(MultiValue::new()),
        }
    })?;
    let os: mlua::Table = lua.globals().get("os")?;
    os.raw_set("exit", exit)
}
