//! Per-call limits: wall-clock timeout and instruction budget, enforced by a Lua count
//! hook; the heap limit is mlua's allocator limit, set once per VM.

use std::rc::Rc;

use mlua::{HookTriggers, Lua, VmState};

use crate::error::Raised;
use crate::host::Host;
use crate::shared::Shared;

/// Instructions between hook calls: rare enough to cost little, frequent enough that a
/// timeout overshoots by microseconds.
const HOOK_PERIOD: u32 = 1000;

#[derive(Default, Clone)]
pub(crate) struct Limits {
    /// Absolute deadline in host milliseconds (0: none).
    pub deadline: f64,
    pub timeout_ms: f64,
    /// Instruction budget for this call (0: none).
    pub max_instructions: u64,
    /// Instructions counted so far (in hook periods).
    pub instructions: u64,
    pub period: u32,
    /// Once tripped, the hook fires on every instruction so that `pcall` loops cannot
    /// swallow the error for long.
    pub tripped: bool,
    pub peak_memory: usize,
    /// The host can be asked to stop the call (see `Options::interruptible`).
    pub interruptible: bool,
    /// The host asked; sticky for the rest of the call, like a tripped limit.
    pub interrupted: bool,
}

impl Limits {
    pub(crate) fn active(&self) -> bool {
        self.deadline > 0.0 || self.max_instructions > 0 || self.interruptible
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
    let period = if max_instructions > 0 {
        (max_instructions.min(HOOK_PERIOD as u64) as u32).max(1)
    } else {
        HOOK_PERIOD
    };
    let next = Limits {
        deadline: if timeout_ms > 0.0 && timeout_ms.is_finite() { now + timeout_ms } else { 0.0 },
        timeout_ms,
        max_instructions,
        instructions: 0,
        period,
        tripped: false,
        peak_memory: lua.used_memory(),
        interruptible,
        interrupted: false,
    };
    let wanted = if next.active() { period } else { 0 };
    let prev = std::mem::replace(&mut *shared.limits.borrow_mut(), next);
    ensure_hook(lua, shared, wanted);
    prev
}

/// Installs (period > 0) or removes (0) the count hook, only when that changes: calls
/// with the same limits reuse the hook, and calls without limits run hook-free (a count
/// hook makes every VM instruction go through Lua's hook dispatch).
fn ensure_hook<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, period: u32) {
    if shared.hook_period.get() == period {
        return;
    }
    shared.hook_period.set(period);
    if period > 0 {
        install_hook(lua, shared, period);
    } else {
        lua.remove_global_hook();
        lua.remove_hook();
    }
}

/// Restores the limits of an enclosing call (or none). At the top level the hook stays
/// installed for the next call; it finds no limits armed in between.
pub(crate) fn disarm<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, prev: Limits) {
    let outer = if prev.active() { prev.period } else { 0 };
    *shared.limits.borrow_mut() = prev;
    if outer > 0 {
        ensure_hook(lua, shared, outer);
    }
}

fn install_hook<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, period: u32) {
    let weak = Rc::downgrade(shared);
    let triggers = HookTriggers::new().every_nth_instruction(period);
    let _ = lua.set_global_hook(triggers, move |lua, _| {
        let Some(shared) = weak.upgrade() else { return Ok(VmState::Continue) };
        if !shared.limits.borrow().active() {
            return Ok(VmState::Continue);
        }
        check(lua, &shared)
    });
}

fn check<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<VmState> {
    let Ok(host) = shared.host() else { return Ok(VmState::Continue) };
    let now = host.now_ms();
    let mut l = shared.limits.borrow_mut();
    if l.interruptible && !l.interrupted && host.interrupted() {
        l.interrupted = true;
    }
    l.instructions += l.period as u64;
    let used = lua.used_memory();
    if used > l.peak_memory {
        l.peak_memory = used;
    }
    let err = if l.interrupted {
        Some(Raised::Interrupted("interrupted: the host stopped this call".into()))
    } else if l.max_instructions > 0 && l.instructions >= l.max_instructions {
        Some(Raised::Instructions(format!(
            "instruction limit exceeded ({} instructions)",
            l.max_instructions
        )))
    } else if l.deadline > 0.0 && now >= l.deadline {
        Some(Raised::Timeout(format!("timeout: script ran longer than {} ms", l.timeout_ms.round() as u64)))
    } else {
        None
    };
    match err {
        None => Ok(VmState::Continue),
        Some(e) => {
            if !l.tripped {
                l.tripped = true;
                l.period = 1;
                drop(l);
                ensure_hook(lua, shared, 1);
            }
            Err(e.into_lua())
        }
    }
}
