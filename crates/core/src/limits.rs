//! Per-call limits: wall-clock timeout, instruction budget and host interrupts, checked
//! every so often during a call; the heap limit is mlua's allocator limit, set once per VM.
//!
//! Two ways to get called back, because they cost very different amounts:
//! - an instruction limit needs VM instructions counted, which only Lua's count hook
//!   does, and a count hook makes the interpreter trap on every instruction (floats-heavy
//!   loops ran ~2x slower under it);
//! - a timeout or an interrupt only needs the check to come round often, so it uses the
//!   tick handler of lua-sys (`luap_armtick`): one decrement per loop iteration, function
//!   entry or unit of C library work, and the check every [`TICK_PERIOD`] of them.
//!
//! The tick handler also runs inside `__gc` finalizers (Lua turns its own hooks off
//! there), so a timeout is armed with the tick even when the count hook counts
//! instructions, and host calls that may run finalizers (`gc`, `close`, `reset`, value
//! conversions) arm the VM's timeout too: a looping finalizer stops there as in `eval`.

use std::rc::{Rc, Weak};

use mlua::{HookTriggers, Lua, VmState};

use crate::error::Raised;
use crate::host::Host;
use crate::shared::Shared;

/// Instructions between count-hook calls: rare enough to cost little, frequent enough
/// that an instruction limit overshoots by at most this much.
const HOOK_PERIOD: u32 = 1000;

/// Ticks between checks: a tick is a loop iteration, a call or a unit of C work (a few
/// to a few dozen instructions' worth), so a timeout overshoots by tens of microseconds.
/// A check (the handler's Lua function, the limits, one host clock read) costs ~0.5 µs:
/// every 1000 ticks it was 2-3% of a call-bound run (a tick every ~20 ns), every 5000 it
/// is under 1% (wasm, release, interleaved: recursion 357 -> 353 ms, floats 292 -> 283,
/// closures 316 -> 310).
const TICK_PERIOD: u32 = 5000;

/// Calls into Lua that may be in progress at once, JS callbacks calling back in. Each
/// level stacks JS, adapter and Lua C frames on one native stack, and what overflows
/// first differs: V8's stack at ~140 levels natively, Lua's C-stack limit (200 C calls)
/// on wasm, or on a smaller stack V8's inside wasm, which traps and loses the VM. One
/// limit below all of them gives both backends the same error.
pub(crate) const NESTED_CALLS: u32 = 100;

/// Ticks between checks when only a thread teardown is watched for (`Host::stopping`,
/// native calls without limits): rarer still, so that code run with every limit off
/// pays ~0.3% even in the tightest loop (2-5% at 1000 ticks), and a Worker's
/// `terminate()` still ends the call within microseconds.
const STOP_PERIOD: u32 = 10_000;

/// How the limits of a call get checked: the periods of the two hooks, 0 for off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hook {
    /// Lua's count hook, every n instructions (an instruction limit is set).
    count: u32,
    /// lua-sys's tick handler, every n ticks (a timeout or interrupts).
    tick: u32,
}

impl Hook {
    pub(crate) const NONE: Hook = Hook { count: 0, tick: 0 };
}

#[derive(Default, Clone)]
pub(crate) struct Limits {
    /// Absolute deadline in host milliseconds (0: none).
    pub deadline: f64,
    pub timeout_ms: f64,
    /// Instruction budget for this call (0: none).
    pub max_instructions: u64,
    /// Instructions counted so far (in hook periods), by the count hook only.
    pub instructions: u64,
    pub hook: Hook,
    /// Once tripped, the check runs at every chance (see [`trip`]), and the
    /// call fails with this error even if the script caught it (see [`Limits::verdict`]).
    pub tripped: Option<Raised>,
    pub peak_memory: usize,
    /// The host can be asked to stop the call (see `Options::interruptible`).
    pub interruptible: bool,
    /// The host asked; sticky for the rest of the call, like a tripped limit.
    pub interrupted: bool,
    /// The host's thread may be torn down while native code runs (`Host::stopping`).
    pub stoppable: bool,
    /// These limits set the hooks (`arm`), so tripping may make them fire more often;
    /// false for [`unhooked`] ones.
    hooked: bool,
    /// Work units charged by the core's own loops (see [`charge`]) since its last check.
    charged: u32,
    /// The limits of a call into Lua, to which the core's copying work is charged; false
    /// for a host call's (`Engine::bounded`), whose copying is the host's own work.
    pub(crate) charges: bool,
}

impl Limits {
    /// Whether the hooks have anything to check: a limit, or a verdict to repeat.
    pub(crate) fn active(&self) -> bool {
        self.deadline > 0.0 || self.max_instructions > 0 || self.interruptible || self.stoppable || self.tripped.is_some()
    }

    /// The error a call ends with once a limit has tripped, whatever the script did
    /// after catching it: a tick may not come round again before the script returns
    /// (`pcall(loop) return 1`), so the rule cannot rest on the check firing again.
    /// An error of another kind yields to it too; the limit's own error, which carries
    /// the traceback of where it struck, is kept.
    pub(crate) fn verdict<V>(&self, result: Result<V, crate::error::LuaError>) -> Result<V, crate::error::LuaError> {
        use crate::error::ErrorKind as K;
        let Some(raised) = &self.tripped else { return result };
        let exiting = matches!(raised, Raised::Exit(_));
        match result {
            Err(e) if e.exit_code.is_some() => Err(e),
            Err(e) if !exiting && matches!(e.kind, K::Timeout | K::Instructions | K::Interrupted) => Err(e),
            _ => Err(crate::error::from_mlua(&raised.clone().into_lua())),
        }
    }

    /// Whether this call counts instructions (for `stats.instructions`).
    pub(crate) fn counts_instructions(&self) -> bool {
        self.hook.count > 0
    }
}

/// Arms the limits for a call; returns the previous state so nested calls restore it.
pub(crate) fn arm<H: Host + 'static>(
    lua: &Lua,
    shared: &Rc<Shared<H>>,
    now: f64,
    timeout_ms: f64,
    max_instructions: u64,
    interruptible: bool,
) -> Limits {
    let mut next = Limits {
        deadline: deadline(now, timeout_ms),
        timeout_ms,
        max_instructions,
        instructions: 0,
        hook: Hook::NONE,
        tripped: None,
        peak_memory: lua.used_memory(),
        interruptible,
        interrupted: false,
        stoppable: H::CHECKS_STOPPING,
        hooked: true,
        charged: 0,
        charges: true,
    };
    next.hook = Hook {
        count: if max_instructions > 0 { (max_instructions.min(HOOK_PERIOD as u64) as u32).max(1) } else { 0 },
        tick: if next.deadline > 0.0 || interruptible {
            TICK_PERIOD
        } else if next.stoppable {
            STOP_PERIOD
        } else {
            0
        },
    };
    let wanted = next.hook;
    take_work(shared); // work charged before this call is not this call's
    let prev = std::mem::replace(&mut *shared.limits.borrow_mut(), next);
    ensure_hook(lua, shared, wanted);
    prev
}

/// Installs the count hook an instruction limit needs before a coroutine that must
/// carry it is made: a Lua thread copies its creator's hook when it is made, and the
/// hook is otherwise installed by the first call that arms limits (an async call's
/// coroutine, engine/awaits.rs, is made before that).
pub(crate) fn prepare_hook<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, max_instructions: u64) {
    let mut wanted = shared.hook.get();
    wanted.count = if max_instructions > 0 { (max_instructions.min(HOOK_PERIOD as u64) as u32).max(1) } else { 0 };
    ensure_hook(lua, shared, wanted);
}

/// Sets each hook to the wanted period, only where that changes: calls with the same
/// limits reuse the hooks, and calls without limits run hook-free.
fn ensure_hook<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, wanted: Hook) {
    let current = shared.hook.get();
    shared.hook.set(wanted);
    if current.count != wanted.count {
        if current.count > 0 {
            lua.remove_global_hook();
            lua.remove_hook();
        }
        if wanted.count > 0 {
            install_hook(lua, shared, wanted.count);
        }
    }
    if current.tick != wanted.tick {
        arm_tick(shared, wanted.tick);
    }
}

/// Restores the limits of an enclosing call (or none) and returns those of the call
/// that ended. At the top level the hook stays installed for the next call; it finds no
/// limits armed in between.
pub(crate) fn disarm<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, prev: Limits) -> Limits {
    let outer = if prev.active() { prev.hook } else { Hook::NONE };
    let ended = std::mem::replace(&mut *shared.limits.borrow_mut(), prev);
    if outer != Hook::NONE {
        ensure_hook(lua, shared, outer);
    }
    ended
}

/// Limits that set no hooks, for freeing a state whose hooks are already armed (see
/// `Engine::free`); once tripped they stay as they are and raise at every check.
pub(crate) fn unhooked(now: f64, timeout_ms: f64, interruptible: bool) -> Limits {
    Limits { deadline: deadline(now, timeout_ms), timeout_ms, interruptible, ..Limits::default() }
}

/// The absolute deadline of a timeout starting `now` (0: none).
fn deadline(now: f64, timeout_ms: f64) -> f64 {
    if timeout_ms > 0.0 && timeout_ms.is_finite() { now + timeout_ms } else { 0.0 }
}

/// Puts `next` in place without touching the hooks (the state they were set on may be
/// gone); returns the limits it replaces.
pub(crate) fn swap<H: Host>(shared: &Shared<H>, next: Limits) -> Limits {
    std::mem::replace(&mut *shared.limits.borrow_mut(), next)
}

fn install_hook<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, period: u32) {
    let weak = Rc::downgrade(shared);
    let triggers = HookTriggers::new().every_nth_instruction(period);
    let _ = lua.set_global_hook(triggers, move |lua, _| {
        let counted = weak.upgrade().map_or(0, |s| take_work(&s));
        check_armed(lua, &weak, period.saturating_add(counted))
    });
}

/// The C work charged past the count hook's countdown since the last call (see
/// `luap_takework`): a hook that fires after one huge charge counts it in full.
fn take_work<H: Host>(shared: &Shared<H>) -> u32 {
    let state = shared.tick_state.get();
    if state.is_null() {
        return 0;
    }
    // SAFETY: as in `arm_tick`: a thread of the live state; luap_takework reads and
    // clears one field of the global state.
    let extra = unsafe { lua_persistent_sys::luap_takework(state) };
    extra.min(u32::MAX as usize) as u32
}

/// Makes the function lua-sys's tick handler calls; once per Lua state, when it is
/// created, so that arming a timeout later never needs memory.
pub(crate) fn install<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let weak = Rc::downgrade(shared);
    let tick = crate::plain::handle_free(lua, Box::new(move |lua, _| check_armed(lua, &weak, 0).map(|_| mlua::MultiValue::new())))?;
    // The main thread's pointer, kept so that arming later is a plain C call that cannot
    // fail (and costs no protected call).
    let install = crate::sandbox::sys_function(lua, lua_persistent_sys::luap_installtick)?;
    let main: mlua::LightUserData = install.call(tick)?;
    shared.tick_state.set(main.0);
    Ok(())
}

fn arm_tick<H: Host>(shared: &Shared<H>, period: u32) {
    let state = shared.tick_state.get();
    if !state.is_null() {
        // SAFETY: `state` is a thread of the live Lua state (install sets it, the
        // engine clears it before dropping the state); luap_armtick only sets fields of
        // the global state and neither touches the stack nor raises.
        unsafe { lua_persistent_sys::luap_armtick(state, period.min(i32::MAX as u32) as i32) }
    }
}

/// What both hooks run: the check, when the VM is alive and a call has limits armed.
/// `counted` is the instructions run since the last call (the count hook's period; 0 for
/// the tick handler).
fn check_armed<H: Host + 'static>(lua: &Lua, weak: &Weak<Shared<H>>, counted: u32) -> mlua::Result<VmState> {
    let Some(shared) = weak.upgrade() else { return Ok(VmState::Continue) };
    if !shared.limits.borrow().active() {
        return Ok(VmState::Continue);
    }
    check(lua, &shared, counted)
}

/// Makes `e` the call's verdict (see [`Limits::verdict`]): the first tripped limit, or
/// an exit request, which replaces a limit but not an earlier exit. Limits that own
/// the hooks then fire the tick at every chance (armed even where no limit needed it,
/// as for an exit), so that a `pcall` loop cannot outlast the verdict: the check raises
/// it again at the next loop iteration or call.
fn trip<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, e: Raised) {
    if let Some(hook) = record_verdict(shared, e) {
        ensure_hook(lua, shared, hook);
    }
}

/// [`trip`] where no `Lua` handle is at hand (see [`charge`]): the tick handler alone is
/// made to fire at every tick (it needs only the state pointer); the count hook keeps
/// its period, and the tick raises the verdict all the same.
fn trip_unhooked<H: Host>(shared: &Shared<H>, e: Raised) {
    if let Some(hook) = record_verdict(shared, e) {
        let current = shared.hook.get();
        shared.hook.set(Hook { count: current.count, tick: hook.tick });
        if current.tick != hook.tick {
            arm_tick(shared, hook.tick);
        }
    }
}

/// Records `e` as the verdict unless an earlier one stands; returns the hooks to arm
/// when these limits own them.
fn record_verdict<H: Host>(shared: &Shared<H>, e: Raised) -> Option<Hook> {
    let mut l = shared.limits.borrow_mut();
    let replaces = match (&l.tripped, &e) {
        (None, _) => true,
        (Some(Raised::Exit(_)), _) => false,
        (Some(_), exit) => matches!(exit, Raised::Exit(_)),
    };
    if !replaces {
        return None;
    }
    l.tripped = Some(e);
    if !l.hooked {
        return None;
    }
    l.hook = Hook { count: l.hook.count.min(1), tick: 1 };
    Some(l.hook)
}

/// `os.exit(code)` (stdlib 'all'): ends the call rather than the host process, which
/// is the embedding application's (a native `exit` also skipped every pending save, and
/// on wasm it trapped). Like a tripped limit the request sticks: the call fails with it
/// whatever the script catches, and the tick handler, armed to fire at every tick,
/// raises it again at the next loop iteration or call.
pub(crate) fn request_exit<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, code: i32) -> mlua::Error {
    trip(lua, shared, Raised::Exit(code));
    Raised::Exit(code).into_lua()
}

fn check<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, counted: u32) -> mlua::Result<VmState> {
    let used = lua.used_memory();
    {
        let mut l = shared.limits.borrow_mut();
        if used > l.peak_memory {
            l.peak_memory = used;
        }
    }
    match verdict_now(shared, counted as u64) {
        None => Ok(VmState::Continue),
        Some(e) => {
            trip(lua, shared, e.clone());
            Err(e.into_lua())
        }
    }
}

/// The error the call must end with now, if any: an exit request, an interrupt, the
/// instruction budget spent (after adding `counted`), or the deadline passed.
fn verdict_now<H: Host>(shared: &Shared<H>, counted: u64) -> Option<Raised> {
    // No host while a finalizer runs as `close` frees the state: the clock needs none.
    let now = H::now_ms();
    let mut l = shared.limits.borrow_mut();
    if !l.interrupted && (l.interruptible || l.stoppable) {
        if let Ok(h) = shared.host() {
            l.interrupted = (l.interruptible && h.interrupted()) || (l.stoppable && h.stopping());
        }
    }
    l.instructions += counted;
    if let Some(exit @ Raised::Exit(_)) = &l.tripped {
        Some(exit.clone())
    } else if l.interrupted {
        Some(Raised::Interrupted("interrupted: the host stopped this call".into()))
    } else if l.max_instructions > 0 && l.instructions >= l.max_instructions {
        Some(Raised::Instructions(format!("instruction limit exceeded ({} instructions)", l.max_instructions)))
    } else if l.deadline > 0.0 && now >= l.deadline {
        Some(Raised::Timeout(format!("timeout: script ran longer than {} ms", l.timeout_ms.round() as u64)))
    } else {
        None
    }
}

/// Bytes of copying that cost about one tick (a loop iteration of the VM): what
/// [`charge_bytes`] divides by, as lua-sys's `luap_work` charges its C loops.
pub(crate) const BYTES_PER_UNIT: usize = 64;

/// Charges `units` of the core's own work (copying values between Lua and JS, ext
/// reads, writes and deep copies) to the call's limits: an instruction limit counts
/// them as instructions, and every [`TICK_PERIOD`] units the limits are checked, so a
/// loop whose body is one big copy is stopped as soon as any Lua loop would be. The
/// error is the limit's, and the call's verdict (see [`trip`]); the hooks then fire at
/// every tick, so the script meets it again at its next loop iteration or call even
/// where this caller cannot raise (the ext fast path only falls back to the slow one).
/// Free when no limit is armed.
pub(crate) fn charge<H: Host>(shared: &Shared<H>, units: usize) -> Result<(), Raised> {
    let units = units.min(u32::MAX as usize) as u32;
    {
        let mut l = shared.limits.borrow_mut();
        if !l.charges || !l.active() {
            return Ok(());
        }
        if let Some(e) = &l.tripped {
            return Err(e.clone());
        }
        l.charged = l.charged.saturating_add(units);
        l.instructions += if l.max_instructions > 0 { units as u64 } else { 0 };
        let spent = l.max_instructions > 0 && l.instructions >= l.max_instructions;
        if l.charged < TICK_PERIOD && !spent {
            return Ok(());
        }
        l.charged = 0;
    }
    match verdict_now(shared, 0) {
        None => Ok(()),
        Some(e) => {
            trip_unhooked(shared, e.clone());
            Err(e)
        }
    }
}

/// Copies shorter than this are not charged: each comes from a Lua instruction, whose
/// loop ticks cover it, and an ext read or write of a scalar (the hot path of ext
/// tables) then pays one comparison instead of the limits' bookkeeping.
const SMALL_COPY: usize = 4 * BYTES_PER_UNIT;

/// [`charge`] for copying `bytes` bytes.
#[inline]
pub(crate) fn charge_bytes<H: Host>(shared: &Shared<H>, bytes: usize) -> Result<(), Raised> {
    if bytes < SMALL_COPY {
        return Ok(());
    }
    charge(shared, bytes / BYTES_PER_UNIT)
}
