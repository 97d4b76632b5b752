//! How the adapter calls N-API: [`napi_call!`] for calls that pass handles and numbers,
//! and a few safe wrappers for the calls that pass memory, each with its SAFETY argument.
//!
//! N-API functions take the environment first, then handles and plain values, and most
//! write their result through a last out-parameter. By hand, every call needs an
//! `unsafe` block, a local for the result and a status check; `napi_call!` does the three
//! and admits only arguments its one SAFETY argument covers.
//!
//! The invariant all of it rests on: in this crate, a `napi_env` or a `napi_value` is
//! always one that N-API gave the call into the addon that is running (a method's or
//! callback's env and arguments, or a handle made since in a handle scope still open),
//! and a `napi_ref` is one not yet deleted. Native code runs only on the JS thread, the
//! core never keeps a value across calls (see `Host`), and the crate is a cdylib with no
//! Rust callers, so functions taking handles are safe Rust, as `NodeHost`'s always were.

use std::ffi::c_void;
use std::ptr;

use napi::sys::{self, napi_env, napi_handle_scope, napi_ref, napi_status, napi_value};

/// A type N-API writes through an out-parameter, and the valid value it starts as (kept
/// when the call fails).
pub(crate) trait Out: Copy {
    fn init() -> Self;
}

impl<T> Out for *mut T {
    fn init() -> Self {
        ptr::null_mut()
    }
}

macro_rules! zero_out {
    ($($t:ty),*) => { $(impl Out for $t { fn init() -> Self { Default::default() } })* };
}
zero_out!(bool, f64, u32, i32, i64, usize);

/// A type [`napi_call!`] may pass to N-API: handles and plain numbers, never a pointer
/// through which N-API would read or write memory.
pub(crate) trait Arg: Copy {}

impl Arg for napi_value {}
impl Arg for napi_ref {}
impl Arg for napi_handle_scope {}
impl Arg for bool {}
impl Arg for f64 {}
impl Arg for u32 {}
/// Also N-API's enums (`napi_typedarray_type`, `napi_key_filter`, ...).
impl Arg for i32 {}
impl Arg for i64 {}
impl Arg for usize {}

/// An argument of [`napi_call!`], checked to be an [`Arg`].
pub(crate) fn arg<A: Arg>(a: A) -> A {
    a
}

/// An N-API status as a result: `out` when the call succeeded.
pub(crate) fn status<T>(status: napi_status, out: T) -> Result<T, napi_status> {
    if status == sys::Status::napi_ok {
        Ok(out)
    } else {
        Err(status)
    }
}

/// `napi_call!(env, napi_f(a, b))` calls `napi::sys::napi_f(env, a, b, &mut out)` and
/// returns `Ok(out)` when it reports `napi_ok`, else `Err(status)`;
/// `napi_call!(env, napi_f(a, b) -> ())` is the same for a function without a result.
/// The arguments are evaluated before the call, outside the `unsafe` block, and must be
/// [`Arg`]s: calls that pass memory use the wrappers below instead.
macro_rules! napi_call {
    ($env:expr, $f:ident($($arg:expr),* $(,)?)) => {
        $crate::napi_call::napi_call!(@bind $env; $f; [out]; []; $($arg),*)
    };
    ($env:expr, $f:ident($($arg:expr),* $(,)?) -> ()) => {
        $crate::napi_call::napi_call!(@bind $env; $f; []; []; $($arg),*)
    };
    // One argument at a time into a binding of its own (each expansion's `a` is a
    // distinct, hygienic name).
    (@bind $env:expr; $f:ident; [$($out:ident)?]; [$($bound:ident)*]; $next:expr $(, $rest:expr)*) => {{
        let a = $crate::napi_call::arg($next);
        $crate::napi_call::napi_call!(@bind $env; $f; [$($out)?]; [$($bound)* a]; $($rest),*)
    }};
    (@bind $env:expr; $f:ident; [$($out:ident)?]; [$($bound:ident)*];) => {{
        let env: ::napi::sys::napi_env = $env;
        $(let mut $out = <_ as $crate::napi_call::Out>::init();)?
        // SAFETY: `$f` is a function of `napi::sys`, N-API's own, called with the types
        // its C signature declares (the compiler checks them). N-API asks of a caller:
        // - `env` is the environment of the running call into the addon, on its thread:
        //   the crate's invariant (module docs);
        // - every handle is one N-API made for that env and still live: the same
        //   invariant. N-API checks a handle for null and for the kind of value it holds
        //   itself, and reports a mismatch as a status;
        // - pointers it reads or writes memory through are valid: the arguments are
        //   `Arg`s, handles and numbers only; the one pointer is `&mut` to an
        //   initialized local `Out` of the type `$f` writes there (inferred from its
        //   signature), live for the whole call.
        let status = unsafe { ::napi::sys::$f(env, $($bound,)* $(&mut $out)?) };
        $crate::napi_call::status(status, ($($out)?))
    }};
}
pub(crate) use napi_call;

/// A JS string with the text of `s`.
pub(crate) fn string(env: napi_env, s: &str) -> Result<napi_value, napi_status> {
    let mut v = ptr::null_mut();
    // SAFETY: as in `napi_call!`; N-API reads `s.len()` bytes at `s.as_ptr()`, which
    // `s` holds for the whole call (a `&str` is never longer than `isize::MAX`).
    let status = unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
    self::status(status, v)
}

/// `f.call(recv, ...args)`. A JS exception stays pending (the status says so).
pub(crate) fn call_function(env: napi_env, recv: napi_value, f: napi_value, args: &[napi_value]) -> Result<napi_value, napi_status> {
    let mut v = ptr::null_mut();
    // SAFETY: as in `napi_call!`; N-API reads `args.len()` handles at `args.as_ptr()`,
    // which `args` holds for the whole call.
    let status = unsafe { sys::napi_call_function(env, recv, f, args.len(), args.as_ptr(), &mut v) };
    self::status(status, v)
}

/// `new ctor()`.
pub(crate) fn new_instance(env: napi_env, ctor: napi_value) -> Result<napi_value, napi_status> {
    let mut v = ptr::null_mut();
    // SAFETY: as in `napi_call!`; with 0 arguments N-API reads none at the null pointer.
    let status = unsafe { sys::napi_new_instance(env, ctor, 0, ptr::null(), &mut v) };
    self::status(status, v)
}

/// The UTF-8 text of the JS string `v`.
pub(crate) fn string_value(env: napi_env, v: napi_value) -> Result<String, napi_status> {
    let mut len = 0usize;
    // SAFETY: as in `napi_call!`; with a null buffer N-API writes only the length, to
    // the `&mut` local.
    status(unsafe { sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) }, ())?;
    let mut buf = vec![0u8; len + 1];
    let mut written = 0usize;
    // SAFETY: as in `napi_call!`; N-API writes at most `buf.len()` bytes (the text and a
    // NUL) into `buf`, and the count of text bytes to the `&mut` local.
    let status = unsafe { sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), buf.len(), &mut written) };
    self::status(status, ())?;
    buf.truncate(written);
    // V8 replaces lone surrogates with U+FFFD, so this is always valid UTF-8.
    Ok(String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// A JS BigInt as an `i64`, and whether that was lossless.
pub(crate) fn bigint_i64(env: napi_env, v: napi_value) -> Result<(i64, bool), napi_status> {
    let mut n = 0i64;
    let mut lossless = false;
    // SAFETY: as in `napi_call!`, with two out-parameters, both `&mut` locals of the
    // types N-API writes.
    let status = unsafe { sys::napi_get_value_bigint_int64(env, v, &mut n, &mut lossless) };
    self::status(status, (n, lossless))
}

/// What `napi_get_typedarray_info` tells of a typed array.
pub(crate) struct TypedArray {
    pub kind: sys::napi_typedarray_type,
    /// Elements, not bytes.
    pub len: usize,
    /// The first element (null when the array is empty or detached).
    pub data: *mut c_void,
}

/// The kind, length and first element of the typed array `v`.
pub(crate) fn typedarray_info(env: napi_env, v: napi_value) -> Result<TypedArray, napi_status> {
    let mut info = TypedArray { kind: 0, len: 0, data: ptr::null_mut() };
    let mut buffer = ptr::null_mut();
    let mut offset = 0usize;
    // SAFETY: as in `napi_call!`, with five out-parameters, all `&mut` locals of the
    // types N-API writes.
    let status = unsafe { sys::napi_get_typedarray_info(env, v, &mut info.kind, &mut info.len, &mut info.data, &mut buffer, &mut offset) };
    self::status(status, info)
}

/// The kind of the typed array `v`, and a copy of its bytes when `size` gives the bytes
/// per element of that kind (`None`: a kind the caller does not read).
pub(crate) fn typedarray_bytes(
    env: napi_env,
    v: napi_value,
    size: impl FnOnce(sys::napi_typedarray_type) -> Option<usize>,
) -> Result<(sys::napi_typedarray_type, Option<Vec<u8>>), napi_status> {
    let info = typedarray_info(env, v)?;
    let Some(size) = size(info.kind) else { return Ok((info.kind, None)) };
    if info.len == 0 || info.data.is_null() {
        return Ok((info.kind, Some(Vec::new())));
    }
    // SAFETY: N-API just reported `len` elements at `data`, the array's view of its
    // buffer, which the live handle `v` keeps alive; `size` is the element size of its
    // kind (the caller's table of N-API's types), so `len * size` bytes are the view.
    // No JS has run since, so it was neither detached nor resized, and nothing writes to
    // it while it is copied.
    let bytes = unsafe { std::slice::from_raw_parts(info.data.cast::<u8>(), info.len * size) }.to_vec();
    Ok((info.kind, Some(bytes)))
}

/// A copy of the bytes of the ArrayBuffer `v` (none when it is detached).
pub(crate) fn arraybuffer_bytes(env: napi_env, v: napi_value) -> Result<Vec<u8>, napi_status> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: as in `napi_call!`, with two out-parameters, both `&mut` locals of the
    // types N-API writes.
    status(unsafe { sys::napi_get_arraybuffer_info(env, v, &mut data, &mut len) }, ())?;
    if len == 0 || data.is_null() {
        return Ok(Vec::new());
    }
    // SAFETY: N-API just reported `len` bytes at `data`, the buffer's memory, which the
    // live handle `v` keeps alive; no JS has run since, so it was neither detached nor
    // resized, and nothing writes to it while it is copied.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec())
}

/// A `Uint8Array` holding a copy of `bytes`.
pub(crate) fn uint8_array(env: napi_env, bytes: &[u8]) -> Result<napi_value, napi_status> {
    let mut data: *mut c_void = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: as in `napi_call!`, with two out-parameters, both `&mut` locals of the
    // types N-API writes.
    status(unsafe { sys::napi_create_arraybuffer(env, bytes.len(), &mut data, &mut buffer) }, ())?;
    if !bytes.is_empty() {
        // SAFETY: N-API made `data` the start of a new buffer of `bytes.len()` bytes,
        // which nothing else can reach yet, so it cannot overlap `bytes`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
    }
    napi_call!(env, napi_create_typedarray(sys::TypedarrayType::uint8_array, bytes.len(), buffer, 0usize))
}
