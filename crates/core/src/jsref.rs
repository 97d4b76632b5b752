//! Live JS references: `ref(value)` passes a JS object, function or class to Lua as a
//! proxy (docs/design.md "Live references"), where plain values are copied.
//!
//! A reference is a Lua table with a shared, hidden metatable; its JS value sits in a
//! slot, found by the table's address in `Shared::js_refs` and freed by `__gc`. Every
//! operation is one call of the JS layer's `hooks.refOp` (lib/ref.js: property get and
//! set, `Reflect.apply`, `Reflect.construct`, `Object.keys`), so getters, setters,
//! Proxies and exceptions behave as in JS; an exception is a Lua error with the JS
//! exception as cause, as a throwing callback's is. What the rules are lives here:
//! reads give functions as methods bound to the object they were read from (a `:` call
//! passes the reference itself first, which is dropped), other objects as references
//! (so `r.config.port = 80` writes through), arrays, Maps and primitives as copies;
//! `Class.new(...)` constructs.

use std::rc::Rc;

use mlua::{Lua, MultiValue, Table, Value};

use crate::convert::{host_err, FromJs, ToJs};
use crate::error::Raised;
use crate::host::{Host, JsKind};
use crate::shared::{lua_position, Scope, Shared, SlotOwner};

/// `hooks.refOp` codes (lib/ref.js).
const GET: f64 = 0.0;
const SET: f64 = 1.0;
const APPLY: f64 = 2.0;
const CONSTRUCT: f64 = 3.0;
const KEYS: f64 = 4.0;
const TYPE: f64 = 5.0;

/// Wraps the JS value `target` (an object or function) as a reference for Lua.
pub(crate) fn wrap<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, target: &H::Value) -> mlua::Result<Value> {
    let slot = shared.alloc_slot();
    h.slot_set(slot, target).map_err(host_err)?;
    let t = lua.create_table()?;
    t.set_metatable(Some(metatable(lua, shared)?))?;
    shared.js_refs.borrow_mut().insert(t.to_pointer() as usize, slot);
    Ok(Value::Table(t))
}

/// The slot of the JS value a Lua table stands for, if it is a reference.
pub(crate) fn slot_of<H: Host>(shared: &Shared<H>, t: &Table) -> Option<u32> {
    let refs = shared.js_refs.borrow();
    if refs.is_empty() {
        return None;
    }
    refs.get(&(t.to_pointer() as usize)).copied()
}

fn target<H: Host + 'static>(shared: &Shared<H>, h: &mut H, v: &Value) -> mlua::Result<H::Value> {
    let slot = match v {
        Value::Table(t) => slot_of(shared, t),
        _ => None,
    };
    let slot = slot.ok_or_else(|| Raised::Runtime("expected a JS reference".into()).into_lua())?;
    h.slot_get(slot).map_err(host_err)
}

/// One `hooks.refOp` call; a JS exception is a Lua error at the script's line.
fn op<H: Host + 'static>(lua: &Lua, shared: &Shared<H>, h: &mut H, code: f64, args: [H::Value; 3]) -> mlua::Result<H::Value> {
    let f = h.hook_value("refOp").map_err(host_err)?;
    let code = h.number(code).map_err(host_err)?;
    let [t, a, b] = args;
    h.call(&f, &[code, t, a, b]).map_err(|e| crate::convert::call_failure(h, shared, &lua_position(lua), e))
}

/// `v` in a slot that lives as long as the returned owner (a Lua function's closure).
fn keep<H: Host>(shared: &Rc<Shared<H>>, h: &mut H, v: &H::Value) -> mlua::Result<SlotOwner<H>> {
    let slot = shared.alloc_slot();
    h.slot_set(slot, v).map_err(host_err)?;
    Ok(SlotOwner::new(shared, slot))
}

fn array<H: Host>(h: &mut H, values: &[H::Value]) -> mlua::Result<H::Value> {
    let a = h.new_array(values.len() as u32).map_err(host_err)?;
    for (i, v) in values.iter().enumerate() {
        h.array_set(&a, i as u32, v).map_err(host_err)?;
    }
    Ok(a)
}

/// A value read through a reference, as Lua gets it (see the module's doc); `this` is
/// the object it was read from.
fn live<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, v: &H::Value, this: Option<&H::Value>) -> mlua::Result<Value> {
    match h.inspect(v).map_err(host_err)? {
        JsKind::Function => method(lua, shared, h, v, this),
        JsKind::Object | JsKind::Thenable => wrap(lua, shared, h, v),
        kind => FromJs { host: h, shared, lua }.value_of(v, kind, 0),
    }
}

/// The JS function `f` as a Lua function calling it with `this` (a `:` call's first
/// argument, the reference itself, is dropped).
fn method<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, f: &H::Value, this: Option<&H::Value>) -> mlua::Result<Value> {
    let undefined = h.undefined().map_err(host_err)?;
    let pair = array(h, &[f.clone(), this.cloned().unwrap_or(undefined)])?;
    let owner = keep(shared, h, &pair)?;
    let sh = shared.clone();
    let call = crate::plain::function(lua, shared, move |lua, args: MultiValue| {
        let host = sh.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let pair = h.slot_get(owner.slot).map_err(host_err)?;
        let f = h.array_get(&pair, 0).map_err(host_err)?;
        let this = h.array_get(&pair, 1).map_err(host_err)?;
        let args = js_args(&sh, h, &this, args)?;
        let result = op(lua, &sh, h, APPLY, [f, this.clone(), args])?;
        Ok(MultiValue::from(vec![live(lua, &sh, h, &result, None)?]))
    })?;
    Ok(Value::Function(call))
}

/// Lua arguments as a JS array; a first argument that is the reference to `this` (a
/// `:` call) is dropped.
fn js_args<H: Host + 'static>(shared: &Rc<Shared<H>>, h: &mut H, this: &H::Value, args: MultiValue) -> mlua::Result<H::Value> {
    let mut args: Vec<Value> = args.into_iter().collect();
    if let Some(Value::Table(t)) = args.first() {
        if let Some(slot) = slot_of(shared, t) {
            let first = h.slot_get(slot).map_err(host_err)?;
            if h.same(&first, this).map_err(host_err)? {
                args.remove(0);
            }
        }
    }
    let mut conv = ToJs::new(h, shared);
    let values = args.iter().map(|a| conv.value(a)).collect::<mlua::Result<Vec<_>>>()?;
    array(h, &values)
}

/// A metamethod's work: Lua's arguments, with the host of the call at hand. A plain
/// function pointer, so all metamethods share one instantiation of the wrapper.
type Meta<H> = fn(&Lua, &Rc<Shared<H>>, &mut H, MultiValue) -> mlua::Result<MultiValue>;

/// `mt[name]` runs `m`.
fn set_meta<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, mt: &Table, name: &str, m: Meta<H>) -> mlua::Result<()> {
    let sh = shared.clone();
    let f = crate::plain::function(lua, shared, move |lua, args: MultiValue| {
        let host = sh.host()?;
        let s = Scope::open(host);
        m(lua, &sh, &mut *s.host, args)
    })?;
    mt.raw_set(name, f)
}

fn arg(args: &MultiValue, i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

fn one(v: Value) -> MultiValue {
    MultiValue::from(vec![v])
}

/// The references' metatable, made with the first one.
fn metatable<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<Table> {
    if let Some(mt) = shared.ref_mt.borrow().as_ref() {
        return Ok(mt.clone());
    }
    let mt = lua.create_table()?;
    set_meta(lua, shared, &mt, "__index", index::<H>)?;
    set_meta(lua, shared, &mt, "__newindex", |lua, sh, h, args| {
        let obj = target(sh, h, arg(&args, 0))?;
        let mut conv = ToJs::new(h, sh);
        let jk = conv.value(arg(&args, 1))?;
        let jv = conv.value(arg(&args, 2))?;
        op(lua, sh, h, SET, [obj, jk, jv])?;
        Ok(MultiValue::new())
    })?;
    set_meta(lua, shared, &mt, "__call", |lua, sh, h, args| {
        let mut args: Vec<Value> = args.into_iter().collect();
        let t = if args.is_empty() { Value::Nil } else { args.remove(0) };
        let f = target(sh, h, &t)?;
        let undefined = h.undefined().map_err(host_err)?;
        let js = js_args(sh, h, &undefined, args.into_iter().collect())?;
        let result = op(lua, sh, h, APPLY, [f, undefined, js])?;
        Ok(one(live(lua, sh, h, &result, None)?))
    })?;
    set_meta(lua, shared, &mt, "__len", |lua, sh, h, args| {
        let obj = target(sh, h, arg(&args, 0))?;
        let k = h.string("length").map_err(host_err)?;
        let v = get(lua, sh, h, obj, k)?;
        Ok(one(FromJs { host: h, shared: sh, lua }.value(&v, 0)?))
    })?;
    set_meta(lua, shared, &mt, "__eq", |_, sh, h, args| {
        // Lua calls it for a reference and any other table: that one may be plain.
        let same = match (target(sh, h, arg(&args, 0)), target(sh, h, arg(&args, 1))) {
            (Ok(a), Ok(b)) => h.same(&a, &b).map_err(host_err)?,
            _ => false,
        };
        Ok(one(Value::Boolean(same)))
    })?;
    set_meta(lua, shared, &mt, "__tostring", |lua, sh, h, args| {
        let obj = target(sh, h, arg(&args, 0))?;
        let undefined = h.undefined().map_err(host_err)?;
        let t = op(lua, sh, h, TYPE, [obj, undefined.clone(), undefined])?;
        let name = match h.inspect(&t).map_err(host_err)? {
            JsKind::String(s) => s,
            _ => "object".into(),
        };
        Ok(one(Value::String(lua.create_string(format!("js {name}"))?)))
    })?;
    set_meta(lua, shared, &mt, "__pairs", pairs::<H>)?;
    mt.raw_set("__gc", crate::shared::c_function(lua, shared, gc::<H>)?)?;
    mt.raw_set("__metatable", false)?;
    *shared.ref_mt.borrow_mut() = Some(mt.clone());
    Ok(mt)
}

/// `obj[k]` through `hooks.refOp`.
fn get<H: Host + 'static>(lua: &Lua, shared: &Shared<H>, h: &mut H, obj: H::Value, k: H::Value) -> mlua::Result<H::Value> {
    let undefined = h.undefined().map_err(host_err)?;
    op(lua, shared, h, GET, [obj, k, undefined])
}

/// `__index`: a property as Lua gets it (see the module's doc), or a constructor for
/// `Class.new` when the class has no `new` of its own.
fn index<H: Host + 'static>(lua: &Lua, sh: &Rc<Shared<H>>, h: &mut H, args: MultiValue) -> mlua::Result<MultiValue> {
    let obj = target(sh, h, arg(&args, 0))?;
    let k = arg(&args, 1).clone();
    let jk = ToJs::new(h, sh).value(&k)?;
    let v = get(lua, sh, h, obj.clone(), jk)?;
    if matches!(k, Value::String(ref s) if s.as_bytes() == b"new") && matches!(h.inspect(&v).map_err(host_err)?, JsKind::Undefined) {
        return Ok(one(constructor(lua, sh, h, &obj)?));
    }
    Ok(one(live(lua, sh, h, &v, Some(&obj))?))
}

/// `__pairs`: the object's own enumerable string keys, listed when the loop starts,
/// their values read as the loop reaches them.
fn pairs<H: Host + 'static>(lua: &Lua, sh: &Rc<Shared<H>>, h: &mut H, args: MultiValue) -> mlua::Result<MultiValue> {
    let t = arg(&args, 0).clone();
    let obj = target(sh, h, &t)?;
    let undefined = h.undefined().map_err(host_err)?;
    let keys = op(lua, sh, h, KEYS, [obj, undefined.clone(), undefined])?;
    let keys: Vec<String> = match h.inspect(&keys).map_err(host_err)? {
        JsKind::Array(n) => (0..n)
            .map(|i| h.array_get(&keys, i).and_then(|k| h.inspect(&k)))
            .filter_map(|k| match k {
                Ok(JsKind::String(s)) => Some(Ok(s)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()
            .map_err(host_err)?,
        _ => Vec::new(),
    };
    let pos = std::cell::Cell::new(0usize);
    let sh2 = sh.clone();
    let next = crate::plain::function(lua, sh, move |lua, args: MultiValue| {
        let i = pos.get();
        let Some(key) = keys.get(i) else { return Ok(one(Value::Nil)) };
        pos.set(i + 1);
        let host = sh2.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let obj = target(&sh2, h, arg(&args, 0))?;
        let jk = h.string(key).map_err(host_err)?;
        let v = get(lua, &sh2, h, obj.clone(), jk)?;
        let v = live(lua, &sh2, h, &v, Some(&obj))?;
        Ok(MultiValue::from(vec![Value::String(lua.create_string(key)?), v]))
    })?;
    Ok(MultiValue::from(vec![Value::Function(next), t, Value::Nil]))
}

/// Frees a reference's slot when Lua collects its table. A C function touching no mlua
/// handle: it also runs while `lua_close` frees the state, when those panic.
///
/// # Safety
/// Called by Lua only, as the references' `__gc`, made by `c_function` for this `H`.
unsafe extern "C-unwind" fn gc<H: Host + 'static>(state: *mut mlua::ffi::lua_State) -> std::ffi::c_int {
    // SAFETY: the function's contract; the table being collected is argument 1.
    let (shared, addr) = unsafe { (crate::shared::shared_at::<H>(state), mlua::ffi::lua_topointer(state, 1) as usize) };
    crate::shared::contain(shared, (), || {
        let slot = shared.js_refs.borrow_mut().remove(&addr);
        if let Some(slot) = slot {
            shared.release_later(slot);
        }
    });
    0
}

/// `Class.new(...)`: constructs the class the reference holds.
fn constructor<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, class: &H::Value) -> mlua::Result<Value> {
    let owner = keep(shared, h, class)?;
    let sh = shared.clone();
    let f = crate::plain::function(lua, shared, move |lua, args: MultiValue| {
        let host = sh.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let class = h.slot_get(owner.slot).map_err(host_err)?;
        let args = js_args(&sh, h, &class, args)?;
        let undefined = h.undefined().map_err(host_err)?;
        let made = op(lua, &sh, h, CONSTRUCT, [class, undefined, args])?;
        Ok(MultiValue::from(vec![live(lua, &sh, h, &made, None)?]))
    })?;
    Ok(Value::Function(f))
}

/// The reference a JS value converted to Lua stands for, when it is a `ref(...)`: asked
/// of plain objects only (the JS layer's `hooks.refTarget`).
pub(crate) fn from_js<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, v: &H::Value) -> mlua::Result<Option<Value>> {
    let f = h.hook_value("refTarget").map_err(host_err)?;
    let t = h.call(&f, std::slice::from_ref(v)).map_err(|e| Raised::Runtime(e.message).into_lua())?;
    match h.inspect(&t).map_err(host_err)? {
        JsKind::Undefined => Ok(None),
        _ => wrap(lua, shared, h, &t).map(Some),
    }
}
