//! The scalar fast path of ext proxies' `__index` and `__newindex`.
//!
//! Going through mlua's callback machinery (argument conversion, userdata borrow, result
//! packing) and the `plain` error wrapper was most of an ext read or write. Here a raw
//! `lua_CFunction` handles the common case, a scalar key with a scalar value, straight
//! from the Lua stack, using the very same core functions (`classify`, `write`,
//! `delete`) as the full path. Anything else (a nested Map, a table value, a bad key, a
//! host failure) is a *miss*: a small Lua glue function then tail-calls the full
//! `plain`-wrapped implementation, which decides and reports exactly as before. The
//! fast path never raises an error of its own, so no Rust frame is ever unwound (and a
//! panic is contained, see `shared::contain`).
//!
//! A proxy is recognised by its userdata address, registered in `Shared::proxies` while
//! the proxy lives, so a forged first argument is simply a miss.

use std::ffi::c_int;
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::{Function, Lua};

use crate::convert::integer;
use crate::ext::{classify, Entry, ExtProxy};
use crate::seen::KeyRef;
use crate::host::{Host, HostError};
use crate::sharing::Mode;
use crate::shared::{c_function, contain, shared_at, Scope, Shared};
use crate::stored::{Key, Stored};

/// The glue: `fast` answers `hit, value` (index) or `hit` (newindex); on a miss the full
/// implementation is tail-called. Named "plain" so that error positions skip it, as they
/// skip the `plain` wrappers (see `lua_position`). Loaded as bytecode
/// (`precompiled::EXT_GLUE`): edit here, then re-make that.
#[cfg(any(test, target_endian = "big"))]
pub(crate) const GLUE: &str = r#"
local function index(fast, slow)
  return function(t, k)
    local hit, v = fast(t, k)
    if hit then return v end
    return slow(t, k)
  end
end
local function newindex(fast, slow)
  return function(t, k, v)
    if not fast(t, k, v) then return slow(t, k, v) end
  end
end
return index, newindex
"#;

/// `__index` and `__newindex` for ext proxies: the fast paths in front of `slow_index`
/// and `slow_new_index`.
pub(crate) fn metamethods<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, slow_index: Function, slow_new_index: Function) -> mlua::Result<(Function, Function)> {
    let (index, new_index): (Function, Function) = crate::precompiled::EXT_GLUE.load(lua)?.call(())?;
    Ok((
        index.call((c_function(lua, shared, fast_index::<H>)?, slow_index))?,
        new_index.call((c_function(lua, shared, fast_new_index::<H>)?, slow_new_index))?,
    ))
}

/// The slot of the proxy at `idx`, when it is one of ours.
///
/// # Safety
/// `state` is the running Lua state and `idx` an acceptable index of its stack.
unsafe fn proxy_slot<H: Host>(state: *mut lua_State, shared: &Shared<H>, idx: c_int) -> Option<u32> {
    // SAFETY: the function's contract; both only read the value at `idx`.
    let addr = unsafe {
        if ffi::lua_type(state, idx) != ffi::LUA_TUSERDATA {
            return None;
        }
        ffi::lua_touserdata(state, idx) as usize
    };
    shared.proxies.borrow().get(&addr).copied()
}

/// A Lua string at `idx` as UTF-8 text, borrowed from the Lua stack.
///
/// # Safety
/// `state` is the running Lua state and the value at `idx` a string (a number would be
/// converted in place); the result must not be used once that value may have left the
/// stack (`'a` is the caller's to bound).
unsafe fn text_at<'a>(state: *mut lua_State, idx: c_int) -> Result<&'a str, &'a [u8]> {
    let mut len = 0usize;
    // SAFETY: the function's contract. For a string, Lua returns its bytes (`len` of
    // them), which stay put while the string is on the stack (Lua's GC does not move).
    let bytes = unsafe {
        let p = ffi::lua_tolstring(state, idx, &mut len) as *const u8;
        if len == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(p, len)
        }
    };
    std::str::from_utf8(bytes).map_err(|_| bytes)
}

/// A scalar key at `idx` (what `key_from_lua` accepts), else `None`.
///
/// # Safety
/// As [`text_at`], for any type of value at `idx` (an acceptable index).
unsafe fn key_at<'a>(state: *mut lua_State, idx: c_int) -> Option<FastKey<'a>> {
    // SAFETY: the function's contract; each accessor matches the type just read, and
    // `text_at` is given a string.
    unsafe {
        Some(match ffi::lua_type(state, idx) {
            ffi::LUA_TNUMBER if ffi::lua_isinteger(state, idx) != 0 => FastKey::Key(Key::Int(ffi::lua_tointegerx(state, idx, std::ptr::null_mut()))),
            ffi::LUA_TNUMBER => FastKey::Key(Key::from_float(ffi::lua_tonumberx(state, idx, std::ptr::null_mut()))?),
            ffi::LUA_TBOOLEAN => FastKey::Key(Key::Bool(ffi::lua_toboolean(state, idx) != 0)),
            ffi::LUA_TSTRING => FastKey::Str(text_at(state, idx).ok()?),
            _ => return None,
        })
    }
}

/// A key without copying string keys.
enum FastKey<'a> {
    Key(Key),
    Str(&'a str),
}

impl FastKey<'_> {
    fn as_ref(&self) -> KeyRef<'_> {
        match self {
            FastKey::Key(k) => k.as_ref(),
            FastKey::Str(s) => KeyRef::Str(s),
        }
    }

    /// As [`Key::weight`].
    fn weight(&self) -> u64 {
        match self {
            FastKey::Key(k) => k.weight(),
            FastKey::Str(s) => crate::stored::ENTRY_OVERHEAD + s.len() as u64,
        }
    }
}

fn key_value<H: Host>(h: &mut H, k: &FastKey) -> Result<H::Value, HostError> {
    match k {
        FastKey::Str(s) => h.string(s),
        FastKey::Key(Key::Int(i)) => integer(h, *i),
        FastKey::Key(k) => crate::ext::key_to_js(h, k),
    }
}

/// A scalar value at `idx` as `to_stored` would make it (`None` for nil), or a miss.
///
/// # Safety
/// `state` is the running Lua state and `idx` an acceptable index of its stack.
unsafe fn value_at(state: *mut lua_State, idx: c_int) -> Option<Option<Stored>> {
    // SAFETY: the function's contract; each accessor matches the type just read, and
    // `text_at` is given a string, whose bytes are copied before this returns.
    unsafe {
        Some(Some(match ffi::lua_type(state, idx) {
            ffi::LUA_TNIL => return Some(None),
            ffi::LUA_TBOOLEAN => Stored::Bool(ffi::lua_toboolean(state, idx) != 0),
            ffi::LUA_TNUMBER if ffi::lua_isinteger(state, idx) != 0 => Stored::Int(ffi::lua_tointegerx(state, idx, std::ptr::null_mut())),
            ffi::LUA_TNUMBER => {
                let f = ffi::lua_tonumberx(state, idx, std::ptr::null_mut());
                Stored::Float(if f.is_nan() { f64::NAN } else { f })
            }
            ffi::LUA_TSTRING => match text_at(state, idx) {
                Ok(t) => Stored::Str(t.to_string()),
                Err(b) => Stored::Bytes(b.to_vec()),
            },
            _ => return None,
        }))
    }
}

/// `t[k]`: pushes `true, value` on a hit, `false` on a miss.
///
/// # Safety
/// Called by Lua only, as the C function `metamethods` made with `c_function` for this
/// `H` (the glue passes it `t, k`).
unsafe extern "C-unwind" fn fast_index<H: Host + 'static>(state: *mut lua_State) -> c_int {
    // SAFETY: the function's contract.
    let shared = unsafe { shared_at::<H>(state) };
    // SAFETY: `state` is running this function, whose arguments are at 1 and 2 (indices
    // past the top are acceptable: a C function may read up to LUA_MINSTACK); `key`
    // borrows the string at 2, which stays on the stack until this returns.
    let hit = contain(shared, None, || match unsafe { (proxy_slot(state, shared, 1), key_at(state, 2)) } {
        (Some(slot), Some(key)) => read(shared, slot, &key),
        _ => None,
    });
    // SAFETY: a C function has room for LUA_MINSTACK (20) values of its own, and this
    // pushes at most two.
    unsafe {
        match hit {
            None => {
                ffi::lua_pushboolean(state, 0);
                1
            }
            Some(v) => {
                ffi::lua_pushboolean(state, 1);
                push_scalar(state, shared, v);
                2
            }
        }
    }
}

fn read<H: Host>(shared: &Shared<H>, slot: u32, key: &FastKey) -> Option<Option<Stored>> {
    // A shared store's reads are noted (or refused) by the slow path.
    if shared.sharing.get() != Mode::Local {
        return None;
    }
    let host = shared.host().ok()?;
    let s = Scope::open(host);
    let h = &mut *s.host;
    let map = h.slot_get(slot).ok()?;
    let jk = key_value(h, key).ok()?;
    let v = h.map_get(&map, &jk).ok()?;
    match classify(h, &map, &jk, v, shared.float_tags.get()).ok()? {
        Entry::Absent => Some(None),
        // A tripped limit is a miss: the slow path raises it.
        Entry::Scalar(s) => crate::limits::charge_bytes(shared, s.weight() as usize).is_ok().then_some(Some(s)),
        Entry::Map(_) | Entry::Unsupported(_) => None,
    }
}

/// The proxy at `idx`, when it is one of ours.
///
/// # Safety
/// As [`proxy_slot`]; the proxy must not be used once the value at `idx` may have left
/// the stack (`'a` is the caller's to bound).
unsafe fn proxy_at<'a, H: Host>(state: *mut lua_State, shared: &Shared<H>, idx: c_int) -> Option<&'a ExtProxy<H>> {
    // SAFETY: the function's contract.
    let addr = unsafe {
        if ffi::lua_type(state, idx) != ffi::LUA_TUSERDATA {
            return None;
        }
        ffi::lua_touserdata(state, idx) as usize
    };
    crate::proxy::at(shared, addr)
}

/// Pushes a scalar. A string may raise Lua's memory error: its bytes are first moved to
/// `Shared::scratch`, so no Rust value owning memory is live in this frame if it does.
///
/// # Safety
/// `state` is the running Lua state (of `shared`), with room for one more value, and
/// the calling Rust frames own nothing that needs dropping: a raised error skips them.
unsafe fn push_scalar<H: Host>(state: *mut lua_State, shared: &Shared<H>, v: Option<Stored>) {
    // SAFETY: the function's contract.
    let bytes = unsafe {
        match v {
            None => return ffi::lua_pushnil(state),
            Some(Stored::Bool(b)) => return ffi::lua_pushboolean(state, b as c_int),
            Some(Stored::Int(i)) => return ffi::lua_pushinteger(state, i),
            Some(Stored::Float(f)) => return ffi::lua_pushnumber(state, f),
            Some(Stored::Str(s)) => s.into_bytes(),
            Some(Stored::Bytes(b)) => b,
            // `classify` never makes one (a nested Map is `Entry::Map`, a miss); nil
            // rather than a panic, which could not unwind through Lua's C frames.
            Some(Stored::Table(_)) => return ffi::lua_pushnil(state),
        }
    };
    *shared.scratch.borrow_mut() = bytes;
    // SAFETY: the function's contract. No borrow of `scratch` is live, and Lua copies
    // the bytes before it can run anything (a GC step's finalizers, after the copy) that
    // might replace them.
    unsafe {
        let scratch = &*shared.scratch.as_ptr();
        ffi::lua_pushlstring(state, scratch.as_ptr() as *const _, scratch.len());
    }
}

/// `t[k] = v`: pushes whether it was done.
///
/// # Safety
/// Called by Lua only, as the C function `metamethods` made with `c_function` for this
/// `H` (the glue passes it `t, k, v`).
unsafe extern "C-unwind" fn fast_new_index<H: Host + 'static>(state: *mut lua_State) -> c_int {
    // SAFETY: the function's contract.
    let shared = unsafe { shared_at::<H>(state) };
    // SAFETY: as in `fast_index`, with the value at 3.
    let done = contain(shared, false, || match unsafe { (proxy_at(state, shared, 1), key_at(state, 2), value_at(state, 3)) } {
        (Some(proxy), Some(key), Some(value)) => store(shared, proxy, &key, value.as_ref()).is_some(),
        _ => false,
    });
    // SAFETY: a C function has room for LUA_MINSTACK values of its own.
    unsafe { ffi::lua_pushboolean(state, done as c_int) };
    1
}

fn store<H: Host + 'static>(shared: &Shared<H>, proxy: &ExtProxy<H>, key: &FastKey, value: Option<&Stored>) -> Option<()> {
    if shared.sharing.get() != Mode::Local {
        return None;
    }
    // A write that the estimate has no room for, or a tripped limit, is a miss: the slow
    // path measures, decides and raises (quota.rs).
    if let Some(v) = value {
        let weight = v.weight() + key.weight();
        if crate::limits::charge_bytes(shared, weight as usize).is_err() || !crate::quota::try_add(shared, weight) {
            return None;
        }
    }
    let host = shared.host().ok()?;
    let s = Scope::open(host);
    let h = &mut *s.host;
    let map = h.slot_get(proxy.owner.slot).ok()?;
    let jk = key_value(h, key).ok()?;
    // A full journal is a miss too: the slow path raises its error.
    proxy.change(h, &map, key.as_ref(), &jk, value).ok()
}
