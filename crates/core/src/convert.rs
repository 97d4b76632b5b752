//! Value conversion between Lua and JS, the rules of docs/design.md "Values":
//!
//! Lua -> JS: nil -> undefined; integers -> number, or BigInt beyond +-(2^53-1);
//! UTF-8 strings -> string, other byte strings -> Uint8Array; tables with keys exactly
//! 1..n -> Array; tables whose keys are all strings (and the empty table) -> plain
//! object; any other table -> Map. Metatables are ignored (raw contents). A table seen
//! twice becomes the same JS object, so shared subtables stay shared and cycles become
//! real JS cycles. Functions -> callable JS functions (first result, valid until
//! reset/close). ext proxies -> their live Map. Coroutines and other userdata ->
//! `{ luaType, description }`.
//!
//! JS -> Lua: undefined/null -> nil; integral numbers within +-(2^53-1) (not -0) ->
//! integer, other numbers -> float; BigInt -> integer (error outside i64); string;
//! Uint8Array and ArrayBuffer -> byte string; other typed arrays -> sequence of their
//! elements as `Array.from` gives them; Array -> sequence (holes -> nil); Map -> table;
//! Set -> `{ [member] = true }`; Error -> table of own enumerable properties plus `name`
//! and `message`; other objects (class instances too) -> table of own enumerable string
//! keys; functions -> Lua functions calling back into JS. Dates, DataViews, RegExps,
//! Weak* objects, boxed primitives, symbols and Promises are refused with an error that
//! says what to pass instead. JS values nested deeper than `MAX_DEPTH` (cyclic ones
//! included) are rejected with an error.

use std::ffi::c_void;
use std::rc::Rc;

use mlua::{Lua, MultiValue, Table, Value};

use crate::error::Raised;
use crate::host::{Host, HostError, JsKind, TypedArray, Unsupported};
use crate::shared::{lua_position, AddrMap, Scope, Shared, SlotOwner};

pub const MAX_DEPTH: usize = 200;

/// Strings from this length up are converted once per conversion (see `ToJs::string`);
/// shorter ones are cheaper to copy than to look up.
const SHARED_STRING_BYTES: usize = 1024;
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

fn conv_err(message: impl Into<String>) -> mlua::Error {
    mlua::Error::RuntimeError(message.into())
}

pub(crate) fn host_err(e: HostError) -> mlua::Error {
    Raised::Host { message: e.message, exception_id: None }.into_lua()
}

/// Lua -> JS, one call's worth of memo so identity is kept across a whole result.
pub(crate) struct ToJs<'a, H: Host> {
    pub host: &'a mut H,
    pub shared: &'a Rc<Shared<H>>,
    seen: AddrMap<*const c_void, H::Value>,
    depth: usize,
}

impl<'a, H: Host + 'static> ToJs<'a, H> {
    pub(crate) fn new(host: &'a mut H, shared: &'a Rc<Shared<H>>) -> Self {
        ToJs { host, shared, seen: AddrMap::default(), depth: 0 }
    }

    pub(crate) fn value(&mut self, v: &Value) -> mlua::Result<H::Value> {
        let h = &mut *self.host;
        let r = match v {
            Value::Nil => h.undefined(),
            Value::Boolean(b) => h.boolean(*b),
            Value::Integer(i) => integer(h, *i),
            Value::Number(n) => h.number(*n),
            Value::String(s) => return self.string(s),
            Value::Table(t) => return self.table(t),
            Value::Function(f) => {
                let id = self.shared.add_ref(f.clone());
                h.lua_function(id)
            }
            Value::UserData(ud) => match crate::proxy::of(self.shared, ud) {
                Some(p) => h.slot_get(p.owner.slot),
                None => return self.opaque("userdata", v),
            },
            Value::Thread(_) => return self.opaque("thread", v),
            Value::LightUserData(_) => return self.opaque("userdata", v),
            Value::Error(e) => h.string(&e.to_string()),
            _ => return self.opaque("unknown", v),
        };
        r.map_err(host_err)
    }

    /// A Lua string as a JS string (or Uint8Array). A long one met again in the same
    /// conversion is the same JS value: JS strings are immutable, so sharing is invisible,
    /// and a table holding one big string a thousand times costs the host one copy, as
    /// it costs Lua one. (Uint8Arrays are mutable, but Lua strings are values, so
    /// sharing one between entries of a result is as good as copies.) Charged to the
    /// call's limits like any copy.
    fn string(&mut self, s: &mlua::String) -> mlua::Result<H::Value> {
        let bytes = s.as_bytes();
        let shared_copy = bytes.len() >= SHARED_STRING_BYTES;
        if shared_copy {
            if let Some(v) = self.seen.get(&s.to_pointer()) {
                return Ok(v.clone());
            }
        }
        crate::limits::charge_bytes(self.shared, bytes.len()).map_err(Raised::into_lua)?;
        let v = match std::str::from_utf8(&bytes) {
            Ok(text) => self.host.string(text),
            Err(_) => self.host.bytes(&bytes),
        }
        .map_err(host_err)?;
        if shared_copy {
            self.seen.insert(s.to_pointer(), v.clone());
        }
        Ok(v)
    }

    fn opaque(&mut self, kind: &str, v: &Value) -> mlua::Result<H::Value> {
        let description = v.to_string().unwrap_or_else(|_| kind.to_string());
        let h = &mut *self.host;
        (|| {
            let o = h.new_object()?;
            let t = h.string(kind)?;
            h.object_set(&o, "luaType", &t)?;
            let d = h.string(&description)?;
            h.object_set(&o, "description", &d)?;
            Ok(o)
        })()
        .map_err(host_err)
    }

    fn table(&mut self, t: &Table) -> mlua::Result<H::Value> {
        if let Some(slot) = crate::jsref::slot_of(self.shared, t) {
            return self.host.slot_get(slot).map_err(host_err);
        }
        let ptr = t.to_pointer();
        if let Some(v) = self.seen.get(&ptr) {
            return Ok(v.clone());
        }
        if self.depth >= MAX_DEPTH {
            return Err(conv_err(format!("table nested deeper than {MAX_DEPTH} levels")));
        }
        let pairs: Vec<(Value, Value)> = t.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
        let n = pairs.len();
        crate::limits::charge(self.shared, 1 + n).map_err(Raised::into_lua)?;
        let is_seq = n > 0
            && pairs.iter().all(|(k, _)| matches!(k, Value::Integer(i) if *i >= 1 && *i as usize <= n));
        let is_obj = !is_seq
            && pairs
                .iter()
                .all(|(k, _)| matches!(k, Value::String(s) if s.to_str().is_ok()));
        self.depth += 1;
        let out = if is_seq {
            let arr = self.host.new_array(n as u32).map_err(host_err)?;
            self.seen.insert(ptr, arr.clone());
            // `is_seq` checked every key; the pattern only names it (no panic path on wasm).
            for (k, v) in &pairs {
                let Value::Integer(i) = k else { continue };
                let jv = self.value(v)?;
                self.host.array_set(&arr, (*i - 1) as u32, &jv).map_err(host_err)?;
            }
            arr
        } else if is_obj {
            let obj = self.host.new_object().map_err(host_err)?;
            self.seen.insert(ptr, obj.clone());
            for (k, v) in &pairs {
                let Value::String(s) = k else { continue };
                let key = s.to_str()?.to_string();
                let jv = self.value(v)?;
                self.host.object_set(&obj, &key, &jv).map_err(host_err)?;
            }
            obj
        } else {
            let map = self.host.new_map().map_err(host_err)?;
            self.seen.insert(ptr, map.clone());
            for (k, v) in &pairs {
                let jk = self.value(k)?;
                let jv = self.value(v)?;
                self.host.map_set(&map, &jk, &jv).map_err(host_err)?;
            }
            map
        };
        self.depth -= 1;
        Ok(out)
    }
}

pub(crate) fn integer<H: Host>(h: &mut H, i: i64) -> Result<H::Value, HostError> {
    if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) {
        h.number(i as f64)
    } else {
        h.bigint(i)
    }
}

/// The Lua number for a JS number: integers stay integers where JS can represent them
/// exactly, everything else (fractions, -0, huge, inf, NaN) is a float.
pub(crate) fn number_to_lua(f: f64) -> Value {
    if f.fract() == 0.0
        && f.abs() <= MAX_SAFE_INTEGER as f64
        && !(f == 0.0 && f.is_sign_negative())
    {
        Value::Integer(f as i64)
    } else {
        Value::Number(f)
    }
}

/// JS -> Lua.
pub(crate) struct FromJs<'a, H: Host> {
    pub host: &'a mut H,
    pub shared: &'a Rc<Shared<H>>,
    pub lua: &'a Lua,
}

impl<'a, H: Host + 'static> FromJs<'a, H> {
    pub(crate) fn value(&mut self, v: &H::Value, depth: usize) -> mlua::Result<Value> {
        let kind = self.host.inspect(v).map_err(host_err)?;
        self.value_of(v, kind, depth)
    }

    /// [`FromJs::value`] of `v`, already inspected as `kind`.
    pub(crate) fn value_of(&mut self, v: &H::Value, kind: JsKind, depth: usize) -> mlua::Result<Value> {
        Ok(match kind {
            JsKind::Undefined | JsKind::Null => Value::Nil,
            JsKind::Bool(b) => Value::Boolean(b),
            JsKind::Number(f) => number_to_lua(f),
            JsKind::BigInt(Some(i)) => Value::Integer(i),
            JsKind::BigInt(None) => {
                return Err(conv_err("BigInt out of range for a Lua integer (64-bit)"))
            }
            JsKind::String(s) => {
                crate::limits::charge_bytes(self.shared, s.len()).map_err(Raised::into_lua)?;
                Value::String(self.lua.create_string(&s)?)
            }
            JsKind::Bytes(b) | JsKind::Buffer(b) => {
                crate::limits::charge_bytes(self.shared, b.len()).map_err(Raised::into_lua)?;
                Value::String(self.lua.create_string(&b)?)
            }
            JsKind::Typed(t, bytes) => Value::Table(self.typed_array(t, &bytes)?),
            JsKind::Function => Value::Function(js_function(self.lua, self.host, self.shared, v)?),
            JsKind::Unsupported(what) => return Err(conv_err(refusal(what))),
            JsKind::Thenable => {
                // Whatever it settles to, nobody waits for it now.
                let _ = self.host.mute_rejection(v);
                return Err(conv_err(
                    "cannot pass a Promise to Lua: a synchronous call cannot wait for it (await it in JavaScript first)",
                ));
            }
            JsKind::Array(_) | JsKind::Map | JsKind::Set | JsKind::Object | JsKind::Error if depth >= MAX_DEPTH => {
                return Err(conv_err(format!(
                    "JS value nested deeper than {MAX_DEPTH} levels (is it cyclic?)"
                )))
            }
            JsKind::Array(len) => {
                crate::limits::charge(self.shared, 1 + len as usize).map_err(Raised::into_lua)?;
                let t = self.lua.create_table_with_capacity(len as usize, 0)?;
                for i in 0..len {
                    let item = self.host.array_get(v, i).map_err(host_err)?;
                    let lv = self.value(&item, depth + 1)?;
                    t.raw_set(i as i64 + 1, lv)?;
                }
                Value::Table(t)
            }
            JsKind::Map => {
                let entries = self.host.map_entries(v).map_err(host_err)?;
                crate::limits::charge(self.shared, 1 + entries.len()).map_err(Raised::into_lua)?;
                let t = self.lua.create_table_with_capacity(0, entries.len())?;
                for (k, val) in entries {
                    let lk = self.value(&k, depth + 1)?;
                    if lk.is_nil() {
                        return Err(conv_err("a JS Map key of undefined/null cannot be a Lua key"));
                    }
                    if matches!(lk, Value::Number(n) if n.is_nan()) {
                        return Err(conv_err("NaN cannot be a Lua table key"));
                    }
                    let lv = self.value(&val, depth + 1)?;
                    t.raw_set(lk, lv)?;
                }
                Value::Table(t)
            }
            JsKind::Set => Value::Table(self.set(v, depth)?),
            JsKind::Object => Value::Table(self.object(v, depth)?),
            JsKind::Error => {
                let t = self.object(v, depth)?;
                // Not own enumerable properties, but what an Error is about.
                for key in ["name", "message"] {
                    if t.raw_get::<Value>(key)?.is_nil() {
                        let x = self.host.get(v, key).map_err(host_err)?;
                        let lv = self.value(&x, depth + 1)?;
                        t.raw_set(key, lv)?;
                    }
                }
                Value::Table(t)
            }
        })
    }

    /// An object's own enumerable string-keyed properties (class instances too: their
    /// methods live on the prototype and are not copied).
    fn object(&mut self, v: &H::Value, depth: usize) -> mlua::Result<Table> {
        let entries = self.host.object_entries(v).map_err(host_err)?;
        // A `ref(...)` has no own keys: only such objects are asked about.
        if entries.is_empty() {
            if let Some(Value::Table(r)) = crate::jsref::from_js(self.lua, self.shared, self.host, v)? {
                return Ok(r);
            }
        }
        crate::limits::charge(self.shared, 1 + entries.len()).map_err(Raised::into_lua)?;
        let t = self.lua.create_table_with_capacity(0, entries.len())?;
        for (k, val) in entries {
            let lv = self.value(&val, depth + 1)?;
            t.raw_set(k, lv)?;
        }
        Ok(t)
    }

    /// A Set as Lua's idiom for one: `{ [member] = true }`. Members must be values Lua
    /// can look up by (strings, numbers, BigInts, booleans, bytes): an object member
    /// would become a fresh table no lookup could ever find, so it is refused.
    fn set(&mut self, v: &H::Value, depth: usize) -> mlua::Result<Table> {
        let members = self.host.set_values(v).map_err(host_err)?;
        crate::limits::charge(self.shared, 1 + members.len()).map_err(Raised::into_lua)?;
        let t = self.lua.create_table_with_capacity(0, members.len())?;
        for m in members {
            let kind = self.host.inspect(&m).map_err(host_err)?;
            let scalar = matches!(
                kind,
                JsKind::String(_) | JsKind::Number(_) | JsKind::BigInt(_) | JsKind::Bool(_) | JsKind::Bytes(_) | JsKind::Buffer(_)
            );
            if !scalar {
                if kind == JsKind::Thenable {
                    let _ = self.host.mute_rejection(&m); // as `value_of` does
                }
                let what = match kind {
                    JsKind::Undefined | JsKind::Null => kind.type_name().to_string(),
                    _ => with_article(kind.type_name()),
                };
                return Err(conv_err(format!(
                    "a JS Set holds {what}, which cannot be a Lua key (members must be strings, numbers, BigInts, booleans or Uint8Arrays)"
                )));
            }
            if matches!(kind, JsKind::Number(n) if n.is_nan()) {
                return Err(conv_err("a JS Set holds NaN, which cannot be a Lua table key"));
            }
            let key = self.value_of(&m, kind, depth + 1)?;
            t.raw_set(key, true)?;
        }
        Ok(t)
    }

    /// A typed array as the sequence `Array.from` would give: each element converts as a
    /// JS number (integral ones become integers) or a BigInt.
    fn typed_array(&mut self, t: TypedArray, bytes: &[u8]) -> mlua::Result<Table> {
        let n = bytes.len() / t.size();
        crate::limits::charge(self.shared, 1 + n).map_err(Raised::into_lua)?;
        let out = self.lua.create_table_with_capacity(n, 0)?;
        for (i, e) in bytes.chunks_exact(t.size()).enumerate() {
            out.raw_set(i as i64 + 1, element(t, e)?)?;
        }
        Ok(out)
    }
}

/// One element of a typed array, from its bytes in the machine's order.
fn element(t: TypedArray, e: &[u8]) -> mlua::Result<Value> {
    // `e` is exactly one element long (`chunks_exact`); no panic path on wasm.
    fn ne<const N: usize>(e: &[u8]) -> [u8; N] {
        <[u8; N]>::try_from(e).unwrap_or([0; N])
    }
    Ok(match t {
        TypedArray::Int8 => Value::Integer(i8::from_ne_bytes(ne(e)) as i64),
        TypedArray::Uint8Clamped => Value::Integer(u8::from_ne_bytes(ne(e)) as i64),
        TypedArray::Int16 => Value::Integer(i16::from_ne_bytes(ne(e)) as i64),
        TypedArray::Uint16 => Value::Integer(u16::from_ne_bytes(ne(e)) as i64),
        TypedArray::Int32 => Value::Integer(i32::from_ne_bytes(ne(e)) as i64),
        TypedArray::Uint32 => Value::Integer(u32::from_ne_bytes(ne(e)) as i64),
        TypedArray::Float32 => number_to_lua(f32::from_ne_bytes(ne(e)) as f64),
        TypedArray::Float64 => number_to_lua(f64::from_ne_bytes(ne(e))),
        TypedArray::BigInt64 => Value::Integer(i64::from_ne_bytes(ne(e))),
        TypedArray::BigUint64 => match i64::try_from(u64::from_ne_bytes(ne(e))) {
            Ok(i) => Value::Integer(i),
            Err(_) => return Err(conv_err("a BigUint64Array element out of range for a Lua integer (64-bit)")),
        },
    })
}

/// "a Set", "an object": a JS type name in a sentence.
pub(crate) fn with_article(what: &str) -> String {
    let vowel = what.starts_with(|c: char| "aeiouAEIOU".contains(c));
    format!("{} {what}", if vowel { "an" } else { "a" })
}

/// Why a JS value cannot cross, and what to pass instead where there is an obvious one.
fn refusal(what: Unsupported) -> String {
    let instead = match what {
        Unsupported::Date => ": pass date.getTime() (milliseconds since 1970) or date.toISOString() instead",
        Unsupported::DataView => ": pass new Uint8Array(view.buffer, view.byteOffset, view.byteLength) for its bytes instead",
        Unsupported::SharedArrayBuffer => ": pass new Uint8Array(buffer) for a copy of its bytes instead",
        Unsupported::RegExp => ": pass regexp.source instead (Lua patterns are not JS regular expressions)",
        Unsupported::WeakMap | Unsupported::WeakSet => ": its entries cannot be listed (pass a Map or a Set)",
        Unsupported::WeakRef => ": pass ref.deref() instead",
        Unsupported::Boxed => ": pass its primitive value (x.valueOf()) instead",
        Unsupported::Symbol | Unsupported::External | Unsupported::FinalizationRegistry | Unsupported::OtherTypedArray => "",
    };
    format!("cannot pass a JS {} to Lua{instead}", what.name())
}

/// A callback's result that could not be converted: when a JS exception caused it (a
/// throwing getter or Proxy trap), the same error as if the callback had thrown it.
/// Otherwise a plain runtime error at the call's position (scripts can catch and print
/// it like Lua's own).
fn conversion_failure<H: Host + 'static>(host: &mut H, shared: &Rc<Shared<H>>, pos: &str, e: mlua::Error) -> mlua::Error {
    let Some(exc) = host.take_exception() else {
        return match e {
            mlua::Error::RuntimeError(m) => Raised::Runtime(format!("{pos}{m}")).into_lua(),
            other => other,
        };
    };
    let message = match &e {
        mlua::Error::ExternalError(inner) => inner.downcast_ref::<Raised>().map(|r| r.to_string()),
        _ => None,
    }
    .unwrap_or_else(|| e.to_string());
    let exception_id = shared.keep_exception(host, &exc);
    Raised::Host { message: format!("{pos}{message}"), exception_id }.into_lua()
}

/// A JS function that threw, as the catchable Lua error at `pos` that carries the
/// exception for the JS side (its `cause`).
pub(crate) fn call_failure<H: Host>(host: &mut H, shared: &Shared<H>, pos: &str, e: crate::host::CallError<H::Value>) -> mlua::Error {
    let exception_id = match e.exception {
        Some(exc) => shared.keep_exception(host, &exc),
        None => None,
    };
    Raised::Host { message: format!("{pos}{}", e.message), exception_id }.into_lua()
}

/// The values of a JS function's object `result` when it is a `multi(...)`.
fn multi<H: Host>(h: &mut H, result: &H::Value) -> Result<Option<Vec<H::Value>>, crate::host::HostError> {
    let Some(array) = h.multi_values(result)? else { return Ok(None) };
    let JsKind::Array(n) = h.inspect(&array)? else { return Ok(None) };
    (0..n).map(|i| h.array_get(&array, i)).collect::<Result<Vec<_>, _>>().map(Some)
}

/// Wraps a JS function as a Lua function. Lua arguments are converted to JS, the
/// result back to Lua; a JS exception becomes a catchable Lua error carrying the
/// original exception for the JS side.
pub(crate) fn js_function<H: Host + 'static>(
    lua: &Lua,
    host: &mut H,
    shared: &Rc<Shared<H>>,
    f: &H::Value,
) -> mlua::Result<mlua::Function> {
    let slot = shared.alloc_slot();
    host.slot_set(slot, f).map_err(host_err)?;
    let owner = SlotOwner::new(shared, slot);
    let captured = shared.clone();
    crate::plain::js_callable(lua, shared, move |lua, args: MultiValue| {
        let shared = &captured;
        // Capture the whole owner (not just its slot number) so the slot lives as long
        // as this function does.
        let owner = &owner;
        let pos = lua_position(lua);
        let host = shared.host()?;
        let scope = Scope::open(host);
        let f = scope.host.slot_get(owner.slot).map_err(host_err)?;
        let mut js_args = Vec::with_capacity(args.len());
        {
            let mut conv = ToJs::new(&mut *scope.host, shared);
            for a in args.iter() {
                js_args.push(conv.value(a)?);
            }
        }
        let result = match scope.host.call(&f, &js_args) {
            Ok(r) => r,
            Err(e) => return Err(call_failure(scope.host, shared, &pos, e)),
        };
        scope.host.take_exception(); // forget failures the callback itself handled
        let kind = match scope.host.inspect(&result) {
            Ok(k) => k,
            Err(e) => return Err(conversion_failure(scope.host, shared, &pos, host_err(e))),
        };
        match kind {
            JsKind::Thenable => {
                if let Some(awaited) = crate::engine::awaits::awaitable(scope.host, shared, &result, &pos).map_err(host_err)? {
                    return Ok(awaited);
                }
            }
            JsKind::Object => {
                let values = match multi(scope.host, &result) {
                    Ok(v) => v,
                    Err(e) => return Err(conversion_failure(scope.host, shared, &pos, host_err(e))),
                };
                if let Some(values) = values {
                    let mut out = MultiValue::with_capacity(values.len());
                    for v in &values {
                        match (FromJs { host: &mut *scope.host, shared, lua }).value(v, 0) {
                            Ok(v) => out.push_back(v),
                            Err(e) => return Err(conversion_failure(scope.host, shared, &pos, e)),
                        }
                    }
                    return Ok(out);
                }
            }
            _ => {}
        }
        match (FromJs { host: &mut *scope.host, shared, lua }).value_of(&result, kind, 0) {
            Ok(v) => Ok(MultiValue::from(vec![v])),
            Err(e) => Err(conversion_failure(scope.host, shared, &pos, e)),
        }
    })
}
