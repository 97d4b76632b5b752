//! `createLua({ modules })`: the modules a host gives its scripts (docs/design.md
//! "Modules"). Each is defined in Lua's own tables, as `package.preload` and
//! `package.loaded` would hold it: a Lua source is compiled once into a loader in the
//! registry's `_PRELOAD` table, a JS value is converted once into `_LOADED[name]`. With
//! stdlib `'all'`, Lua's own `require` finds them there; the safe stdlib, which has no
//! package library (no files, no C modules), gets a `require` that looks in those two
//! tables only, so a script reaches exactly the modules the host named.

use std::rc::Rc;

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::error::Raised;
use crate::host::Host;
use crate::shared::{lua_position, Shared};

const PRELOAD: &str = "_PRELOAD";
const LOADED: &str = "_LOADED";

/// Lua's registry table `name`, made when missing.
fn registry_table(lua: &Lua, name: &str) -> mlua::Result<Table> {
    match lua.named_registry_value::<Value>(name)? {
        Value::Table(t) => Ok(t),
        _ => {
            let t = lua.create_table()?;
            lua.set_named_registry_value(name, &t)?;
            Ok(t)
        }
    }
}

/// Defines module `name` from Lua source: compiled now (a syntax error is the host's to
/// see at `createLua`), run by the first `require`.
pub(crate) fn define_source<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, name: &str, code: &[u8]) -> mlua::Result<()> {
    let loader = crate::chunk::from_host(lua, code, name)?;
    registry_table(lua, PRELOAD)?.raw_set(name, loader)?;
    ensure_require(lua, shared)
}

/// Defines module `name` as a value (a JS value converted once: every `require` gives
/// the same Lua value, as a module's table is shared).
pub(crate) fn define_value<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, name: &str, value: Value) -> mlua::Result<()> {
    registry_table(lua, LOADED)?.raw_set(name, value)?;
    ensure_require(lua, shared)
}

/// Installs the safe stdlib's `require` when there is none (Lua's own, with stdlib
/// `'all'`, reads the same tables).
fn ensure_require<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let globals = lua.globals();
    if !matches!(globals.raw_get::<Value>("require")?, Value::Nil) {
        return Ok(());
    }
    let require = crate::plain::function(lua, shared, |lua, args: MultiValue| {
        let name = match args.front() {
            Some(Value::String(s)) => s.to_str()?.to_string(),
            Some(v @ (Value::Integer(_) | Value::Number(_))) => lua.coerce_string(v.clone())?.map(|s| s.to_string_lossy()).unwrap_or_default(),
            other => {
                let got = other.map_or("no value", |v| v.type_name());
                let at = lua_position(lua);
                return Err(Raised::Runtime(format!("{at}bad argument #1 to 'require' (string expected, got {got})")).into_lua());
            }
        };
        require(lua, &name)
    })?;
    globals.raw_set("require", require)
}

/// `require(name)` as Lua's, over the preload searcher only.
fn require(lua: &Lua, name: &str) -> mlua::Result<MultiValue> {
    let loaded = registry_table(lua, LOADED)?;
    let found: Value = loaded.raw_get(name)?;
    if !found.is_nil() {
        return Ok(MultiValue::from(vec![found]));
    }
    let loader = match registry_table(lua, PRELOAD)?.raw_get::<Value>(name)? {
        Value::Function(f) => f,
        _ => {
            let at = lua_position(lua);
            let message = format!("{at}module '{name}' not found: this VM was given no module of that name (createLua's modules option)");
            return Err(Raised::Runtime(message).into_lua());
        }
    };
    let result = run_loader(&loader, name)?;
    // As Lua's: a loader that returns nothing but set loaded[name] gives that; else true.
    let value = match (result, loaded.raw_get::<Value>(name)?) {
        (Value::Nil, Value::Nil) => Value::Boolean(true),
        (Value::Nil, set) => set,
        (v, _) => v,
    };
    loaded.raw_set(name, value.clone())?;
    Ok(MultiValue::from(vec![value, Value::String(lua.create_string(":preload:")?)]))
}

fn run_loader(loader: &Function, name: &str) -> mlua::Result<Value> {
    loader.call::<Value>((name, ":preload:"))
}
