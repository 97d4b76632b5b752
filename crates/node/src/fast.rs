//! Raw N-API entry points for the hottest calls. napi-rs's method machinery (unwrapping
//! `this`, its type-tag check, native-borrow bookkeeping) was about a third of a cached
//! tiny `eval`; a plain N-API function whose callback data is the VM itself skips all of
//! it. Arguments are translated exactly as the napi-rs methods do.

use std::ffi::c_void;
use std::ptr;
use std::rc::{Rc, Weak};

use napi::sys::{self, napi_callback_info, napi_env, napi_value};
use napi::{Error, Result, Status};

use crate::{check, VmCore};

/// A JS function running `callRef` on `core`. It holds the VM weakly: once the VM object
/// is collected the function throws instead of touching freed state.
pub(crate) unsafe fn call_ref_function(env: napi_env, core: &Rc<VmCore>) -> Result<napi_value> {
    let data = Box::into_raw(Box::new(Rc::downgrade(core))) as *mut c_void;
    let name = "callRef";
    let mut f = ptr::null_mut();
    let made = sys::napi_create_function(env, name.as_ptr() as *const _, name.len() as isize, Some(call_ref_cb), data, &mut f);
    if made != sys::Status::napi_ok {
        drop(Box::from_raw(data as *mut Weak<VmCore>));
        return Err(Error::new(Status::GenericFailure, "lua-persistent: cannot create callRef"));
    }
    check(sys::napi_add_finalizer(env, f, data, Some(free_core), ptr::null_mut(), ptr::null_mut()), "callRef finalizer")?;
    Ok(f)
}

unsafe extern "C" fn free_core(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(Box::from_raw(data as *mut Weak<VmCore>));
}

/// `callRef(hooks, id, args, timeout, mode, echo)`.
unsafe extern "C" fn call_ref_cb(env: napi_env, info: napi_callback_info) -> napi_value {
    let mut argv = [ptr::null_mut(); 6];
    let mut argc = argv.len();
    let mut data = ptr::null_mut();
    if sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), &mut data) != sys::Status::napi_ok {
        return throw_message(env, "lua-persistent: callRef: cannot read arguments");
    }
    let Some(core) = (*(data as *const Weak<VmCore>)).upgrade() else {
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
            sys::napi_throw(env, thrown);
            ptr::null_mut()
        }
    }
}

fn type_of(env: napi_env, v: napi_value) -> sys::napi_valuetype {
    let mut t = sys::ValueType::napi_undefined;
    // A null handle (argument not passed) fails and reads as undefined.
    unsafe { sys::napi_typeof(env, v, &mut t) };
    t
}

fn uint(env: napi_env, v: napi_value) -> Option<u32> {
    let mut n = 0u32;
    (type_of(env, v) == sys::ValueType::napi_number && unsafe { sys::napi_get_value_uint32(env, v, &mut n) } == sys::Status::napi_ok).then_some(n)
}

fn boolean(env: napi_env, v: napi_value) -> Option<bool> {
    let mut b = false;
    (unsafe { sys::napi_get_value_bool(env, v, &mut b) } == sys::Status::napi_ok).then_some(b)
}

/// An optional number (`undefined` or `null` reads as none, as napi-rs's `Option<f64>`).
fn number(env: napi_env, v: napi_value) -> Option<f64> {
    let mut n = 0f64;
    (type_of(env, v) == sys::ValueType::napi_number && unsafe { sys::napi_get_value_double(env, v, &mut n) } == sys::Status::napi_ok).then_some(n)
}

/// The elements of a JS array (none for `undefined`).
fn array(env: napi_env, v: napi_value) -> Option<Vec<napi_value>> {
    if matches!(type_of(env, v), sys::ValueType::napi_undefined | sys::ValueType::napi_null) {
        return Some(Vec::new());
    }
    let mut len = 0u32;
    if unsafe { sys::napi_get_array_length(env, v, &mut len) } != sys::Status::napi_ok {
        return None;
    }
    (0..len)
        .map(|i| {
            let mut e = ptr::null_mut();
            (unsafe { sys::napi_get_element(env, v, i, &mut e) } == sys::Status::napi_ok).then_some(e)
        })
        .collect()
}

fn throw_message(env: napi_env, message: &str) -> napi_value {
    let text = std::ffi::CString::new(message.replace('\0', " ")).unwrap_or_default();
    unsafe { sys::napi_throw_error(env, ptr::null(), text.as_ptr()) };
    ptr::null_mut()
}
