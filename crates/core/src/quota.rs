//! What a script can make the host hold outside Lua's heap: the ext tables, bounded by
//! `storageLimit` (docs/security.md, "Limits").
//!
//! `memoryLimit` bounds Lua's heap, but ext data lives in JS Maps, where one Lua string
//! written under many keys becomes as many JS strings, and a table that holds the same
//! subtable twice is copied twice (a tree in the Map, as in a snapshot). So the core
//! keeps an upper estimate of the ext tables' weight ([`Stored::weight`], about their
//! snapshot size): measured exactly when a snapshot is taken or restored, raised by every
//! write from Lua. Overwrites and deletions are not subtracted, since knowing the old
//! value's size would cost every write a host round trip; instead, when a write would
//! take the estimate past the limit, the tables are measured again, and the write fails
//! only if the exact weight leaves no room for it.
//!
//! [`Stored::weight`]: crate::stored::Stored::weight

use crate::error::Raised;
use crate::ext::{classify, key_from_js, Entry};
use crate::host::{Host, HostError, JsKind};
use crate::limits;
use crate::shared::Shared;
use crate::stored::{Key, ENTRY_OVERHEAD};

/// Why a copy into the ext tables (or out of them, for a snapshot) stopped.
#[derive(Debug)]
pub(crate) enum Over {
    /// It would pass `storageLimit`.
    Quota,
    /// A limit of the call tripped while copying (timeout, instructions, interrupt).
    Limit(Raised),
}

/// The room left for one copy: charged as the copy is built, so a value that would not
/// fit (a table holding the same subtable at every level doubles per level) is stopped
/// after at most the room's worth of work, and the copying counts against the call's
/// limits like any loop.
pub(crate) struct Meter<'a, H: Host> {
    shared: &'a Shared<H>,
    pub(crate) remaining: u64,
}

impl<'a, H: Host> Meter<'a, H> {
    pub(crate) fn new(shared: &'a Shared<H>, remaining: u64) -> Self {
        Meter { shared, remaining }
    }

    /// Takes `weight` bytes from the room.
    pub(crate) fn take(&mut self, weight: u64) -> Result<(), Over> {
        limits::charge_bytes(self.shared, weight as usize).map_err(Over::Limit)?;
        if weight > self.remaining {
            return Err(Over::Quota);
        }
        self.remaining -= weight;
        Ok(())
    }
}

/// The room the estimate leaves (everything when there is no limit).
pub(crate) fn room<H: Host>(shared: &Shared<H>) -> u64 {
    match shared.storage_limit.get() {
        0 => u64::MAX,
        limit => limit.saturating_sub(shared.ext_estimate.get()),
    }
}

/// Whether `added` bytes fit the estimate; if so they are counted. The ext fast path's
/// check: when it answers no, the slow path measures and decides ([`admit`]).
pub(crate) fn try_add<H: Host>(shared: &Shared<H>, added: u64) -> bool {
    if room(shared) < added {
        return false;
    }
    shared.ext_estimate.set(shared.ext_estimate.get().saturating_add(added));
    true
}

/// Counts a write of `added` bytes, measuring the tables again when the estimate has no
/// room for it. `replaced`: the entry the write replaces, whose weight the measure
/// leaves out. Fails with the 'memory' error the script sees when there is no room.
pub(crate) fn admit<H: Host + 'static>(shared: &Shared<H>, h: &mut H, replaced: Option<(&H::Value, &H::Value)>, added: u64, at: &str) -> Result<(), Raised> {
    if try_add(shared, added) {
        return Ok(());
    }
    remeasure(shared, h, replaced)?;
    if try_add(shared, added) {
        return Ok(());
    }
    Err(no_room(shared, at))
}

/// Replaces the estimate with the exact weight of the tables, less the entry `replaced`.
pub(crate) fn remeasure<H: Host + 'static>(shared: &Shared<H>, h: &mut H, replaced: Option<(&H::Value, &H::Value)>) -> Result<(), Raised> {
    let host = |e: HostError| Raised::Host { message: e.message, exception_id: None };
    let mut exact = measure_root(shared, h).map_err(|e| e.into_raised())?;
    if let Some((map, key)) = replaced {
        let old = h.map_get(map, key).map_err(host)?;
        exact = exact.saturating_sub(measure_value(shared, h, map, key, old, 0).map_err(|e| e.into_raised())?);
    }
    shared.ext_estimate.set(exact);
    Ok(())
}

/// The error of a write that does not fit, at position `at` ("chunk:line: ").
pub(crate) fn no_room<H: Host>(shared: &Shared<H>, at: &str) -> Raised {
    Raised::Quota(format!(
        "{at}not enough memory for ext data (storageLimit is {} bytes; the ext tables hold {})",
        shared.storage_limit.get(),
        shared.ext_estimate.get()
    ))
}

/// A failure while measuring: a limit of the call, or the host.
pub(crate) enum MeasureError {
    Limit(Raised),
    Host(HostError),
}

impl MeasureError {
    fn into_raised(self) -> Raised {
        match self {
            MeasureError::Limit(r) => r,
            MeasureError::Host(e) => Raised::Host { message: e.message, exception_id: None },
        }
    }
}

impl From<HostError> for MeasureError {
    fn from(e: HostError) -> Self {
        MeasureError::Host(e)
    }
}

/// The weight of every ext table, as a snapshot would count it.
fn measure_root<H: Host + 'static>(shared: &Shared<H>, h: &mut H) -> Result<u64, MeasureError> {
    let root = h.ext_root()?;
    let mut total = 0u64;
    for (k, v) in h.map_entries(&root)? {
        if let JsKind::String(name) = h.inspect(&k)? {
            total += ENTRY_OVERHEAD + name.len() as u64;
        }
        if let JsKind::Map = h.inspect(&v)? {
            total += measure_map(shared, h, &v, 0)?;
        }
    }
    Ok(total)
}

fn measure_map<H: Host + 'static>(shared: &Shared<H>, h: &mut H, map: &H::Value, depth: usize) -> Result<u64, MeasureError> {
    let mut total = 0u64;
    for (jk, jv) in h.map_entries(map)? {
        let key = key_from_js(h, &jk)?.map(|k| k.weight()).unwrap_or(ENTRY_OVERHEAD);
        total += key + measure_value(shared, h, map, &jk, jv, depth)?;
    }
    Ok(total)
}

fn measure_value<H: Host + 'static>(shared: &Shared<H>, h: &mut H, map: &H::Value, jk: &H::Value, jv: H::Value, depth: usize) -> Result<u64, MeasureError> {
    Ok(match classify(h, map, jk, jv, false)? {
        Entry::Absent => 0,
        Entry::Scalar(s) => {
            let weight = s.weight();
            limits::charge_bytes(shared, weight as usize).map_err(MeasureError::Limit)?;
            weight
        }
        // Deeper than a snapshot can hold: a cycle; the snapshot will refuse it.
        Entry::Map(_) if depth + 1 >= crate::convert::MAX_DEPTH => ENTRY_OVERHEAD,
        Entry::Map(child) => ENTRY_OVERHEAD + measure_map(shared, h, &child, depth + 1)?,
        Entry::Unsupported(_) => ENTRY_OVERHEAD,
    })
}

/// The weight `key = value` adds to a table (for the estimate).
pub(crate) fn entry_weight(key: &Key, value: &crate::stored::Stored) -> u64 {
    key.weight() + value.weight()
}
