//! The smallest boundary a Rust wasm module can put around our Lua build, in two forms,
//! for `bench/floor.js`: a wasm-bindgen `Vm` that creates a state with every standard
//! library, evaluates a chunk and returns its first result as a JS scalar (tables and
//! functions as null), or its error message as an exception. Nothing else: no limits,
//! no ext tables, no snapshots. Built without the `mlua` feature it calls Lua's C API
//! from mlua-sys; with it, it goes through mlua as `crates/core` does. The two sizes,
//! against the C-only floor (bench/floor/floor.c) and our module, say what the Rust
//! toolchain, mlua and our own features each cost.

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static GLOBAL: lua_persistent_sys::LibcAlloc = lua_persistent_sys::LibcAlloc;

#[cfg(not(feature = "mlua"))]
mod raw {
    use mlua_sys as ffi;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    pub struct Vm {
        state: *mut ffi::lua_State,
    }

    /// The string on top of the stack (an error message or a result), then an empty stack.
    ///
    /// # Safety
    /// `state` is a live Lua state, not running, with at least one value on its stack.
    unsafe fn take_string(state: *mut ffi::lua_State) -> String {
        let mut len = 0usize;
        // SAFETY: the function's contract; the bytes are copied before the value is
        // popped.
        unsafe {
            let p = ffi::lua_tolstring(state, -1, &mut len) as *const u8;
            let s = if p.is_null() { String::from("(error object is not a string)") } else { String::from_utf8_lossy(std::slice::from_raw_parts(p, len)).into_owned() };
            ffi::lua_settop(state, 0);
            s
        }
    }

    #[wasm_bindgen]
    impl Vm {
        #[wasm_bindgen(constructor)]
        pub fn new() -> Result<Vm, JsError> {
            // SAFETY: a fresh state, used only through this Vm.
            unsafe {
                let state = ffi::luaL_newstate();
                if state.is_null() {
                    return Err(JsError::new("not enough memory"));
                }
                ffi::luaL_openlibs(state);
                Ok(Vm { state })
            }
        }

        pub fn eval(&mut self, code: &str) -> Result<JsValue, JsError> {
            let l = self.state;
            // SAFETY: the chunk runs protected; the stack is emptied before returning.
            unsafe {
                if ffi::luaL_loadbufferx(l, code.as_ptr().cast(), code.len(), c"=eval".as_ptr(), c"t".as_ptr()) != 0
                    || ffi::lua_pcall(l, 0, 1, 0) != 0
                {
                    return Err(JsError::new(&take_string(l)));
                }
                let v = match ffi::lua_type(l, -1) {
                    ffi::LUA_TNUMBER => JsValue::from_f64(ffi::lua_tonumber(l, -1)),
                    ffi::LUA_TBOOLEAN => JsValue::from_bool(ffi::lua_toboolean(l, -1) != 0),
                    ffi::LUA_TSTRING => return Ok(JsValue::from_str(&take_string(l))),
                    _ => JsValue::NULL,
                };
                ffi::lua_settop(l, 0);
                Ok(v)
            }
        }
    }

    impl Drop for Vm {
        fn drop(&mut self) {
            // SAFETY: the state is ours and closed once.
            unsafe { ffi::lua_close(self.state) }
        }
    }
}

#[cfg(feature = "mlua")]
mod with_mlua {
    use mlua::{Lua, Value};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    pub struct Vm {
        lua: Lua,
    }

    fn js_error(e: mlua::Error) -> JsError {
        JsError::new(&e.to_string())
    }

    #[wasm_bindgen]
    impl Vm {
        #[wasm_bindgen(constructor)]
        pub fn new() -> Vm {
            // SAFETY: ALL includes the debug library, as the raw form's luaL_openlibs does.
            Vm { lua: unsafe { Lua::unsafe_new_with(mlua::StdLib::ALL, mlua::LuaOptions::new()) } }
        }

        pub fn eval(&mut self, code: &str) -> Result<JsValue, JsError> {
            let f = self.lua.load(code).set_name("=eval").into_function().map_err(js_error)?;
            Ok(match f.call::<Value>(()).map_err(js_error)? {
                Value::Integer(i) => JsValue::from_f64(i as f64),
                Value::Number(n) => JsValue::from_f64(n),
                Value::Boolean(b) => JsValue::from_bool(b),
                Value::String(s) => JsValue::from_str(&s.to_string_lossy()),
                _ => JsValue::NULL,
            })
        }
    }
}

#[cfg(not(feature = "mlua"))]
pub use raw::Vm;
#[cfg(feature = "mlua")]
pub use with_mlua::Vm;
