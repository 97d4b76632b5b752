//! Lua's `print`: lua-sys's C function (`csrc/luap_print.c`), which formats the line as
//! the reference interpreter does, in front of the sink here, which captures it for the
//! call's `output` and echoes it to the host (the `print` option).
//!
//! The sink is a C function made by `c_function` (no mlua handle, so it also runs while
//! `lua_close` frees the state). It never raises: a failure is returned as a message
//! string, which `luap_print` raises with `lua_error`, so no longjmp crosses Rust frames.
//!
//! Output printed outside a call (finalizers run by `close`, `reset`, `gc` or a value
//! conversion) has no call to belong to and no host to echo to: it is dropped.

use std::ffi::c_int;
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::Lua;

use crate::host::Host;
use crate::shared::{c_function, shared_at, Shared};

/// Makes `print` for this state and sets it as the global.
pub(crate) fn install<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let sink = c_function(lua, shared, sink::<H>)?;
    let f = crate::sandbox::sys_cfunction(lua_persistent_sys::luap_print);
    // SAFETY: pushes one C closure taking the sink, on top, as its one upvalue;
    // `exec_raw` checks the stack.
    let print: mlua::Function = unsafe { lua.exec_raw(&sink, |state| ffi::lua_pushcclosure(state, f, 1))? };
    lua.globals().raw_set("print", print)
}

/// `sink(line, where)`: returns nothing, or the message `luap_print` raises. A script
/// can reach the sink (`debug.getupvalue(print, 1)`) and call it with anything: what is
/// not two strings is ignored.
///
/// # Safety
/// Called by Lua only, as the C function `install` made with `c_function` for this `H`.
unsafe extern "C-unwind" fn sink<H: Host + 'static>(state: *mut lua_State) -> c_int {
    // SAFETY: the function's contract.
    let shared = unsafe { shared_at::<H>(state) };
    // SAFETY: `state` is running this function; indices past its arguments are
    // acceptable (read as none). The slices borrow strings that stay on the stack until
    // this returns.
    let (Some(line), Some(at)) = (unsafe { bytes_at(state, 1) }, unsafe { bytes_at(state, 2) }) else { return 0 };
    match crate::shared::contain(shared, Ok(()), || deliver(shared, line, at)) {
        Ok(()) => 0,
        Err(message) => {
            // The push may raise Lua's memory error: the message is moved out of this
            // frame first (as ext_fast's `push_scalar` does), so nothing owned is skipped.
            *shared.scratch.borrow_mut() = message.into_bytes();
            // SAFETY: a C function has room for LUA_MINSTACK values of its own; no
            // borrow of `scratch` is live, and Lua copies the bytes before it can run
            // anything (a GC step's finalizers, after the copy) that might replace them.
            unsafe {
                let scratch = &*shared.scratch.as_ptr();
                ffi::lua_pushlstring(state, scratch.as_ptr() as *const _, scratch.len());
            }
            1
        }
    }
}

/// The string at `idx`, borrowed from the Lua stack (`None` for any other type).
///
/// # Safety
/// `state` is the running Lua state and `idx` an acceptable index of its stack; the
/// result must not be used once that value may have left the stack (`'a` is the
/// caller's to bound).
unsafe fn bytes_at<'a>(state: *mut lua_State, idx: c_int) -> Option<&'a [u8]> {
    // SAFETY: the function's contract. For a string, Lua returns its bytes (`len` of
    // them), which stay put while the string is on the stack (Lua's GC does not move).
    unsafe {
        if ffi::lua_type(state, idx) != ffi::LUA_TSTRING {
            return None;
        }
        let mut len = 0usize;
        let p = ffi::lua_tolstring(state, idx, &mut len) as *const u8;
        Some(if len == 0 { &[][..] } else { std::slice::from_raw_parts(p, len) })
    }
}

/// Captures `line` in the call's output and echoes it when asked. A throwing echo sink
/// fails the print call like a throwing JS function: a runtime error at `at` whose
/// `cause` is the exception (the message is remembered, see `plain::remember`).
fn deliver<H: Host>(shared: &Shared<H>, line: &[u8], at: &[u8]) -> Result<(), String> {
    if !shared.in_call() {
        return Ok(());
    }
    let line = String::from_utf8_lossy(line);
    let echo = {
        let mut out = shared.output.borrow_mut();
        out.push_line(&line);
        out.echo
    };
    if !echo {
        return Ok(());
    }
    let host = shared.host().map_err(|e| e.to_string())?;
    match host.print(&line) {
        Ok(()) => Ok(()),
        Err(e) => {
            let err = crate::convert::call_failure(host, shared, &String::from_utf8_lossy(at), e);
            Err(crate::plain::remember(shared, &err).unwrap_or_else(|| err.to_string()))
        }
    }
}
