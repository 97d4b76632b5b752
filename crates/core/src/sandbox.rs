//! Creating a Lua state with the chosen standard library (DESIGN.md "Safety by default").

use std::rc::Rc;

use mlua::{Lua, LuaOptions, MultiValue, StdLib};

use crate::host::Host;
use crate::options::{Options, Stdlib};
use crate::shared::Shared;

/// Trims the libraries to the safe set: no file or process access, no binary chunks,
/// no debug library beyond `debug.traceback`, `collectgarbage` limited to harmless options,
/// no `__gc` finalizers (they could run unbounded code outside any call's limits).
const RESTRICT: &str = r#"
local raw_load, select, cg, error, tostring = load, select, collectgarbage, error, tostring
os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
debug = { traceback = debug.traceback }
dofile, loadfile = nil, nil
string.dump = nil
load = function(chunk, name, mode, ...)
  if select('#', ...) > 0 then return raw_load(chunk, name, 't', ...) end
  return raw_load(chunk, name, 't')
end
-- setmetatable is replaced in Rust (`safe_setmetatable`): no __gc finalizers.
local allowed = { collect = true, count = true, step = true, isrunning = true }
collectgarbage = function(opt, ...)
  if opt == nil then opt = 'collect' end
  if not allowed[opt] then
    error("collectgarbage('" .. tostring(opt) .. "') is not available in the safe stdlib", 2)
  end
  return cg(opt, ...)
end
"#;

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
    if options.stdlib == Stdlib::Safe {
        lua.load(RESTRICT).set_name("=sandbox").exec()?;
        lua.globals().raw_set("setmetatable", safe_setmetatable(&lua)?)?;
    }
    crate::plain::install(&lua, shared)?;
    lua.set_app_data(shared.clone());
    install_print(&lua, shared)?;
    crate::ext::install(&lua, shared)?;
    if options.memory_limit > 0 {
        lua.set_memory_limit(options.memory_limit)?;
    }
    Ok(lua)
}

/// Lua's `setmetatable` refusing metatables with a `__gc` field (`csrc/luap_safe.c` in
/// lua-sys): finalizers run whenever the collector decides, also inside host calls that
/// arm no timeout (`gc()`, `close()`, `reset()`, an allocating `setGlobal`), so a looping
/// `__gc` could hang the host. In C, so metatable-heavy code pays nothing for the check.
fn safe_setmetatable(lua: &Lua) -> mlua::Result<mlua::Function> {
    type Raw = unsafe extern "C-unwind" fn(*mut std::ffi::c_void) -> std::ffi::c_int;
    // SAFETY: a lua_CFunction (it takes a lua_State*), declared with an opaque pointer
    // only because lua-sys does not depend on mlua-sys.
    unsafe {
        let f = std::mem::transmute::<Raw, mlua::ffi::lua_CFunction>(lua_persistent_sys::luap_safe_setmetatable);
        lua.create_c_function(f)
    }
}

/// `print` writes to the call's captured output (and to the host when echo is on),
/// formatting arguments exactly as Lua's own print does (tostring, tab-separated).
fn install_print<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let tostring: mlua::Function = lua.globals().get("tostring")?;
    let shared = shared.clone();
    let print = lua.create_function(move |_, args: MultiValue| {
        let mut line = Vec::new();
        for (i, a) in args.into_iter().enumerate() {
            if i > 0 {
                line.push(b'\t');
            }
            let s: mlua::String = tostring.call(a)?;
            line.extend_from_slice(&s.as_bytes());
        }
        let line = String::from_utf8_lossy(&line);
        let echo = {
            let mut out = shared.output.borrow_mut();
            out.push_line(&line);
            out.echo
        };
        if echo {
            shared.host()?.print(&line);
        }
        Ok(())
    })?;
    lua.globals().raw_set("print", print)
}
