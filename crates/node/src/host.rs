//! `Host` over raw N-API: each primitive is one or two N-API calls. No rules here.

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;
use std::time::Instant;

use lua_persistent_core::{object_kind, CallError, Host, HostError, HostResult, JsKind, TypedArray, Unsupported};
use napi::sys::{self, napi_env, napi_ref, napi_status, napi_value};

use crate::napi_call::{self, napi_call};
use crate::slot_refs::SlotRefs;

/// Builtins a VM references for its whole life (deleted when the VM is finalized).
/// Nothing of the user's is referenced from native code: the JS layer passes its `hooks`
/// object (ext Map, slots, helpers) with every call, so no reference cycle runs through
/// a GC root and a forgotten VM is still collected.
#[derive(Clone, Copy)]
pub struct Refs {
    pub map_ctor: napi_ref,
    /// `hooks.Map.prototype`, which a Map of the JS layer's realm has, and that realm's
    /// `Object.prototype`, a plain object's.
    pub map_proto: napi_ref,
    pub object_proto: napi_ref,
    pub map_get: napi_ref,
    pub map_set: napi_ref,
    pub map_has: napi_ref,
    pub map_delete: napi_ref,
    pub map_clear: napi_ref,
    /// The intrinsic `size` getter of `Map.prototype` (a subclass may override `size`).
    pub map_size: napi_ref,
    /// The `interruptBuffer` option: a reference keeps the Int32Array (and so its
    /// SharedArrayBuffer, whose memory never moves) alive; `interrupt` points at its
    /// first element. Both null without the option.
    pub interrupt_ref: napi_ref,
    /// Weak references (count 0) to `hooks.slots` and `hooks.ext`: the JS layer owns
    /// both for the VM's whole life; dereferencing is much cheaper than reading `hooks`
    /// properties on every call, and being weak they add no GC root.
    pub slots: napi_ref,
    pub ext: napi_ref,
    /// Weak, as `slots`: `hooks.journalSet`, on the path of every first ext write of a call.
    pub journal_set: napi_ref,
    /// Weak, as `slots`: `hooks.objectKind` (lib/kinds.js), on the path of every object
    /// the native checks do not classify (plain objects among them).
    pub object_kind: napi_ref,
    pub interrupt: *const std::sync::atomic::AtomicI32,
}

pub struct NodeHost {
    pub env: napi_env,
    pub refs: Refs,
    pub hooks: napi_value,
    slot_refs: Rc<SlotRefs>,
    /// The JS exception behind the last failed operation, for `take_exception` (null: none).
    caught: Cell<napi_value>,
}


impl NodeHost {
    /// An N-API call's result as a host result. Inlined, with the failure out of line:
    /// it is on every ext read and write.
    #[inline(always)]
    fn ok<T>(&self, result: Result<T, napi_status>, what: &str) -> HostResult<T> {
        result.map_err(|status| self.failed(status, what))
    }

    /// A failed N-API call as a host error. One that left a JS exception pending (a
    /// getter or Proxy trap that threw) clears it, so later N-API calls still work,
    /// describes it, and keeps it for `take_exception`.
    #[cold]
    #[inline(never)]
    fn failed(&self, status: napi_status, what: &str) -> HostError {
        if napi_call!(self.env, napi_is_exception_pending()).unwrap_or(false) {
            let exc = self.clear_exception();
            self.caught.set(exc);
            return HostError::new(self.describe_exception(exc));
        }
        HostError::new(format!("N-API call failed: {what} (status {status})"))
    }

    /// Takes the pending JS exception (null when there is none), so that later N-API
    /// calls work again.
    fn clear_exception(&self) -> napi_value {
        napi_call!(self.env, napi_get_and_clear_last_exception()).unwrap_or(ptr::null_mut())
    }

    /// Nothing is read up front: values are fetched where used and never cached, since a
    /// value fetched inside a callback's handle scope dangles once that scope closes.
    pub fn new(env: napi_env, refs: Refs, hooks: napi_value, slot_refs: Rc<SlotRefs>) -> HostResult<Self> {
        Ok(NodeHost { env, refs, hooks, slot_refs, caught: Cell::new(ptr::null_mut()) })
    }

    fn weak(&self, r: napi_ref, what: &str) -> HostResult<napi_value> {
        let v = self.deref(r)?;
        if v.is_null() {
            return Err(HostError::new(format!("the VM's {what} is gone (its Lua object was collected)")));
        }
        Ok(v)
    }

    fn slots(&mut self) -> HostResult<napi_value> {
        self.weak(self.refs.slots, "slots")
    }

    pub fn deref(&self, r: napi_ref) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_get_reference_value(r)), "get reference")
    }

    fn hook(&self, name: &str) -> HostResult<napi_value> {
        self.get_named(self.hooks, name)
    }

    /// A property read; a throwing getter or Proxy trap becomes an error (and the JS
    /// exception is cleared, so later N-API calls still work).
    pub fn get_named(&self, obj: napi_value, name: &str) -> HostResult<napi_value> {
        let key = self.str_value(name)?;
        napi_call!(self.env, napi_get_property(obj, key)).or_else(|_| {
            let exc = self.clear_exception();
            if exc.is_null() {
                return Err(HostError::new(format!("cannot read property '{name}'")));
            }
            self.caught.set(exc);
            Err(HostError::new(self.describe_exception(exc)))
        })
    }

    fn str_value(&self, s: &str) -> HostResult<napi_value> {
        self.ok(napi_call::string(self.env, s), "create string")
    }

    /// Calls `f` with `this` = recv; a JS exception becomes a `CallError` with the value.
    fn invoke(&self, recv: napi_value, f: napi_value, args: &[napi_value]) -> Result<napi_value, CallError<napi_value>> {
        let status = match napi_call::call_function(self.env, recv, f, args) {
            Ok(out) => return Ok(out),
            Err(status) => status,
        };
        if napi_call!(self.env, napi_is_exception_pending()).unwrap_or(false) {
            let exc = self.clear_exception();
            let message = self.describe_exception(exc);
            return Err(CallError { message, exception: Some(exc) });
        }
        Err(CallError { message: format!("N-API call failed (status {status})"), exception: None })
    }

    fn method(&self, r: napi_ref, recv: &napi_value, args: &[napi_value]) -> HostResult<napi_value> {
        let f = self.deref(r)?;
        self.invoke(*recv, f, args).map_err(|e| self.keep(e))
    }

    /// A failed call as a `HostError`, keeping its exception for `take_exception`.
    fn keep(&self, e: CallError<napi_value>) -> HostError {
        if let Some(exc) = e.exception {
            self.caught.set(exc);
        }
        HostError::new(e.message)
    }

    /// The `message` of a thrown object when it is a string (Error objects), `String(value)`
    /// otherwise; the same rule as the wasm adapter's `describe`.
    fn describe_exception(&self, exc: napi_value) -> String {
        let type_of = |v| napi_call!(self.env, napi_typeof(v)).unwrap_or(sys::ValueType::napi_undefined);
        let mut v = exc;
        if type_of(exc) == sys::ValueType::napi_object {
            // Not get_named: it describes its own failures with this function.
            match self.str_value("message").map(|key| napi_call!(self.env, napi_get_property(exc, key))) {
                Ok(Ok(m)) => {
                    if type_of(m) == sys::ValueType::napi_string {
                        v = m;
                    }
                }
                _ => {
                    self.clear_exception();
                }
            }
        }
        let Ok(s) = napi_call!(self.env, napi_coerce_to_string(v)) else {
            self.clear_exception();
            return "a JavaScript exception".into();
        };
        self.read_string(s).unwrap_or_default()
    }

    fn read_string(&self, v: napi_value) -> HostResult<String> {
        self.ok(napi_call::string_value(self.env, v), "read string")
    }

    /// The kind of the object `v`. N-API's brand checks settle the common and the cheap
    /// cases without running JS; everything else (plain objects, Maps, Sets, Proxies,
    /// thenables...) is `hooks.objectKind`'s (lib/kinds.js), whose answers for the
    /// kinds checked here are the same, so both backends classify alike.
    fn object_kind(&mut self, v: napi_value) -> HostResult<JsKind> {
        let env = self.env;
        if self.ok(napi_call!(env, napi_is_array(v)), "isArray")? {
            let len = self.ok(napi_call!(env, napi_get_array_length(v)), "array length")?;
            return Ok(JsKind::Array(len));
        }
        if self.ok(napi_call!(env, napi_is_typedarray(v)), "isTypedArray")? {
            return self.typed_array(v);
        }
        // Maps, on the path of every ext read that meets a nested table: by prototype,
        // confirmed by a brand check (Map.prototype.has accepts only real Maps). A Map of
        // another realm or class is `objectKind`'s.
        let proto = self.ok(napi_call!(env, napi_get_prototype(v)), "prototype")?;
        let map_proto = self.deref(self.refs.map_proto)?;
        if self.ok(napi_call!(env, napi_strict_equals(proto, map_proto)), "===")? {
            let undefined = self.undefined()?;
            if self.method(self.refs.map_has, &v, &[undefined]).is_ok() {
                return Ok(JsKind::Map);
            }
        }
        // Plain objects, the common case, skip the checks `exotic` makes: `objectKind`
        // gives the same answers for them.
        let object_proto = self.deref(self.refs.object_proto)?;
        let plain = self.ok(napi_call!(env, napi_strict_equals(proto, object_proto)), "===")?
            || self.ok(napi_call!(env, napi_typeof(proto)), "typeof")? == sys::ValueType::napi_null;
        if !plain {
            if let Some(kind) = self.exotic(v)? {
                return Ok(kind);
            }
        }
        let f = self.weak(self.refs.object_kind, "objectKind hook")?;
        let code = self.invoke(self.hooks, f, &[v]).map_err(|e| self.keep(e))?;
        let code = self.ok(napi_call!(env, napi_get_value_uint32(code)), "objectKind")?;
        object_kind(
            code,
            || {
                // An array `napi_is_array` does not see: a Proxy of one.
                let len = self.get_named(v, "length")?;
                let n = self.ok(napi_call!(env, napi_get_value_double(len)), "length")?;
                Ok(n as u32)
            },
            |_| self.view_bytes(v),
        )
    }

    /// The kinds N-API tells by brand without running JS, beyond arrays and typed arrays.
    fn exotic(&self, v: napi_value) -> HostResult<Option<JsKind>> {
        let env = self.env;
        Ok(Some(if self.ok(napi_call!(env, napi_is_dataview(v)), "isDataView")? {
            JsKind::Unsupported(Unsupported::DataView)
        } else if self.ok(napi_call!(env, napi_is_arraybuffer(v)), "isArrayBuffer")? {
            JsKind::Buffer(self.ok(napi_call::arraybuffer_bytes(env, v), "arraybuffer info")?)
        } else if self.ok(napi_call!(env, napi_is_date(v)), "isDate")? {
            JsKind::Unsupported(Unsupported::Date)
        } else if self.ok(napi_call!(env, napi_is_error(v)), "isError")? {
            JsKind::Error
        } else {
            return Ok(None);
        }))
    }

    /// A typed array: a Uint8Array's bytes, or another type's elements' bytes.
    fn typed_array(&self, v: napi_value) -> HostResult<JsKind> {
        let (kind, bytes) = self.ok(napi_call::typedarray_bytes(self.env, v, |k| typed_type(k).map(|t| t.map_or(1, TypedArray::size))), "typedarray info")?;
        Ok(match (typed_type(kind), bytes) {
            (Some(None), Some(b)) => JsKind::Bytes(b),
            (Some(Some(t)), Some(b)) => JsKind::Typed(t, b),
            _ => JsKind::Unsupported(Unsupported::OtherTypedArray),
        })
    }

    /// The bytes of a typed array or an ArrayBuffer (for `object_kind`'s codes of them,
    /// which only objects the native checks missed could get: none do).
    fn view_bytes(&self, v: napi_value) -> HostResult<Vec<u8>> {
        if self.ok(napi_call!(self.env, napi_is_typedarray(v)), "isTypedArray")? {
            let sized = |k| typed_type(k).map(|t| t.map_or(1, TypedArray::size));
            let (_, bytes) = self.ok(napi_call::typedarray_bytes(self.env, v, sized), "typedarray info")?;
            return Ok(bytes.unwrap_or_default());
        }
        self.ok(napi_call::arraybuffer_bytes(self.env, v), "arraybuffer info")
    }
}

impl Host for NodeHost {
    type Value = napi_value;

    fn undefined(&mut self) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_get_undefined()), "undefined")
    }

    fn boolean(&mut self, b: bool) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_get_boolean(b)), "boolean")
    }

    fn number(&mut self, n: f64) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_create_double(n)), "number")
    }

    fn bigint(&mut self, n: i64) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_create_bigint_int64(n)), "bigint")
    }

    fn string(&mut self, s: &str) -> HostResult<napi_value> {
        self.str_value(s)
    }

    fn bytes(&mut self, b: &[u8]) -> HostResult<napi_value> {
        self.ok(napi_call::uint8_array(self.env, b), "Uint8Array")
    }

    fn new_array(&mut self, len: u32) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_create_array_with_length(len as usize)), "array")
    }

    fn array_set(&mut self, array: &napi_value, index: u32, v: &napi_value) -> HostResult<()> {
        self.ok(napi_call!(self.env, napi_set_element(*array, index, *v) -> ()), "set element")
    }

    fn new_object(&mut self) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_create_object()), "object")
    }

    fn object_set(&mut self, obj: &napi_value, key: &str, v: &napi_value) -> HostResult<()> {
        let k = self.str_value(key)?;
        self.ok(napi_call!(self.env, napi_set_property(*obj, k, *v) -> ()), "set property")
    }

    fn lua_function(&mut self, id: u32) -> HostResult<napi_value> {
        let f = self.hook("makeFunction")?;
        let arg = self.number(id as f64)?;
        self.invoke(self.hooks, f, &[arg]).map_err(|e| self.keep(e))
    }

    fn inspect(&mut self, v: &napi_value) -> HostResult<JsKind> {
        let t = self.ok(napi_call!(self.env, napi_typeof(*v)), "typeof")?;
        Ok(match t {
            sys::ValueType::napi_undefined => JsKind::Undefined,
            sys::ValueType::napi_null => JsKind::Null,
            sys::ValueType::napi_boolean => JsKind::Bool(self.ok(napi_call!(self.env, napi_get_value_bool(*v)), "bool")?),
            sys::ValueType::napi_number => JsKind::Number(self.ok(napi_call!(self.env, napi_get_value_double(*v)), "number")?),
            sys::ValueType::napi_bigint => {
                let (n, lossless) = self.ok(napi_call::bigint_i64(self.env, *v), "bigint")?;
                JsKind::BigInt(lossless.then_some(n))
            }
            sys::ValueType::napi_string => JsKind::String(self.read_string(*v)?),
            sys::ValueType::napi_function => JsKind::Function,
            sys::ValueType::napi_symbol => JsKind::Unsupported(Unsupported::Symbol),
            sys::ValueType::napi_external => JsKind::Unsupported(Unsupported::External),
            _ => self.object_kind(*v)?,
        })
    }

    fn array_get(&mut self, array: &napi_value, index: u32) -> HostResult<napi_value> {
        self.ok(napi_call!(self.env, napi_get_element(*array, index)), "get element")
    }

    fn object_entries(&mut self, obj: &napi_value) -> HostResult<Vec<(String, napi_value)>> {
        let names = napi_call!(
            self.env,
            napi_get_all_property_names(
                *obj,
                sys::KeyCollectionMode::own_only,
                sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                sys::KeyConversion::numbers_to_strings,
            )
        );
        let names = self.ok(names, "property names")?;
        let len = self.ok(napi_call!(self.env, napi_get_array_length(names)), "names length")?;
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            let k = self.array_get(&names, i)?;
            let v = self.ok(napi_call!(self.env, napi_get_property(*obj, k)), "get property")?;
            out.push((self.read_string(k)?, v));
        }
        Ok(out)
    }

    fn get(&mut self, obj: &napi_value, key: &str) -> HostResult<napi_value> {
        self.get_named(*obj, key)
    }

    fn set_values(&mut self, set: &napi_value) -> HostResult<Vec<napi_value>> {
        let f = self.hook("setValues")?;
        let list = self.invoke(self.hooks, f, &[*set]).map_err(|e| self.keep(e))?;
        let len = self.ok(napi_call!(self.env, napi_get_array_length(list)), "members length")?;
        (0..len).map(|i| self.array_get(&list, i)).collect()
    }

    fn same(&mut self, a: &napi_value, b: &napi_value) -> HostResult<bool> {
        self.ok(napi_call!(self.env, napi_strict_equals(*a, *b)), "===")
    }

    fn call(&mut self, f: &napi_value, args: &[napi_value]) -> Result<napi_value, CallError<napi_value>> {
        let recv = self.undefined().map_err(|e| CallError { message: e.message, exception: None })?;
        self.invoke(recv, *f, args)
    }

    fn new_map(&mut self) -> HostResult<napi_value> {
        let ctor = self.deref(self.refs.map_ctor)?;
        self.ok(napi_call::new_instance(self.env, ctor), "new Map")
    }

    fn map_get(&mut self, map: &napi_value, key: &napi_value) -> HostResult<napi_value> {
        self.method(self.refs.map_get, map, &[*key])
    }

    fn map_set(&mut self, map: &napi_value, key: &napi_value, v: &napi_value) -> HostResult<()> {
        self.method(self.refs.map_set, map, &[*key, *v]).map(|_| ())
    }

    fn map_delete(&mut self, map: &napi_value, key: &napi_value) -> HostResult<()> {
        self.method(self.refs.map_delete, map, &[*key]).map(|_| ())
    }

    fn map_has(&mut self, map: &napi_value, key: &napi_value) -> HostResult<bool> {
        let r = self.method(self.refs.map_has, map, &[*key])?;
        self.ok(napi_call!(self.env, napi_get_value_bool(r)), "has")
    }

    fn map_size(&mut self, map: &napi_value) -> HostResult<u32> {
        let s = self.method(self.refs.map_size, map, &[])?;
        self.ok(napi_call!(self.env, napi_get_value_uint32(s)), "size")
    }

    fn map_clear(&mut self, map: &napi_value) -> HostResult<()> {
        self.method(self.refs.map_clear, map, &[]).map(|_| ())
    }

    fn map_entries(&mut self, map: &napi_value) -> HostResult<Vec<(napi_value, napi_value)>> {
        // One JS call returns [k0, v0, k1, v1, ...]: N-API cannot iterate a Map itself.
        let f = self.hook("mapEntries")?;
        let flat = self.invoke(self.hooks, f, &[*map]).map_err(|e| self.keep(e))?;
        let len = self.ok(napi_call!(self.env, napi_get_array_length(flat)), "entries length")?;
        let mut out = Vec::with_capacity(len as usize / 2);
        for i in (0..len).step_by(2) {
            out.push((self.array_get(&flat, i)?, self.array_get(&flat, i + 1)?));
        }
        Ok(out)
    }

    fn map_aux(&mut self, map: &napi_value, create: bool) -> HostResult<Option<napi_value>> {
        let sym = self.hook("auxSymbol")?;
        let v = self.ok(napi_call!(self.env, napi_get_property(*map, sym)), "aux")?;
        if let JsKind::Map = self.inspect(&v)? {
            return Ok(Some(v));
        }
        if !create {
            return Ok(None);
        }
        let m = self.new_map()?;
        // Non-enumerable, so inspecting or spreading the Map shows only the user's data.
        let prop = sys::napi_property_descriptor {
            utf8name: ptr::null(),
            name: sym,
            method: None,
            getter: None,
            setter: None,
            value: m,
            attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::configurable,
            data: ptr::null_mut(),
        };
        // SAFETY: as in `napi_call!`; N-API reads the one descriptor at `&prop`, a live
        // local whose name and value are live handles (the strings are null).
        let status = unsafe { sys::napi_define_properties(self.env, *map, 1, &prop) };
        self.ok(napi_call::status(status, ()), "set aux")?;
        Ok(Some(m))
    }

    fn ext_root(&mut self) -> HostResult<napi_value> {
        self.weak(self.refs.ext, "ext Map")
    }

    fn slot_set(&mut self, slot: u32, v: &napi_value) -> HostResult<()> {
        self.slot_refs.forget(self.env, slot);
        let slots = self.slots()?;
        self.ok(napi_call!(self.env, napi_set_element(slots, slot, *v) -> ()), "slot set")
    }

    fn slot_get(&mut self, slot: u32) -> HostResult<napi_value> {
        if let Some(v) = self.slot_refs.get(self.env, slot) {
            return Ok(v);
        }
        let slots = self.slots()?;
        let v = self.array_get(&slots, slot)?;
        self.slot_refs.read(self.env, slot, v);
        Ok(v)
    }

    fn slot_clear(&mut self, slot: u32) -> HostResult<()> {
        let u = self.undefined()?;
        self.slot_set(slot, &u)
    }

    fn print(&mut self, text: &str) -> Result<(), CallError<napi_value>> {
        let plain = |e: HostError| CallError { message: e.message, exception: None };
        let f = self.hook("print").map_err(plain)?;
        let arg = self.str_value(text).map_err(plain)?;
        self.invoke(self.hooks, f, &[arg]).map(|_| ())
    }

    fn mute_rejection(&mut self, v: &napi_value) -> HostResult<()> {
        let f = self.hook("muteRejection")?;
        self.invoke(self.hooks, f, &[*v]).map(|_| ()).map_err(|e| self.keep(e))
    }

    fn journal_set(&mut self, map: &napi_value, key: &napi_value, v: Option<&napi_value>, tagged: bool) -> HostResult<()> {
        let f = self.weak(self.refs.journal_set, "journal")?;
        let v = match v {
            Some(v) => *v,
            None => self.undefined()?,
        };
        let tagged = self.boolean(tagged)?;
        self.invoke(self.hooks, f, &[*map, *key, v, tagged]).map(|_| ()).map_err(|e| self.keep(e))
    }

    fn journal_end(&mut self, keep: u32, undo: bool) -> HostResult<()> {
        let f = self.hook("journalEnd")?;
        let keep = self.number(keep as f64)?;
        let undo = self.boolean(undo)?;
        self.invoke(self.hooks, f, &[keep, undo]).map(|_| ()).map_err(|e| self.keep(e))
    }

    fn hook_value(&mut self, name: &str) -> HostResult<napi_value> {
        self.hook(name)
    }

    fn multi_values(&mut self, v: &napi_value) -> HostResult<Option<napi_value>> {
        let f = self.hook("multiValues")?;
        let r = self.invoke(self.hooks, f, &[*v]).map_err(|e| self.keep(e))?;
        Ok(match self.inspect(&r)? {
            JsKind::Undefined => None,
            _ => Some(r),
        })
    }

    fn take_exception(&mut self) -> Option<napi_value> {
        let exc = self.caught.replace(ptr::null_mut());
        (!exc.is_null()).then_some(exc)
    }

    fn now_ms() -> f64 {
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }

    /// Any N-API call that may run JS fails once Node has begun tearing the thread down
    /// (a Worker's `terminate()` sets the environment stopping, then waits for native
    /// code to return): an element read on the hooks object is the cheapest such call.
    /// V8 cannot stop a Lua loop in C itself, so without this `terminate()` never
    /// completed while a call ran.
    fn stopping(&mut self) -> bool {
        napi_call!(self.env, napi_get_element(self.hooks, 0u32)).is_err()
    }

    const CHECKS_STOPPING: bool = true;

    fn interrupted(&mut self) -> bool {
        use std::sync::atomic::Ordering;
        // SAFETY: non-null only while `interrupt_ref` holds the array (see `Refs`).
        !self.refs.interrupt.is_null() && unsafe { (*self.refs.interrupt).swap(0, Ordering::SeqCst) } != 0
    }

    fn open_scope(&mut self) -> usize {
        let scope: sys::napi_handle_scope = napi_call!(self.env, napi_open_handle_scope()).unwrap_or(ptr::null_mut());
        scope as usize
    }

    /// `token` is what `open_scope` returned: a scope of this env, still open (the core
    /// closes each scope once, innermost first; see `Scope`).
    fn close_scope(&mut self, token: usize) {
        if token != 0 {
            let _ = napi_call!(self.env, napi_close_handle_scope(token as sys::napi_handle_scope) -> ());
        }
    }
}

/// The core's name for an N-API typed array type: `Some(None)` for a Uint8Array (a byte
/// string), `None` for a type the core does not convert (a newer one, Float16Array).
fn typed_type(kind: sys::napi_typedarray_type) -> Option<Option<TypedArray>> {
    use sys::TypedarrayType as T;
    Some(Some(match kind {
        T::uint8_array => return Some(None),
        T::int8_array => TypedArray::Int8,
        T::uint8_clamped_array => TypedArray::Uint8Clamped,
        T::int16_array => TypedArray::Int16,
        T::uint16_array => TypedArray::Uint16,
        T::int32_array => TypedArray::Int32,
        T::uint32_array => TypedArray::Uint32,
        T::float32_array => TypedArray::Float32,
        T::float64_array => TypedArray::Float64,
        T::bigint64_array => TypedArray::BigInt64,
        T::biguint64_array => TypedArray::BigUint64,
        _ => return None,
    }))
}
