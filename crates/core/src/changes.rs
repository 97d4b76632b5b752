//! What Lua changed in the ext tables since the last record was taken, for stores
//! that save incrementally (docs/design.md "Persistence").
//!
//! Tracking starts when the persistence opens an incremental store
//! (`Engine::open_log`); VMs without one pay nothing. Each Lua write notes the table and
//! the *top-level* key it lands under (a write into `t.user.score` notes `t`, `user`),
//! and `ext.table`/`ext.drop` note the table. A record then holds the current value of
//! each noted entry, read from the Maps when the record is taken: the cost of a save
//! follows the entries changed, and a write into a Map that is no longer in the tables
//! (a proxy kept after its entry was replaced) records exactly what a snapshot would
//! hold. Changes JS makes to `lua.ext` itself are not seen here; `save()` writes them.

use std::rc::Rc;

use crate::ext::{self, CopyError};
use crate::host::{Host, HostError};
use crate::quota::Meter;
use crate::record::Op;
use crate::shared::Shared;
use crate::seen::{KeyRef, Seen};
use crate::stored::Key;

/// Past this many noted entries a record would cost about what a snapshot does: the
/// notes are dropped and the next save is a whole snapshot.
pub const MAX_NOTED: usize = 65_536;

/// Where a proxy's writes land: its ext table, and for a Map nested in it the
/// top-level key it hangs under.
#[derive(Debug)]
pub(crate) struct Origin {
    pub table: Rc<str>,
    pub top: Option<Key>,
}

#[derive(Default)]
pub(crate) struct Changes {
    /// Set by `Engine::open_log`.
    pub tracking: bool,
    /// More was changed than noted (past `MAX_NOTED`): a whole snapshot is due.
    pub overflow: bool,
    tables: Vec<(Rc<str>, TableChange)>,
    /// `tables.len()` when each call in progress began: a failed call's table changes
    /// were undone, and a drop is not an assignment a later record could correct, so
    /// they are forgotten (noted entries stay: a record of their current values is
    /// right whatever happened to them).
    marks: Vec<usize>,
    entries: Vec<(Rc<str>, Key)>,
    /// Noted entries, by table (the address of its name in `Origin`, scopes differ per
    /// `ext.table` call only, which costs a duplicate, never a miss) and key.
    noted: Seen<()>,
}

#[derive(Clone, Copy, PartialEq)]
enum TableChange {
    Created,
    Dropped,
}

/// What [`take`] found.
pub enum Taken {
    Nothing,
    /// A whole snapshot is due (too many changes to list).
    Everything,
    /// The changes, in the order a record replays them.
    Record(Vec<Op>),
}

impl Changes {
    /// Notes changes from now on, from a clean slate (the tables were just loaded).
    pub(crate) fn start(&mut self) {
        self.forget();
        self.overflow = false;
        self.tracking = true;
    }

    /// A call into Lua begins (see `Engine::invoke`).
    pub(crate) fn begin(&mut self) {
        self.marks.push(self.tables.len());
    }

    /// A call into Lua ends; a failed one's table changes are forgotten.
    pub(crate) fn end(&mut self, ok: bool) {
        if let Some(mark) = self.marks.pop() {
            if !ok {
                self.tables.truncate(mark);
            }
        }
    }

    /// A write under `key` of a proxy with `origin`.
    pub(crate) fn entry(&mut self, origin: &Origin, key: KeyRef) {
        if !self.tracking || self.overflow {
            return;
        }
        let top = origin.top.as_ref().map_or(key, Key::as_ref);
        let scope = Rc::as_ptr(&origin.table) as *const u8 as usize as u64;
        if self.noted.get(scope, top).is_some() {
            return;
        }
        self.noted.insert(scope, top, ());
        self.entries.push((origin.table.clone(), top.to_key()));
        if self.entries.len() > MAX_NOTED {
            self.overflowed();
        }
    }

    pub(crate) fn created(&mut self, table: &str) {
        self.table(table, TableChange::Created);
    }

    pub(crate) fn dropped(&mut self, table: &str) {
        self.table(table, TableChange::Dropped);
    }

    fn table(&mut self, table: &str, change: TableChange) {
        if !self.tracking || self.overflow {
            return;
        }
        self.tables.push((table.into(), change));
        if self.tables.len() > MAX_NOTED {
            self.overflowed();
        }
    }

    fn overflowed(&mut self) {
        self.overflow = true;
        self.forget();
    }

    pub(crate) fn forget(&mut self) {
        self.tables = Vec::new();
        self.entries = Vec::new();
        self.noted.clear();
    }

    /// A restore replaced every table: what was noted is moot, and a whole snapshot is
    /// due.
    pub(crate) fn replaced(&mut self) {
        if self.tracking {
            self.overflowed();
        }
    }
}

/// The changes of everything noted since the last take, which it clears. A value that
/// cannot be stored (JS put it there) fails the take with the snapshot's message; the
/// notes are then dropped and a whole snapshot is due, which reports it the same way.
pub(crate) fn take_ops<H: Host + 'static>(shared: &Shared<H>, h: &mut H) -> Result<Taken, String> {
    let mut changes = shared.changes.borrow_mut();
    if changes.overflow {
        changes.overflow = false;
        return Ok(Taken::Everything);
    }
    if changes.tables.is_empty() && changes.entries.is_empty() {
        return Ok(Taken::Nothing);
    }
    let tables = std::mem::take(&mut changes.tables);
    let entries = std::mem::take(&mut changes.entries);
    changes.noted.clear();
    drop(changes);
    match ops(shared, h, &tables, &entries) {
        Ok(ops) => Ok(Taken::Record(ops)),
        Err(m) => {
            shared.changes.borrow_mut().overflow = true;
            Err(m)
        }
    }
}

fn ops<H: Host + 'static>(shared: &Shared<H>, h: &mut H, tables: &[(Rc<str>, TableChange)], entries: &[(Rc<str>, Key)]) -> Result<Vec<Op>, String> {
    let msg = |e: HostError| e.message;
    let mut out = Vec::with_capacity(tables.len() + entries.len());
    for (name, change) in tables {
        match change {
            TableChange::Dropped => out.push(Op::Drop(name.to_string())),
            TableChange::Created => {
                if let Ok(_map) = ext::open_root(h, name, false).map_err(msg)? {
                    out.push(Op::Create(name.to_string()));
                }
            }
        }
    }
    let mut meter = Meter::new(shared, u64::MAX);
    for (name, key) in entries {
        let Ok(map) = ext::open_root(h, name, false).map_err(msg)? else { continue };
        let jk = ext::key_to_js(h, key).map_err(msg)?;
        let stored = ext::export_entry(h, &map, &jk, name, key, &mut meter).map_err(|e| match e {
            CopyError::Rule(m) => m,
            CopyError::Host(e) => e.message,
            CopyError::Over(_) => "the ext tables hold more than storageLimit".to_string(),
        })?;
        out.push(match stored {
            Some(v) => Op::Set(name.to_string(), key.clone(), v),
            None => Op::Delete(name.to_string(), key.clone()),
        });
    }
    Ok(out)
}

/// Replays records over the tables (after their snapshot was imported).
pub(crate) fn apply<H: Host>(h: &mut H, records: &[Vec<Op>], tags: &std::cell::Cell<bool>) -> Result<(), HostError> {
    let root = h.ext_root()?;
    for op in records.iter().flatten() {
        match op {
            Op::Drop(name) => {
                let k = h.string(name)?;
                h.map_delete(&root, &k)?;
            }
            Op::Create(name) => {
                table(h, &root, name)?;
            }
            Op::Set(name, key, value) => {
                let map = table(h, &root, name)?;
                let jk = ext::key_to_js(h, key)?;
                ext::write(h, &map, &jk, value, tags)?;
            }
            Op::Delete(name, key) => {
                if let Ok(map) = ext::open_root(h, name, false)? {
                    let jk = ext::key_to_js(h, key)?;
                    ext::delete(h, &map, &jk, true)?;
                }
            }
        }
    }
    Ok(())
}

/// The Map of table `name`, made (or put in place of a value that is not a Map) when
/// needed.
fn table<H: Host>(h: &mut H, root: &H::Value, name: &str) -> Result<H::Value, HostError> {
    match ext::open_root(h, name, true)? {
        Ok(m) => Ok(m),
        Err(_) => {
            let k = h.string(name)?;
            let m = h.new_map()?;
            h.map_set(root, &k, &m)?;
            Ok(m)
        }
    }
}
