//! `Host` over raw N-API: each primitive is one or two N-API calls. No rules here.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use std::rc::Rc;
use std::time::Instant;

use lua_persistent_core::{CallError, Host, HostError, HostResult, JsKind};
use napi::sys::{self, napi_env, napi_ref, napi_value};

use crate::slot_refs::SlotRefs;

/// Builtins a VM references for its whole life (deleted when the VM is finalized).
/// Nothing of the user's is referenced from native code: the JS layer passes its `hooks`
/// object (ext Map, slots, helpers) with every call, so no reference cycle runs through
/// a GC root and a forgotten VM is still collected.
#[derive(Clone, Copy)]
pub struct Refs {
    pub map_ctor: napi_ref,
    pub map_get: napi_ref,
    pub map_set: napi_ref,
    pub map_has: napi_ref,
    pub map_delete: napi_ref,
    pub map_clear: napi_ref,
    /// The intrinsic `size` getter of `Map.prototype` (a subclass may override `size`).
    pub map_size: napi_ref,
    /// The global `Array.isArray` (true for Proxies of arrays, unlike napi_is_array).
    pub is_array: napi_ref,
    /// The `interruptBuffer` option: a reference keeps the Int32Array (and so its
    /// SharedArrayBuffer, whose memory never moves) alive; `interrupt` points at its
    /// first element. Both null without the option.
    pub interrupt_ref: napi_ref,
    /// Weak references (count 0) to `hooks.slots` and `hooks.ext`: the JS layer owns
    /// both for the VM's whole life; dereferencing is much cheaper than reading `hooks`
    /// properties on every call, and being weak they add no GC root.
    pub slots: napi_ref,
    pub ext: napi_ref,
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
    /// An N-API status as a result. A failure that left a JS exception pending (a getter
    /// or Proxy trap that threw) clears it, so later N-API calls still work, describes
    /// it, and keeps it for `take_exception`.
    fn ok(&self, status: sys::napi_status, what: &str) -> HostResult<()> {
        if status == sys::Status::napi_ok {
            return Ok(());
        }
        let mut pending = false;
        unsafe { sys::napi_is_exception_pending(self.env, &mut pending) };
        if pending {
            let mut exc = ptr::null_mut();
            unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut exc) };
            self.caught.set(exc);
            return Err(HostError::new(self.describe_exception(exc)));
        }
        Err(HostError::new(format!("N-API call failed: {what} (status {status})")))
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
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_reference_value(self.env, r, &mut v) }, "get reference")?;
        Ok(v)
    }

    fn hook(&self, name: &str) -> HostResult<napi_value> {
        self.get_named(self.hooks, name)
    }

    /// A property read; a throwing getter or Proxy trap becomes an error (and the JS
    /// exception is cleared, so later N-API calls still work).
    pub fn get_named(&self, obj: napi_value, name: &str) -> HostResult<napi_value> {
        let key = self.str_value(name)?;
        let mut v = ptr::null_mut();
        if unsafe { sys::napi_get_property(self.env, obj, key, &mut v) } != sys::Status::napi_ok {
            let mut exc = ptr::null_mut();
            unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut exc) };
            if exc.is_null() {
                return Err(HostError::new(format!("cannot read property '{name}'")));
            }
            self.caught.set(exc);
            return Err(HostError::new(self.describe_exception(exc)));
        }
        Ok(v)
    }

    fn str_value(&self, s: &str) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(
            unsafe { sys::napi_create_string_utf8(self.env, s.as_ptr() as *const _, s.len() as isize, &mut v) },
            "create string",
        )?;
        Ok(v)
    }

    /// Calls `f` with `this` = recv; a JS exception becomes a `CallError` with the value.
    fn invoke(&self, recv: napi_value, f: napi_value, args: &[napi_value]) -> Result<napi_value, CallError<napi_value>> {
        let mut out = ptr::null_mut();
        let status = unsafe { sys::napi_call_function(self.env, recv, f, args.len(), args.as_ptr(), &mut out) };
        if status == sys::Status::napi_ok {
            return Ok(out);
        }
        let mut exc = ptr::null_mut();
        let mut pending = false;
        unsafe { sys::napi_is_exception_pending(self.env, &mut pending) };
        if pending {
            unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut exc) };
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
        let mut t = sys::ValueType::napi_undefined;
        unsafe { sys::napi_typeof(self.env, exc, &mut t) };
        let mut v = exc;
        if t == sys::ValueType::napi_object {
            // Not get_named: it describes its own failures with this function.
            let mut m = ptr::null_mut();
            let read = self.str_value("message").map(|key| unsafe { sys::napi_get_property(self.env, exc, key, &mut m) });
            if read == Ok(sys::Status::napi_ok) {
                let mut mt = sys::ValueType::napi_undefined;
                unsafe { sys::napi_typeof(self.env, m, &mut mt) };
                if mt == sys::ValueType::napi_string {
                    v = m;
                }
            } else {
                let mut pending = ptr::null_mut();
                unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut pending) };
            }
        }
        let mut s = ptr::null_mut();
        if unsafe { sys::napi_coerce_to_string(self.env, v, &mut s) } != sys::Status::napi_ok {
            let mut pending = ptr::null_mut();
            unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut pending) };
            return "a JavaScript exception".into();
        }
        self.read_string(s).unwrap_or_default()
    }

    fn read_string(&self, v: napi_value) -> HostResult<String> {
        let mut len = 0usize;
        self.ok(unsafe { sys::napi_get_value_string_utf8(self.env, v, ptr::null_mut(), 0, &mut len) }, "string length")?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        self.ok(
            unsafe { sys::napi_get_value_string_utf8(self.env, v, buf.as_mut_ptr() as *mut _, len + 1, &mut written) },
            "read string",
        )?;
        buf.truncate(written);
        // V8 replaces lone surrogates with U+FFFD, so this is always valid UTF-8.
        Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn is_callable(&self, v: napi_value) -> HostResult<bool> {
        let mut t = 0;
        self.ok(unsafe { sys::napi_typeof(self.env, v, &mut t) }, "typeof")?;
        Ok(t == sys::ValueType::napi_function)
    }

    fn global(&self) -> HostResult<napi_value> {
        let mut g = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_global(self.env, &mut g) }, "global")?;
        Ok(g)
    }

    fn instance_of(&self, v: napi_value, ctor: napi_ref) -> HostResult<bool> {
        let c = self.deref(ctor)?;
        let mut r = false;
        self.ok(unsafe { sys::napi_instanceof(self.env, v, c, &mut r) }, "instanceof")?;
        Ok(r)
    }
}

impl Host for NodeHost {
    type Value = napi_value;

    fn undefined(&mut self) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_undefined(self.env, &mut v) }, "undefined")?;
        Ok(v)
    }

    fn boolean(&mut self, b: bool) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_boolean(self.env, b, &mut v) }, "boolean")?;
        Ok(v)
    }

    fn number(&mut self, n: f64) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_double(self.env, n, &mut v) }, "number")?;
        Ok(v)
    }

    fn bigint(&mut self, n: i64) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_bigint_int64(self.env, n, &mut v) }, "bigint")?;
        Ok(v)
    }

    fn string(&mut self, s: &str) -> HostResult<napi_value> {
        self.str_value(s)
    }

    fn bytes(&mut self, b: &[u8]) -> HostResult<napi_value> {
        let mut data: *mut c_void = ptr::null_mut();
        let mut ab = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_arraybuffer(self.env, b.len(), &mut data, &mut ab) }, "arraybuffer")?;
        if !b.is_empty() {
            unsafe { ptr::copy_nonoverlapping(b.as_ptr(), data as *mut u8, b.len()) };
        }
        let mut v = ptr::null_mut();
        self.ok(
            unsafe { sys::napi_create_typedarray(self.env, sys::TypedarrayType::uint8_array, b.len(), ab, 0, &mut v) },
            "Uint8Array",
        )?;
        Ok(v)
    }

    fn new_array(&mut self, len: u32) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_array_with_length(self.env, len as usize, &mut v) }, "array")?;
        Ok(v)
    }

    fn array_set(&mut self, array: &napi_value, index: u32, v: &napi_value) -> HostResult<()> {
        self.ok(unsafe { sys::napi_set_element(self.env, *array, index, *v) }, "set element")
    }

    fn new_object(&mut self) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_create_object(self.env, &mut v) }, "object")?;
        Ok(v)
    }

    fn object_set(&mut self, obj: &napi_value, key: &str, v: &napi_value) -> HostResult<()> {
        let k = self.str_value(key)?;
        self.ok(unsafe { sys::napi_set_property(self.env, *obj, k, *v) }, "set property")
    }

    fn lua_function(&mut self, id: u32) -> HostResult<napi_value> {
        let f = self.hook("makeFunction")?;
        let arg = self.number(id as f64)?;
        self.invoke(self.hooks, f, &[arg]).map_err(|e| self.keep(e))
    }

    fn inspect(&mut self, v: &napi_value) -> HostResult<JsKind> {
        let mut t = 0;
        self.ok(unsafe { sys::napi_typeof(self.env, *v, &mut t) }, "typeof")?;
        Ok(match t {
            sys::ValueType::napi_undefined => JsKind::Undefined,
            sys::ValueType::napi_null => JsKind::Null,
            sys::ValueType::napi_boolean => {
                let mut b = false;
                self.ok(unsafe { sys::napi_get_value_bool(self.env, *v, &mut b) }, "bool")?;
                JsKind::Bool(b)
            }
            sys::ValueType::napi_number => {
                let mut n = 0.0;
                self.ok(unsafe { sys::napi_get_value_double(self.env, *v, &mut n) }, "number")?;
                JsKind::Number(n)
            }
            sys::ValueType::napi_bigint => {
                let mut n = 0i64;
                let mut lossless = false;
                self.ok(unsafe { sys::napi_get_value_bigint_int64(self.env, *v, &mut n, &mut lossless) }, "bigint")?;
                JsKind::BigInt(lossless.then_some(n))
            }
            sys::ValueType::napi_string => JsKind::String(self.read_string(*v)?),
            sys::ValueType::napi_function => JsKind::Function,
            sys::ValueType::napi_symbol => JsKind::Unsupported("symbol"),
            sys::ValueType::napi_external => JsKind::Unsupported("external"),
            _ => {
                let mut is_array = false;
                self.ok(unsafe { sys::napi_is_array(self.env, *v, &mut is_array) }, "isArray")?;
                if is_array {
                    let mut len = 0u32;
                    self.ok(unsafe { sys::napi_get_array_length(self.env, *v, &mut len) }, "array length")?;
                    return Ok(JsKind::Array(len));
                }
                // instanceof, confirmed by a brand check (Map.prototype.has accepts only
                // real Maps): a Proxy of a Map or a look-alike is read as an object.
                if self.instance_of(*v, self.refs.map_ctor)? {
                    let undefined = self.undefined()?;
                    if self.method(self.refs.map_has, v, &[undefined]).is_ok() {
                        return Ok(JsKind::Map);
                    }
                }
                let mut is_typed = false;
                self.ok(unsafe { sys::napi_is_typedarray(self.env, *v, &mut is_typed) }, "isTypedArray")?;
                if is_typed {
                    let mut kind = 0;
                    let mut len = 0usize;
                    let mut data: *mut c_void = ptr::null_mut();
                    let mut ab = ptr::null_mut();
                    let mut off = 0usize;
                    self.ok(
                        unsafe { sys::napi_get_typedarray_info(self.env, *v, &mut kind, &mut len, &mut data, &mut ab, &mut off) },
                        "typedarray info",
                    )?;
                    if kind != sys::TypedarrayType::uint8_array {
                        return Ok(JsKind::Unsupported("typed array other than Uint8Array"));
                    }
                    let bytes = if len == 0 { Vec::new() } else { unsafe { std::slice::from_raw_parts(data as *const u8, len) }.to_vec() };
                    return Ok(JsKind::Bytes(bytes));
                }
                // napi_is_array is false for a Proxy of an array; Array.isArray, like the
                // wasm adapter uses, is true.
                let global = self.global()?;
                let is_array = self.deref(self.refs.is_array)?;
                let r = self.invoke(global, is_array, &[*v]).map_err(|e| self.keep(e))?;
                let mut yes = false;
                self.ok(unsafe { sys::napi_get_value_bool(self.env, r, &mut yes) }, "isArray")?;
                if yes {
                    let len = self.get_named(*v, "length")?;
                    let mut n = 0f64;
                    self.ok(unsafe { sys::napi_get_value_double(self.env, len, &mut n) }, "length")?;
                    return Ok(JsKind::Array(n as u32));
                }
                if self.is_callable(self.get_named(*v, "then")?)? {
                    return Ok(JsKind::Thenable);
                }
                JsKind::Object
            }
        })
    }

    fn array_get(&mut self, array: &napi_value, index: u32) -> HostResult<napi_value> {
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_element(self.env, *array, index, &mut v) }, "get element")?;
        Ok(v)
    }

    fn object_entries(&mut self, obj: &napi_value) -> HostResult<Vec<(String, napi_value)>> {
        let mut names = ptr::null_mut();
        self.ok(
            unsafe {
                sys::napi_get_all_property_names(
                    self.env,
                    *obj,
                    sys::KeyCollectionMode::own_only,
                    sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
                    sys::KeyConversion::numbers_to_strings,
                    &mut names,
                )
            },
            "property names",
        )?;
        let mut len = 0u32;
        self.ok(unsafe { sys::napi_get_array_length(self.env, names, &mut len) }, "names length")?;
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            let k = self.array_get(&names, i)?;
            let mut v = ptr::null_mut();
            self.ok(unsafe { sys::napi_get_property(self.env, *obj, k, &mut v) }, "get property")?;
            out.push((self.read_string(k)?, v));
        }
        Ok(out)
    }

    fn same(&mut self, a: &napi_value, b: &napi_value) -> HostResult<bool> {
        let mut r = false;
        self.ok(unsafe { sys::napi_strict_equals(self.env, *a, *b, &mut r) }, "===")?;
        Ok(r)
    }

    fn call(&mut self, f: &napi_value, args: &[napi_value]) -> Result<napi_value, CallError<napi_value>> {
        let recv = self.undefined().map_err(|e| CallError { message: e.message, exception: None })?;
        self.invoke(recv, *f, args)
    }

    fn new_map(&mut self) -> HostResult<napi_value> {
        let ctor = self.deref(self.refs.map_ctor)?;
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_new_instance(self.env, ctor, 0, ptr::null(), &mut v) }, "new Map")?;
        Ok(v)
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
        let mut b = false;
        self.ok(unsafe { sys::napi_get_value_bool(self.env, r, &mut b) }, "has")?;
        Ok(b)
    }

    fn map_size(&mut self, map: &napi_value) -> HostResult<u32> {
        let s = self.method(self.refs.map_size, map, &[])?;
        let mut n = 0u32;
        self.ok(unsafe { sys::napi_get_value_uint32(self.env, s, &mut n) }, "size")?;
        Ok(n)
    }

    fn map_clear(&mut self, map: &napi_value) -> HostResult<()> {
        self.method(self.refs.map_clear, map, &[]).map(|_| ())
    }

    fn map_entries(&mut self, map: &napi_value) -> HostResult<Vec<(napi_value, napi_value)>> {
        // One JS call returns [k0, v0, k1, v1, ...]: N-API cannot iterate a Map itself.
        let f = self.hook("mapEntries")?;
        let flat = self.invoke(self.hooks, f, &[*map]).map_err(|e| self.keep(e))?;
        let mut len = 0u32;
        self.ok(unsafe { sys::napi_get_array_length(self.env, flat, &mut len) }, "entries length")?;
        let mut out = Vec::with_capacity(len as usize / 2);
        for i in (0..len).step_by(2) {
            out.push((self.array_get(&flat, i)?, self.array_get(&flat, i + 1)?));
        }
        Ok(out)
    }

    fn map_aux(&mut self, map: &napi_value, create: bool) -> HostResult<Option<napi_value>> {
        let sym = self.hook("auxSymbol")?;
        let mut v = ptr::null_mut();
        self.ok(unsafe { sys::napi_get_property(self.env, *map, sym, &mut v) }, "aux")?;
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
        self.ok(unsafe { sys::napi_define_properties(self.env, *map, 1, &prop) }, "set aux")?;
        Ok(Some(m))
    }

    fn ext_root(&mut self) -> HostResult<napi_value> {
        self.weak(self.refs.ext, "ext Map")
    }

    fn slot_set(&mut self, slot: u32, v: &napi_value) -> HostResult<()> {
        self.slot_refs.forget(self.env, slot);
        let slots = self.slots()?;
        self.ok(unsafe { sys::napi_set_element(self.env, slots, slot, *v) }, "slot set")
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
        let mut v = ptr::null_mut();
        let status = unsafe { sys::napi_get_element(self.env, self.hooks, 0, &mut v) };
        status != sys::Status::napi_ok
    }

    const CHECKS_STOPPING: bool = true;

    fn interrupted(&mut self) -> bool {
        use std::sync::atomic::Ordering;
        // SAFETY: non-null only while `interrupt_ref` holds the array (see `Refs`).
        !self.refs.interrupt.is_null() && unsafe { (*self.refs.interrupt).swap(0, Ordering::SeqCst) } != 0
    }

    fn open_scope(&mut self) -> usize {
        let mut scope = ptr::null_mut();
        unsafe { sys::napi_open_handle_scope(self.env, &mut scope) };
        scope as usize
    }

    fn close_scope(&mut self, token: usize) {
        if token != 0 {
            unsafe { sys::napi_close_handle_scope(self.env, token as sys::napi_handle_scope) };
        }
    }
}
