//! `Host` over wasm-bindgen / js-sys. Translation only; rules live in the core.
//!
//! The adapter keeps no JS value between calls: the JS layer passes its `hooks`
//! object (ext Map, slots array, helper functions) with every call, so no reference
//! cycle runs through wasm-bindgen's heap table and a forgotten VM can be collected.

use js_sys::{Array, BigInt, Function, Map, Object, Reflect, Uint8Array};
use lua_persistent_core::{object_kind, CallError, Host, HostError, HostResult, JsKind, Unsupported};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

// Operations that can run user code (getters, Proxy traps) must catch: a JS exception
// that unwinds through the wasm frames skips Lua's error handling and leaves the VM
// broken. js-sys's own bindings of these do not catch.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(v: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(o: &JsValue) -> Result<Array, JsValue>;
    // Monotonic, sub-millisecond (Node 16+, browsers, workers): timeouts must not move
    // with the wall clock, and `stats.durationMs` reads like the native backend's. The
    // Node glue answers with `process.hrtime()` (scripts/wasm-glue.js says why).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

// The intrinsic Map.prototype methods, called with the Map as `this`, the one place the
// adapter operates on Maps (the napi adapter calls the same intrinsics). A Map
// subclass's overrides are bypassed, so whatever they do (throw, lie) cannot reach the
// VM, and a failure V8 raises itself (a RangeError: a Map holds at most 2^24 entries)
// is caught and becomes a Lua error instead of unwinding through the wasm frames.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["Map", "prototype", "get"], js_name = call, catch)]
    fn intrinsic_map_get(map: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["Map", "prototype", "set"], js_name = call, catch)]
    fn intrinsic_map_set(map: &JsValue, key: &JsValue, value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["Map", "prototype", "has"], js_name = call, catch)]
    fn intrinsic_map_has(map: &JsValue, key: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = ["Map", "prototype", "delete"], js_name = call, catch)]
    fn intrinsic_map_delete(map: &JsValue, key: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = ["Map", "prototype", "clear"], js_name = call, catch)]
    fn intrinsic_map_clear(map: &JsValue) -> Result<(), JsValue>;
    /// `Map.prototype`, whose `size` getter `map_size` calls with the Map as receiver.
    #[wasm_bindgen(thread_local_v2, js_namespace = Map, js_name = prototype)]
    static MAP_PROTOTYPE: JsValue;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn get_with_receiver(target: &JsValue, key: &str, receiver: &JsValue) -> Result<JsValue, JsValue>;
    /// `f.call(this, v)` for a function returning a small integer (`hooks.objectKind`):
    /// the number comes back as a number, with no `JsValue` to make and drop.
    #[wasm_bindgen(js_namespace = ["Function", "prototype", "call"], js_name = call, catch)]
    fn call_for_u32(f: &Function, this: &JsValue, v: &JsValue) -> Result<u32, JsValue>;
    /// `String(v)`: what N-API's `napi_coerce_to_string` gives the napi adapter.
    #[wasm_bindgen(js_name = String, catch)]
    fn coerce_to_string(v: &JsValue) -> Result<JsValue, JsValue>;
}

pub struct WasmHost {
    hooks: JsValue,
    ext: Option<Map>,
    slots: Option<Array>,
    aux: Option<JsValue>,
    /// `hooks.Map.prototype` and its `has`, fetched on first use.
    map_proto: Option<(JsValue, Function)>,
    /// `hooks.journalSet`, fetched on the call's first journaled write.
    journal_set: Option<Function>,
    /// `hooks.objectKind`, fetched on the call's first object to convert.
    object_kind: Option<Function>,
}

thread_local! {
    /// The JS exception behind the last failed operation, for `take_exception`.
    static CAUGHT: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
}

/// A caught JS exception as a `HostError`, kept for `take_exception`.
fn herr(e: JsValue) -> HostError {
    let err = HostError::new(describe(&e));
    CAUGHT.with(|c| c.replace(Some(e)));
    err
}

/// The `message` of a thrown object when it is a string (Error objects), else the value
/// as `String(v)` gives it, as the napi adapter describes exceptions. Never lets a
/// throwing getter or conversion escape.
pub fn describe(e: &JsValue) -> String {
    if e.is_object() {
        if let Some(m) = Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()) {
            return m;
        }
    }
    // `String(symbol)` is "Symbol(x)", but N-API's coercion throws on symbols, as `${symbol}` does.
    let text = if e.is_symbol() { None } else { coerce_to_string(e).ok().and_then(|s| s.as_string()) };
    text.unwrap_or_else(|| "a JavaScript exception".into())
}

impl WasmHost {
    pub fn new(hooks: JsValue) -> Self {
        WasmHost { hooks, ext: None, slots: None, aux: None, map_proto: None, journal_set: None, object_kind: None }
    }

    fn hook(&self, name: &str) -> HostResult<JsValue> {
        Reflect::get(&self.hooks, &JsValue::from_str(name)).map_err(herr)
    }

    fn hook_fn(&self, name: &str) -> HostResult<Function> {
        self.hook(name)?.dyn_into::<Function>().map_err(|_| HostError::new(format!("hooks.{name} is not a function")))
    }

    fn slots(&mut self) -> HostResult<&Array> {
        if self.slots.is_none() {
            self.slots = Some(self.hook("slots")?.unchecked_into());
        }
        Ok(self.slots.as_ref().expect("just set"))
    }

    /// `v instanceof hooks.Map` (walking the prototype chain with catching calls: a
    /// Proxy's trap may throw), confirmed by a brand check (`Map.prototype.has` accepts
    /// only real Maps), as the napi adapter does.
    fn is_map(&mut self, v: &JsValue) -> HostResult<bool> {
        if !v.is_object() {
            return Ok(false);
        }
        if self.map_proto.is_none() {
            let proto = Reflect::get(&self.hook("Map")?, &"prototype".into()).map_err(herr)?;
            let has: Function = Reflect::get(&proto, &"has".into()).map_err(herr)?.unchecked_into();
            self.map_proto = Some((proto, has));
        }
        let (proto, has) = self.map_proto.as_ref().expect("just set");
        let mut p = Reflect::get_prototype_of(v).map_err(herr)?;
        for _ in 0..10_000 {
            if p.is_null() {
                return Ok(false);
            }
            if JsValue::from(p.clone()) == *proto {
                return Ok(has.call1(v, &JsValue::UNDEFINED).is_ok());
            }
            p = Reflect::get_prototype_of(&p).map_err(herr)?;
        }
        Ok(false)
    }

    /// The kind of the object `v`, all of it `hooks.objectKind`'s (lib/kinds.js): one
    /// call into JS, where the napi adapter asks N-API first (with the same answers).
    fn object_kind(&mut self, v: &JsValue) -> HostResult<JsKind> {
        if self.object_kind.is_none() {
            self.object_kind = Some(self.hook_fn("objectKind")?);
        }
        let f = self.object_kind.as_ref().expect("just set");
        let code = call_for_u32(f, &self.hooks, v).map_err(herr)?;
        object_kind(
            code,
            || {
                let len = Reflect::get(v, &"length".into()).map_err(herr)?;
                Ok(len.as_f64().unwrap_or(0.0) as u32)
            },
            |uint8| {
                if uint8 {
                    // A Uint8Array by brand (`objectKind` checked): its own bytes.
                    return Ok(v.unchecked_ref::<Uint8Array>().to_vec());
                }
                let view: Uint8Array = self.hook_fn("viewBytes")?.call1(&self.hooks, v).map_err(herr)?.unchecked_into();
                Ok(view.to_vec())
            },
        )
    }

    fn aux_symbol(&mut self) -> HostResult<JsValue> {
        if self.aux.is_none() {
            self.aux = Some(self.hook("auxSymbol")?);
        }
        Ok(self.aux.clone().expect("just set"))
    }
}

impl Host for WasmHost {
    type Value = JsValue;

    fn undefined(&mut self) -> HostResult<JsValue> {
        Ok(JsValue::UNDEFINED)
    }
    fn boolean(&mut self, b: bool) -> HostResult<JsValue> {
        Ok(JsValue::from_bool(b))
    }
    fn number(&mut self, n: f64) -> HostResult<JsValue> {
        Ok(JsValue::from_f64(n))
    }
    fn bigint(&mut self, n: i64) -> HostResult<JsValue> {
        Ok(BigInt::from(n).into())
    }
    fn string(&mut self, s: &str) -> HostResult<JsValue> {
        Ok(JsValue::from_str(s))
    }
    fn bytes(&mut self, b: &[u8]) -> HostResult<JsValue> {
        Ok(Uint8Array::from(b).into())
    }
    fn new_array(&mut self, len: u32) -> HostResult<JsValue> {
        Ok(Array::new_with_length(len).into())
    }
    fn array_set(&mut self, array: &JsValue, index: u32, v: &JsValue) -> HostResult<()> {
        array.unchecked_ref::<Array>().set(index, v.clone());
        Ok(())
    }
    fn new_object(&mut self) -> HostResult<JsValue> {
        Ok(Object::new().into())
    }
    fn object_set(&mut self, obj: &JsValue, key: &str, v: &JsValue) -> HostResult<()> {
        Reflect::set(obj, &JsValue::from_str(key), v).map(|_| ()).map_err(herr)
    }
    fn lua_function(&mut self, id: u32) -> HostResult<JsValue> {
        self.hook_fn("makeFunction")?.call1(&self.hooks, &JsValue::from(id)).map_err(herr)
    }

    fn inspect(&mut self, v: &JsValue) -> HostResult<JsKind> {
        Ok(if v.is_undefined() {
            JsKind::Undefined
        } else if v.is_null() {
            JsKind::Null
        } else if let Some(b) = v.as_bool() {
            JsKind::Bool(b)
        } else if let Some(n) = v.as_f64() {
            JsKind::Number(n)
        } else if let Some(s) = v.as_string() {
            JsKind::String(s)
        } else if v.is_bigint() {
            JsKind::BigInt(i64::try_from(v.clone()).ok())
        } else if v.is_function() {
            JsKind::Function
        } else if v.is_symbol() {
            JsKind::Unsupported(Unsupported::Symbol)
        } else {
            self.object_kind(v)?
        })
    }

    fn array_get(&mut self, array: &JsValue, index: u32) -> HostResult<JsValue> {
        Reflect::get_u32(array, index).map_err(herr)
    }

    fn object_entries(&mut self, obj: &JsValue) -> HostResult<Vec<(String, JsValue)>> {
        let keys = object_keys(obj).map_err(herr)?;
        let mut out = Vec::with_capacity(keys.length() as usize);
        for k in keys.iter() {
            let v = Reflect::get(obj, &k).map_err(herr)?;
            out.push((k.as_string().unwrap_or_default(), v));
        }
        Ok(out)
    }

    fn get(&mut self, obj: &JsValue, key: &str) -> HostResult<JsValue> {
        Reflect::get(obj, &JsValue::from_str(key)).map_err(herr)
    }

    fn set_values(&mut self, set: &JsValue) -> HostResult<Vec<JsValue>> {
        let list: Array = self.hook_fn("setValues")?.call1(&self.hooks, set).map_err(herr)?.unchecked_into();
        Ok(list.iter().collect())
    }

    fn same(&mut self, a: &JsValue, b: &JsValue) -> HostResult<bool> {
        Ok(a == b)
    }
    fn call(&mut self, f: &JsValue, args: &[JsValue]) -> Result<JsValue, CallError<JsValue>> {
        let f = f.unchecked_ref::<Function>();
        let args: Array = args.iter().collect();
        f.apply(&JsValue::UNDEFINED, &args).map_err(|exc| CallError { message: describe(&exc), exception: Some(exc) })
    }

    fn new_map(&mut self) -> HostResult<JsValue> {
        Ok(Map::new().into())
    }
    fn map_get(&mut self, map: &JsValue, key: &JsValue) -> HostResult<JsValue> {
        intrinsic_map_get(map, key).map_err(herr)
    }
    fn map_set(&mut self, map: &JsValue, key: &JsValue, v: &JsValue) -> HostResult<()> {
        intrinsic_map_set(map, key, v).map(|_| ()).map_err(herr)
    }
    fn map_delete(&mut self, map: &JsValue, key: &JsValue) -> HostResult<()> {
        intrinsic_map_delete(map, key).map(|_| ()).map_err(herr)
    }
    fn map_has(&mut self, map: &JsValue, key: &JsValue) -> HostResult<bool> {
        intrinsic_map_has(map, key).map_err(herr)
    }
    fn map_size(&mut self, map: &JsValue) -> HostResult<u32> {
        let size = MAP_PROTOTYPE.with(|proto| get_with_receiver(proto, "size", map)).map_err(herr)?;
        Ok(size.as_f64().unwrap_or(0.0) as u32)
    }
    fn map_clear(&mut self, map: &JsValue) -> HostResult<()> {
        intrinsic_map_clear(map).map_err(herr)
    }
    fn map_entries(&mut self, map: &JsValue) -> HostResult<Vec<(JsValue, JsValue)>> {
        let flat: Array = self.hook_fn("mapEntries")?.call1(&self.hooks, map).map_err(herr)?.unchecked_into();
        let n = flat.length();
        Ok((0..n).step_by(2).map(|i| (flat.get(i), flat.get(i + 1))).collect())
    }
    fn map_aux(&mut self, map: &JsValue, create: bool) -> HostResult<Option<JsValue>> {
        let sym = self.aux_symbol()?;
        let v = Reflect::get(map, &sym).map_err(herr)?;
        if self.is_map(&v)? {
            return Ok(Some(v));
        }
        if !create {
            return Ok(None);
        }
        let m: JsValue = Map::new().into();
        // Non-enumerable, so inspecting or spreading the Map shows only the user's data.
        let desc = Object::new();
        Reflect::set(&desc, &"value".into(), &m).map_err(herr)?;
        Reflect::set(&desc, &"writable".into(), &JsValue::TRUE).map_err(herr)?;
        Reflect::set(&desc, &"configurable".into(), &JsValue::TRUE).map_err(herr)?;
        Reflect::define_property(map.unchecked_ref::<Object>(), &sym, &desc).map_err(herr)?;
        Ok(Some(m))
    }
    fn ext_root(&mut self) -> HostResult<JsValue> {
        if self.ext.is_none() {
            self.ext = Some(self.hook("ext")?.unchecked_into());
        }
        Ok(self.ext.clone().expect("just set").into())
    }

    fn slot_set(&mut self, slot: u32, v: &JsValue) -> HostResult<()> {
        self.slots()?.set(slot, v.clone());
        Ok(())
    }
    fn slot_get(&mut self, slot: u32) -> HostResult<JsValue> {
        Ok(self.slots()?.get(slot))
    }
    fn slot_clear(&mut self, slot: u32) -> HostResult<()> {
        self.slots()?.set(slot, JsValue::UNDEFINED);
        Ok(())
    }

    fn print(&mut self, text: &str) -> Result<(), CallError<JsValue>> {
        let f = self.hook_fn("print").map_err(|e| CallError { message: e.message, exception: None })?;
        f.call1(&self.hooks, &JsValue::from_str(text)).map(|_| ()).map_err(|exc| CallError { message: describe(&exc), exception: Some(exc) })
    }

    fn mute_rejection(&mut self, v: &JsValue) -> HostResult<()> {
        self.hook_fn("muteRejection")?.call1(&self.hooks, v).map(|_| ()).map_err(herr)
    }

    fn journal_set(&mut self, map: &JsValue, key: &JsValue, v: Option<&JsValue>, tagged: bool) -> HostResult<()> {
        if self.journal_set.is_none() {
            self.journal_set = Some(self.hook_fn("journalSet")?);
        }
        let f = self.journal_set.as_ref().expect("just set");
        f.call4(&self.hooks, map, key, v.unwrap_or(&JsValue::UNDEFINED), &JsValue::from_bool(tagged)).map(|_| ()).map_err(herr)
    }

    fn journal_end(&mut self, keep: u32, undo: bool) -> HostResult<()> {
        self.hook_fn("journalEnd")?.call2(&self.hooks, &JsValue::from(keep), &JsValue::from(undo)).map(|_| ()).map_err(herr)
    }

    fn hook_value(&mut self, name: &str) -> HostResult<JsValue> {
        self.hook(name)
    }

    fn multi_values(&mut self, v: &JsValue) -> HostResult<Option<JsValue>> {
        let r = self.hook_fn("multiValues")?.call1(&self.hooks, v).map_err(herr)?;
        Ok((!r.is_undefined()).then_some(r))
    }

    fn take_exception(&mut self) -> Option<JsValue> {
        CAUGHT.with(|c| c.take())
    }

    fn now_ms() -> f64 {
        performance_now()
    }

    fn seeds() -> Option<[i64; 2]> {
        let random = || (js_sys::Math::random() * 9_007_199_254_740_992.0) as i64;
        Some([random(), random() ^ js_sys::Date::now() as i64])
    }

    /// Read from `hooks.interruptBuffer` (an Int32Array the JS layer validated) only when
    /// the VM is interruptible, at the pace of the limits' checks (see core's limits.rs).
    fn interrupted(&mut self) -> bool {
        let Ok(buffer) = js_sys::Reflect::get(&self.hooks, &"interruptBuffer".into()) else { return false };
        let Ok(array) = buffer.dyn_into::<js_sys::Int32Array>() else { return false };
        js_sys::Atomics::exchange(&array, 0, 0).is_ok_and(|v| v != 0)
    }
}
