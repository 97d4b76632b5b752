//! Raw N-API entry points for the hottest calls. napi-rs's method machinery (unwrapping
//! `this`, its type-tag check, native-borrow bookkeeping) was about a third of a cached
//! tiny `eval`; a plain N-API function whose callback data is the VM itself skips all of
//! it. Arguments are translated exactly as the napi-rs methods do.

use std::ffi::c_void;
use std::ptr;
use std::rc::{Rc, Weak};

use napi::sys::{self, napi_callback_info, napi_env, napi_value};
use napi::{Error, Result, Status};

use crate::napi_call::{self, napi_call};
use crate::{check, VmCore};

/// A JS function running `callRef` on `core`. It holds the VM weakly: once the VM object
/// is collected the function throws instead of touching freed state.
pub(crate) fn call_ref_function(env: napi_env, core: &Rc<VmCore>) -> Result<napi_value> {
    let data = Box::into_raw(Box::new(Rc::downgrade(core))).cast::<c_void>();
    let name = "callRef";
    let mut f = ptr::null_mut();
    // SAFETY: as in `napi_call!`; N-API reads `name.len()` bytes of the name, which lives
    // for the whole call, and keeps `data` for the callback, which reads it as the
    // `Weak<VmCore>` it is (`call_ref_cb`) until `free_core` frees it.
    let made = unsafe { sys::napi_create_function(env, name.as_ptr().cast(), name.len() as isize, Some(call_ref_cb), data, &mut f) };
    if made != sys::Status::napi_ok {
        // SAFETY: `data` is the box made above, which N-API did not take.
        drop(unsafe { Box::from_raw(data.cast::<Weak<VmCore>>()) });
        return Err(Error::new(Status::GenericFailure, "lua-persistent: cannot create callRef"));
    }
    // SAFETY: as in `napi_call!`; N-API passes `data` (the box above, owned by `f` from
    // now on) to `free_core` once, when `f` is collected.
    let status = unsafe { sys::napi_add_finalizer(env, f, data, Some(free_core), ptr::null_mut(), ptr::null_mut()) };
    check(napi_call::status(status, ()), "callRef finalizer")?;
    Ok(f)
}

/// Frees the VM handle of a `callRef` function when the function is collected.
///
/// # Safety
/// `data` is the `Box<Weak<VmCore>>` that `call_ref_function` gave the function, and
/// this is its only release: N-API calls a finalizer once.
unsafe extern "C" fn free_core(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: the function's contract.
    drop(unsafe { Box::from_raw(data.cast::<Weak<VmCore>>()) });
}

/// `callRef(hooks, id, args, timeout, mode, echo)`.
///
/// # Safety
/// Called by N-API only, as the callback of a function made by `call_ref_function`:
/// `env` and `info` are that call's, and the function's data is its `Weak<VmCore>`,
/// live until the function is collected.
unsafe extern "C" fn call_ref_cb(env: napi_env, info: napi_callback_info) -> napi_value {
    let mut argv = [ptr::null_mut(); 6];
    let mut argc = argv.len();
    let mut data = ptr::null_mut();
    // SAFETY: as in `napi_call!`, with `info` this call's (the function's contract);
    // N-API writes at most `argc` (the length of `argv`) handles into `argv`, the count
    // to `argc` and the data pointer to `data`, all `&mut` locals.
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) };
    if status != sys::Status::napi_ok {
        return throw_message(env, "lua-persistent: callRef: cannot read arguments");
    }
    // SAFETY: the function's data, a live `Weak<VmCore>` (the function's contract).
    let Some(core) = unsafe { &*data.cast::<Weak<VmCore>>() }.upgrade() else {
        return throw_message(env, "lua-persistent: VM finalized");
    };
    let (Some(id), Some(args), Some(mode), Some(echo)) = (uint(env, argv[1]), array(env, argv[2]), uint(env, argv[4]), boolean(env, argv[5])) else {
        return throw_message(env, "lua-persistent: callRef: bad arguments");
    };
    let mut h = match core.host(env, argv[0]) {
        Ok(h) => h,
        Err(e) => return throw_message(env, &e.reason),
    };
    match core.call_ref(&mut h, id, &args, number(env, argv[3]), mode, echo) {
        Ok(v) => v,
        Err(thrown) => {
            let _ = napi_call!(env, napi_throw(thrown) -> ());
            ptr::null_mut()
        }
    }
}

fn type_of(env: napi_env, v: napi_value) -> sys::napi_valuetype {
    // A null handle (argument not passed) fails and reads as undefined.
    napi_call!(env, napi_typeof(v)).unwrap_or(sys::ValueType::napi_undefined)
}

fn uint(env: napi_env, v: napi_value) -> Option<u32> {
    (type_of(env, v) == sys::ValueType::napi_number).then(|| napi_call!(env, napi_get_value_uint32(v)).ok())?
}

fn boolean(env: napi_env, v: napi_value) -> Option<bool> {
    napi_call!(env, napi_get_value_bool(v)).ok()
}

/// An optional number (`undefined` or `null` reads as none, as napi-rs's `Option<f64>`).
fn number(env: napi_env, v: napi_value) -> Option<f64> {
    (type_of(env, v) == sys::ValueType::napi_number).then(|| napi_call!(env, napi_get_value_double(v)).ok())?
}

/// The elements of a JS array (none for `undefined`).
fn array(env: napi_env, v: napi_value) -> Option<Vec<napi_value>> {
    if matches!(type_of(env, v), sys::ValueType::napi_undefined | sys::ValueType::napi_null) {
        return Some(Vec::new());
    }
    let len = napi_call!(env, napi_get_array_length(v)).ok()?;
    (0..len).map(|i| napi_call!(env, napi_get_element(v, i)).ok()).collect()
}

fn throw_message(env: napi_env, message: &str) -> napi_value {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: as in `napi_call!`; N-API reads the NUL-terminated `text`, which lives for
    // the whole call (a null code means none).
    unsafe { sys::napi_throw_error(env, ptr::null(), text.as_ptr()) };
    ptr::null_mut()
}
