//! The Lua userdata behind ext proxies, made with Lua's C API rather than mlua's
//! `UserData`: mlua's userdata registry, method boxing and borrow checks, instantiated
//! for our proxy type, were ~30 KB of the wasm module for one type with five
//! metamethods and no methods.
//!
//! A proxy is an `ExtProxy` written into a full userdata block, whose metatable (one
//! per VM, see `ext::proxy_metatable`) is hidden (`__metatable = false`). It is a proxy
//! exactly while its address is in `Shared::proxies`: registered when made, removed by
//! its `__gc` just before the value is dropped in place. Every access goes through that
//! registry, so a userdata of another kind, a proxy already finalized (and resurrected
//! by another finalizer), or `__gc` called by hand (through `debug.getmetatable` with the
//! full stdlib) is simply not a proxy: it is never read, nor dropped twice.

use std::ffi::c_int;
use std::rc::Rc;

use mlua::ffi::{self, lua_State};
use mlua::{AnyUserData, Function, Lua, Table};

use crate::ext::ExtProxy;
use crate::host::Host;
use crate::shared::{c_function, contain, shared_at, Shared};

/// Moves `proxy` into a new userdata with metatable `mt` and registers it.
pub(crate) fn create<H: Host + 'static>(lua: &Lua, shared: &Shared<H>, proxy: ExtProxy<H>, mt: &Table) -> mlua::Result<AnyUserData> {
    // Lua aligns userdata blocks for its largest scalar (8 bytes on both targets).
    const { assert!(std::mem::align_of::<ExtProxy<H>>() <= 8) };
    let slot = proxy.owner.slot;
    // Held here, not in the closure: if the allocation raises Lua's memory error, nothing
    // owned is skipped by the unwinding, and the proxy is dropped normally below.
    let mut pending = Some(proxy);
    let pending_ref = &mut pending;
    // SAFETY: the closure runs protected (exec_raw), with `mt` as its one argument on top;
    // it leaves only the new userdata. Nothing after the allocation can raise.
    let ud: AnyUserData = unsafe {
        lua.exec_raw(mt, |state| {
            let block = ffi::lua_newuserdatauv(state, std::mem::size_of::<ExtProxy<H>>(), 0) as *mut ExtProxy<H>;
            if let Some(p) = pending_ref.take() {
                std::ptr::write(block, p);
            }
            ffi::lua_pushvalue(state, -2);
            ffi::lua_setmetatable(state, -2);
            ffi::lua_rotate(state, -2, 1);
            ffi::lua_settop(state, -2);
        })?
    };
    shared.proxies.borrow_mut().insert(ud.to_pointer() as usize, slot);
    Ok(ud)
}

/// The proxy `ud` is, if it is a live one of this VM. Borrowed from `ud`, which keeps the
/// userdata alive (and so unfinalized) for as long as the borrow.
pub(crate) fn of<'a, H: Host>(shared: &Shared<H>, ud: &'a AnyUserData) -> Option<&'a ExtProxy<H>> {
    at(shared, ud.to_pointer() as usize)
}

pub(crate) fn at<'a, H: Host>(shared: &Shared<H>, addr: usize) -> Option<&'a ExtProxy<H>> {
    if !shared.proxies.borrow().contains_key(&addr) {
        return None;
    }
    // SAFETY: registered addresses are userdata blocks holding an initialized ExtProxy,
    // removed from the registry before the value is dropped (see `gc`).
    Some(unsafe { &*(addr as *const ExtProxy<H>) })
}

/// The metatable's `__gc`.
pub(crate) fn gc_function<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<Function> {
    c_function(lua, shared, gc::<H>)
}

/// Drops a proxy's Rust part when Lua collects its userdata.
///
/// # Safety
/// Called by Lua only, as the proxies' `__gc`, made by `gc_function` for this `H`.
unsafe extern "C-unwind" fn gc<H: Host + 'static>(state: *mut lua_State) -> c_int {
    // SAFETY: the function's contract; the userdata being collected is argument 1.
    let (shared, addr) = unsafe { (shared_at::<H>(state), ffi::lua_touserdata(state, 1) as usize) };
    contain(shared, (), || {
        let live = addr != 0 && shared.proxies.borrow_mut().remove(&addr).is_some();
        if live {
            // SAFETY: a registered address holds an initialized ExtProxy (see `at`),
            // unregistered just above so that it is dropped once.
            unsafe { std::ptr::drop_in_place(addr as *mut ExtProxy<H>) };
        }
    });
    0
}
