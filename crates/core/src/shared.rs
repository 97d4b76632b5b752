//! State shared between the engine and the Lua callbacks it registers: the host of the
//! call in progress, slot numbering, Lua functions handed to JS, limits and output.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::{Rc, Weak};

use crate::error::Raised;
use crate::host::Host;
use crate::limits::Limits;

/// Slot numbers for JS values that outlive a call. Slots freed while no host is
/// reachable (a Lua object collected at close) are released at the next call.
#[derive(Default)]
pub(crate) struct Slots {
    free: Vec<u32>,
    next: u32,
    pending: Vec<u32>,
}

impl Slots {
    pub(crate) fn alloc(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

/// Print output captured during the current call, bounded so that a print loop cannot
/// exhaust host memory before the timeout fires.
pub(crate) struct Output {
    pub text: String,
    pub truncated: bool,
    pub echo: bool,
}

pub const OUTPUT_LIMIT: usize = 1 << 20;

impl Output {
    pub(crate) fn new(echo: bool) -> Self {
        Output { text: String::new(), truncated: false, echo }
    }

    pub(crate) fn push_line(&mut self, line: &str) {
        if self.text.len() + line.len() + 1 > OUTPUT_LIMIT {
            if !self.truncated {
                self.text.push_str("[output truncated]\n");
                self.truncated = true;
            }
            return;
        }
        self.text.push_str(line);
        self.text.push('\n');
    }
}

pub(crate) struct Shared<H: Host> {
    host: Cell<*mut H>,
    pub(crate) slots: RefCell<Slots>,
    /// Lua functions given to JS as callable wrappers, by id.
    pub(crate) refs: RefCell<AddrMap<u32, mlua::Function>>,
    pub(crate) next_ref: Cell<u32>,
    pub(crate) limits: RefCell<Limits>,
    pub(crate) output: RefCell<Output>,
    /// The most recent JS exception thrown into Lua: (id, slot). One slot, overwritten,
    /// so exceptions swallowed by `pcall` are not kept alive.
    pub(crate) last_exception: Cell<Option<(u64, u32)>>,
    /// The last typed error raised into Lua as a plain string (see `plain`).
    pub(crate) last_raised: RefCell<Option<(String, crate::error::Raised)>>,
    /// Set by every ext write from Lua (and restore) so autosave can skip unchanged data.
    dirty: Cell<bool>,
    /// Whether any ext Map of this VM may carry float tags (integral floats, see ext.rs):
    /// set when the core tags a float or meets a Map that has tags. Until then reads and
    /// writes skip the side-Map lookups, which are a good part of an ext operation's cost.
    pub(crate) float_tags: Cell<bool>,
    /// The hook installed for the limits (see limits.rs).
    pub(crate) hook: Cell<crate::limits::Hook>,
    /// Calls into Lua in progress: more than one when JS callbacks call back in (see
    /// `limits::NESTED_CALLS`).
    pub(crate) calls: Cell<u32>,
    /// Bumped each time the host enters the core (a call from JS, also a JS callback
    /// calling back in): JS may have changed any Map since, so ext traversal cursors
    /// made under another generation are listed again (see `ext::Cursor`).
    pub(crate) generation: Cell<u64>,
    /// The Lua state's main thread, through which the limits' tick handler is armed.
    pub(crate) tick_state: Cell<*mut std::ffi::c_void>,
    pub(crate) runners: RefCell<Option<crate::plain::Runners>>,
    /// Live ext proxies: userdata address -> slot of their Map (see proxy.rs).
    pub(crate) proxies: RefCell<AddrMap<usize, u32>>,
    /// The proxies' metatable, made with the first proxy (see ext.rs).
    pub(crate) proxy_mt: RefCell<Option<mlua::Table>>,
    /// Bytes of the last string an ext fast-path read pushed (see ext_fast.rs).
    pub(crate) scratch: RefCell<Vec<u8>>,
    /// `storageLimit` in bytes (0: none) and the upper estimate of the ext tables'
    /// weight checked against it (see quota.rs).
    pub(crate) storage_limit: Cell<u64>,
    pub(crate) ext_estimate: Cell<u64>,
    /// A panic was stopped inside the VM (see [`contain`] and `Engine::entry`): the VM is
    /// lost, and every call fails with kind 'crashed'.
    pub(crate) crashed: Cell<bool>,
    /// The undo journal of the calls in progress (journal.rs).
    pub(crate) journal: RefCell<crate::journal::Journal>,
    /// What Lua changed since the last change record (changes.rs).
    pub(crate) changes: RefCell<crate::changes::Changes>,
    /// Whether the tables are on a shared store, and what the call read (sharing.rs).
    pub(crate) sharing: Cell<crate::sharing::Mode>,
    pub(crate) reads: RefCell<crate::sharing::Reads>,
    /// The last serial given to an ext proxy (journal.rs).
    pub(crate) next_serial: Cell<u64>,
    /// The coroutine an async call runs in, while it runs or waits (engine/awaits.rs).
    pub(crate) async_thread: RefCell<Option<mlua::Thread>>,
    /// Where the JS call whose Promise an async call waits for is ("chunk:line: ").
    pub(crate) await_position: RefCell<String>,
    /// Live JS references (jsref.rs): table address -> slot of the JS value.
    pub(crate) js_refs: RefCell<AddrMap<usize, u32>>,
    pub(crate) ref_mt: RefCell<Option<mlua::Table>>,
}

/// Hashes addresses and our own ids (already unique; only their low bits need mixing).
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

/// A map keyed by addresses or ids the core hands out: no script chooses them, so it
/// needs none of SipHash's resistance to crafted keys, nor its cost (std's default
/// hasher ran on every eval, for the chunk's ref, and on every table a result converts,
/// and its code was compiled on a cold start's first eval).
pub(crate) type AddrMap<K, V> = HashMap<K, V, BuildHasherDefault<AddrHasher>>;

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl<H: Host> Shared<H> {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Shared {
            host: Cell::new(std::ptr::null_mut()),
            slots: RefCell::new(Slots::default()),
            refs: RefCell::new(AddrMap::default()),
            next_ref: Cell::new(1),
            limits: RefCell::new(Limits::default()),
            output: RefCell::new(Output::new(false)),
            last_exception: Cell::new(None),
            last_raised: RefCell::new(None),
            dirty: Cell::new(false),
            float_tags: Cell::new(false),
            hook: Cell::new(crate::limits::Hook::NONE),
            calls: Cell::new(0),
            generation: Cell::new(0),
            tick_state: Cell::new(std::ptr::null_mut()),
            runners: RefCell::new(None),
            proxies: RefCell::new(AddrMap::default()),
            proxy_mt: RefCell::new(None),
            scratch: RefCell::new(Vec::new()),
            storage_limit: Cell::new(0),
            ext_estimate: Cell::new(0),
            crashed: Cell::new(false),
            journal: RefCell::new(Default::default()),
            changes: RefCell::new(Default::default()),
            sharing: Cell::new(Default::default()),
            reads: RefCell::new(Default::default()),
            next_serial: Cell::new(crate::journal::ROOT),
            async_thread: RefCell::new(None),
            await_position: RefCell::new(String::new()),
            js_refs: RefCell::new(AddrMap::default()),
            ref_mt: RefCell::new(None),
        })
    }

    /// Drops what refers to objects of the current Lua state, before it is replaced
    /// (reset) or closed: the functions JS holds, the proxies' metatable, the limits' hook.
    pub(crate) fn forget_vm_objects(&self) {
        let refs = std::mem::take(&mut *self.refs.borrow_mut());
        let mt = self.proxy_mt.borrow_mut().take();
        let ref_mt = self.ref_mt.borrow_mut().take();
        drop((refs, mt, ref_mt));
        for (_, slot) in std::mem::take(&mut *self.js_refs.borrow_mut()) {
            self.release_later(slot);
        }
        self.hook.set(crate::limits::Hook::NONE);
        self.tick_state.set(std::ptr::null_mut());
    }

    /// The host of the call in progress. Callbacks only run inside a call, so a missing
    /// host means a Lua object escaped its call (a bug), reported rather than crashing.
    #[allow(clippy::mut_from_ref)]
    pub(crate) fn host(&self) -> mlua::Result<&mut H> {
        let p = self.host.get();
        if p.is_null() {
            return Err(Raised::Ext("no JavaScript host is active".into()).into_lua());
        }
        // SAFETY: the pointer is set by `HostGuard` for the duration of a call from the
        // adapter, which holds the host exclusively for that time; the VM is single-threaded.
        Ok(unsafe { &mut *p })
    }

    /// Makes `host` the active host until the guard drops (restoring the previous one,
    /// so re-entrant calls from JS callbacks work).
    pub(crate) fn enter(self: &Rc<Self>, host: &mut H) -> HostGuard<H> {
        let prev = self.host.replace(host as *mut H);
        self.generation.set(self.generation.get().wrapping_add(1));
        let guard = HostGuard { shared: self.clone(), prev };
        self.flush_released();
        guard
    }

    /// Whether a call into Lua is in progress (a JS callback calling back in): its limits
    /// then apply to whatever the host asks meanwhile.
    pub(crate) fn in_call(&self) -> bool {
        self.calls.get() > 0
    }

    pub(crate) fn release_later(&self, slot: u32) {
        self.slots.borrow_mut().pending.push(slot);
    }

    fn flush_released(&self) {
        let pending = std::mem::take(&mut self.slots.borrow_mut().pending);
        if pending.is_empty() {
            return;
        }
        if let Ok(host) = self.host() {
            for slot in &pending {
                let _ = host.slot_clear(*slot);
            }
        }
        self.slots.borrow_mut().free.extend(pending);
    }

    pub(crate) fn alloc_slot(&self) -> u32 {
        self.slots.borrow_mut().alloc()
    }

    pub(crate) fn keep_exception(&self, host: &mut H, exc: &H::Value) -> Option<u64> {
        let (id, slot) = match self.last_exception.get() {
            Some((id, slot)) => (id + 1, slot),
            None => (1, self.alloc_slot()),
        };
        host.slot_set(slot, exc).ok()?;
        self.last_exception.set(Some((id, slot)));
        Some(id)
    }

    /// Resolves which slot holds the JS exception behind an error, if it is still kept.
    pub(crate) fn resolve_cause(&self, err: &mut crate::error::LuaError) {
        if let (Some(id), Some((last, slot))) = (err.exception_id, self.last_exception.get()) {
            if id == last {
                err.cause_slot = Some(slot);
            }
        }
    }

    pub(crate) fn mark_dirty(&self) {
        self.dirty.set(true);
    }

    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.replace(false)
    }

    pub(crate) fn add_ref(&self, f: mlua::Function) -> u32 {
        let id = self.next_ref.get();
        self.next_ref.set(id.wrapping_add(1).max(1));
        self.refs.borrow_mut().insert(id, f);
        id
    }
}

pub(crate) struct HostGuard<H: Host> {
    shared: Rc<Shared<H>>,
    prev: *mut H,
}

impl<H: Host> Drop for HostGuard<H> {
    fn drop(&mut self) {
        self.shared.host.set(self.prev);
    }
}

/// Owns a slot for as long as a Lua object (a JS function wrapper, an ext proxy) lives.
pub(crate) struct SlotOwner<H: Host> {
    pub(crate) slot: u32,
    shared: Weak<Shared<H>>,
}

impl<H: Host> SlotOwner<H> {
    pub(crate) fn new(shared: &Rc<Shared<H>>, slot: u32) -> Self {
        SlotOwner { slot, shared: Rc::downgrade(shared) }
    }
}

impl<H: Host> Drop for SlotOwner<H> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.release_later(self.slot);
        }
    }
}

/// Opens a host handle scope for the life of one callback.
pub(crate) struct Scope<'a, H: Host> {
    pub(crate) host: &'a mut H,
    token: usize,
}

impl<'a, H: Host> Scope<'a, H> {
    pub(crate) fn open(host: &'a mut H) -> Self {
        let token = host.open_scope();
        Scope { host, token }
    }
}

impl<H: Host> Drop for Scope<'_, H> {
    fn drop(&mut self) {
        self.host.close_scope(self.token);
    }
}

/// "chunk:LINE: " for the Lua code that called the running Rust callback, skipping the
/// `plain` error wrappers in between (as `luaL_where(L, 1)` would see it).
pub(crate) fn lua_position(lua: &mlua::Lua) -> String {
    for level in 1..4 {
        let frame = lua.inspect_stack(level, |d| {
            let src = d.source().short_src.map(|s| s.into_owned());
            (src, d.current_line())
        });
        match frame {
            Some((Some(src), _)) if src == "plain" => continue,
            Some((Some(src), Some(line))) => return format!("{src}:{line}: "),
            _ => return String::new(),
        }
    }
    String::new()
}

/// A C function whose one upvalue points at `shared` (read back with [`shared_at`]):
/// the fast paths and finalizers that skip mlua's callback machinery. The Lua state keeps
/// `Shared` alive as its app data (sandbox.rs) until after `lua_close` has run every
/// finalizer, so the pointer is valid whenever Lua can call the function.
pub(crate) fn c_function<H: Host + 'static>(lua: &mlua::Lua, shared: &Rc<Shared<H>>, f: mlua::ffi::lua_CFunction) -> mlua::Result<mlua::Function> {
    let data = Rc::as_ptr(shared) as *mut std::ffi::c_void;
    // SAFETY: pushes one C closure with one upvalue; `exec_raw` checks the stack.
    unsafe {
        lua.exec_raw((), |state| {
            mlua::ffi::lua_pushlightuserdata(state, data);
            mlua::ffi::lua_pushcclosure(state, f, 1);
        })
    }
}

/// The `Shared` of a function made by [`c_function`], from inside it.
///
/// # Safety
/// `state` must be running a function made by `c_function` for this `H`.
pub(crate) unsafe fn shared_at<'a, H: Host>(state: *mut mlua::ffi::lua_State) -> &'a Shared<H> {
    // SAFETY: the function's contract: its one upvalue is the pointer `c_function` made
    // from an `Rc<Shared<H>>`, which the state keeps alive while Lua can call it.
    unsafe { &*(mlua::ffi::lua_touserdata(state, mlua::ffi::lua_upvalueindex(1)) as *const Shared<H>) }
}

/// Runs the Rust part of a C function that Lua calls (a fast path, a finalizer, the
/// print sink). A panic must not unwind into Lua's C frames (compiled without unwind
/// information, so natively an abort of the process): it is stopped here, the VM is
/// marked crashed (the call then fails with kind 'crashed', see `Engine::entry`) and
/// `fallback` is returned. On wasm a panic aborts (traps) before reaching this.
pub(crate) fn contain<H: Host, T>(shared: &Shared<H>, fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_panic(body) {
        Some(v) => v,
        None => {
            shared.crashed.set(true);
            fallback
        }
    }
}

/// `body`'s value, or `None` if it panicked. Where panics abort (wasm32), just `body`:
/// nothing could be caught, and the module stays free of the unwinding machinery.
pub(crate) fn catch_panic<T>(body: impl FnOnce() -> T) -> Option<T> {
    #[cfg(panic = "unwind")]
    return std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).ok();
    #[cfg(not(panic = "unwind"))]
    return Some(body());
}
