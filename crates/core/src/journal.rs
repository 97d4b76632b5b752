//! Calls are transactions over ext data (docs/design.md "Transactions").
//!
//! When Lua changes an entry of an ext Map for the first time in a call, the host
//! remembers the entry as it was as it makes the change ([`Host::journal_set`], one
//! host call as a plain write: the JS layer keeps the old value, which may be a nested
//! Map that JS holds, in an array of its own). A call that fails
//! has the host put back every entry it changed, newest first; a call that returns
//! keeps them. Nested calls (a JS callback calling Lua again) are savepoints: a nested
//! call that fails undoes only its own changes, one that returns hands them to the call
//! around it, which keeps or undoes them with its own.
//!
//! Only the first change of an entry per savepoint goes to the host: the journal grows
//! with the entries a call touches, not with its writes, and a loop that updates one
//! counter a million times costs one host call. The entries' number is bounded by
//! `storageLimit` ([`ENTRY_WEIGHT`] each), so a script cannot grow it without bound
//! by writing and deleting ever new keys.

use crate::host::{Host, HostError};
use crate::seen::{KeyRef, Seen};

/// What one journal entry counts against `storageLimit`: the JS layer keeps three
/// array slots per entry, and this side a key and an index.
pub const ENTRY_WEIGHT: u64 = 64;

/// The identity of the Map an entry belongs to: the serial of the proxy that wrote it
/// (unique for the VM's life, unlike slots, which are reused), or [`ROOT`] for
/// `lua.ext` itself. Two proxies of one Map only cost a second entry.
pub type MapId = u64;
pub const ROOT: MapId = 0;

#[derive(Default)]
pub(crate) struct Journal {
    /// Entries the host holds.
    len: u32,
    /// The journal length when each call in progress began (the outermost first).
    marks: Vec<u32>,
    /// The index of the entry last made for a (Map, key).
    seen: Seen<u32>,
}

/// Why a change could not be journaled.
pub(crate) enum JournalError {
    /// The call changed more entries than `storageLimit` lets it undo.
    Full(u32),
    Host(HostError),
}

impl Journal {
    /// A call into Lua begins (see `Engine::invoke`).
    pub(crate) fn begin(&mut self) {
        self.marks.push(self.len);
    }

    /// A call into Lua ends: a failed one has the host undo its entries; the outermost
    /// call's end empties the journal either way. A nested call that returns leaves its
    /// entries to the call around it.
    pub(crate) fn end<H: Host>(&mut self, h: Option<&mut H>, ok: bool) -> Result<(), HostError> {
        let Some(mark) = self.marks.pop() else { return Ok(()) };
        let outermost = self.marks.is_empty();
        if ok && !outermost {
            return Ok(());
        }
        // The outermost call began on an empty journal: its mark is 0.
        let pending = self.len > mark;
        self.len = mark;
        if outermost {
            if !self.seen.is_empty() {
                self.seen.clear();
            }
        } else if pending {
            // Their indexes will be given to other entries.
            self.seen.retain(|at| *at < mark);
        }
        match h {
            Some(h) if pending => h.journal_end(mark, !ok),
            _ => Ok(()),
        }
    }

    /// Whether the change of (Map `id`, `key`) about to be made must be journaled (the
    /// first in this savepoint); it then counts as made. `limit`: `storageLimit` in
    /// bytes (0: none). Outside calls nothing is journaled: restores and finalizers run
    /// by `gc()` are not transactions.
    pub(crate) fn first(&mut self, id: MapId, key: KeyRef, limit: u64) -> Result<bool, JournalError> {
        let Some(&mark) = self.marks.last() else { return Ok(false) };
        // Made by this savepoint or a nested one that returned (undone ones are gone).
        if matches!(self.seen.get(id, key), Some(at) if at >= mark) {
            return Ok(false);
        }
        if limit != 0 && (self.len as u64 + 1) * ENTRY_WEIGHT > limit {
            return Err(JournalError::Full(self.len));
        }
        self.seen.insert(id, key, self.len);
        self.len += 1;
        Ok(true)
    }
}

/// The error of a change the journal has no room for (kind 'memory', like a write past
/// `storageLimit`), at position `at` ("chunk:line: ").
pub(crate) fn too_many<H: Host>(shared: &crate::shared::Shared<H>, entries: u32, at: &str) -> crate::error::Raised {
    crate::error::Raised::Quota(format!(
        "{at}not enough memory to undo this call: it changed {entries} ext entries, as many as storageLimit ({} bytes, {ENTRY_WEIGHT} per entry) lets one call change",
        shared.storage_limit.get()
    ))
}
