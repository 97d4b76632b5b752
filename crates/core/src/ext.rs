//! External tables: Lua proxies over JS Maps (docs/design.md "External tables").
//!
//! A proxy refers to one Map (reference semantics): reading a nested Map gives a proxy
//! to that very Map, so `t.user.score = 5` lands in the Map JS sees. Writes validate the
//! whole value first (keys, values, cycles) and only then touch the Map, so a rejected
//! write leaves nothing half-written.
//!
//! JS numbers cannot tell the Lua float `2.0` from the integer `2`; integral floats are
//! therefore recorded in a side Map hidden on each Map under a private symbol, checked
//! by value so that JS overwriting the entry makes the tag stale and ignored.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use mlua::{FromLuaMulti, Lua, MultiValue, Table, Value};

use crate::changes::Origin;
use crate::convert::{host_err, integer, MAX_DEPTH};
use crate::error::Raised;
use crate::host::{Host, HostError, JsKind};
use crate::journal::{JournalError, MapId, ROOT};
use crate::seen::KeyRef;
use crate::quota::{self, Meter, Over};
use crate::shared::{lua_position, Scope, Shared, SlotOwner};
use crate::sharing::{self, Read};
use crate::stored::{Key, Stored};

pub const DEFAULT_TABLE: &str = "default";

/// What a proxy userdata holds (see proxy.rs for the userdata itself).
pub(crate) struct ExtProxy<H: Host> {
    pub(crate) owner: SlotOwner<H>,
    /// "name" or "name.key.key", for messages and tostring.
    path: Rc<str>,
    /// Nesting depth of the proxied Map as `snapshot()` counts it (an ext table is 0), so
    /// writes refuse exactly what a snapshot could not save.
    depth: usize,
    shared: Rc<Shared<H>>,
    /// Where its writes land, for change records (changes.rs).
    origin: Rc<Origin>,
    /// Its identity in the call's undo journal (journal.rs).
    serial: MapId,
    /// Where `next(proxy, k)` traversals stand (see [`Cursor`]).
    cursor: RefCell<Option<Cursor>>,
}

/// The keys of a proxy's Map as listed when a `next` traversal began, so that each
/// step costs O(1) whatever key it is given: a loop of `next` calls is linear, and may
/// clear entries as it goes, as Lua allows for tables (a cleared key is still found,
/// and entries gone from the Map are skipped).
pub(crate) struct Cursor {
    keys: Vec<Key>,
    /// Position after the key the last step returned: the next step usually resumes
    /// there, checked without hashing (`is_key`).
    pos: usize,
    /// Key -> its position in `keys`, for a step given any other key; built by the
    /// first such step, so plain loops never pay for it.
    index: Option<HashMap<Key, usize>>,
    /// `Shared::generation` when listed: a later host entry may have changed the Map.
    generation: u64,
}

impl Cursor {
    fn new(keys: Vec<Key>, generation: u64) -> Cursor {
        Cursor { keys, pos: 0, index: None, generation }
    }

    /// The position after `key` (a Lua value, not nil), or None if it was not listed.
    fn after(&mut self, key: &Value) -> Option<usize> {
        if self.pos > 0 && is_key(key, &self.keys[self.pos - 1]) {
            return Some(self.pos);
        }
        let key = key_from_lua(key).ok()?;
        let keys = &self.keys;
        let index = self.index.get_or_insert_with(|| keys.iter().enumerate().map(|(i, k)| (k.clone(), i)).collect());
        index.get(&key).map(|i| i + 1)
    }
}

/// What an entry of a Map holds, in ext terms.
pub(crate) enum Entry<V> {
    Absent,
    Scalar(Stored),
    Map(V),
    Unsupported(&'static str),
}

fn ext_error(lua: &Lua, message: String) -> mlua::Error {
    Raised::Ext(format!("{}ext: {message}", lua_position(lua))).into_lua()
}

// ---------------------------------------------------------------- keys

pub(crate) fn key_from_lua(v: &Value) -> Result<Key, String> {
    match v {
        Value::Integer(i) => Ok(Key::Int(*i)),
        Value::Number(f) => Key::from_float(*f).ok_or_else(|| "NaN cannot be a key".to_string()),
        Value::Boolean(b) => Ok(Key::Bool(*b)),
        Value::String(s) => match s.to_str() {
            Ok(text) => Ok(Key::Str(text.to_string())),
            Err(_) => Err("string keys must be valid UTF-8".to_string()),
        },
        other => Err(format!("keys must be strings, numbers or booleans, not {}", other.type_name())),
    }
}

/// Whether Lua value `v` is the key `k`, as `key_from_lua(v) == Ok(k)` without building
/// a key: `next`'s cursor check runs once per step of a traversal.
fn is_key(v: &Value, k: &Key) -> bool {
    match (v, k) {
        (Value::String(s), Key::Str(t)) => s.as_bytes() == t.as_bytes(),
        (Value::Integer(i), Key::Int(j)) => i == j,
        (Value::Boolean(a), Key::Bool(b)) => a == b,
        (Value::Number(f), k) => Key::from_float(*f).as_ref() == Some(k),
        _ => false,
    }
}

pub(crate) fn key_to_js<H: Host>(h: &mut H, k: &Key) -> Result<H::Value, HostError> {
    match k {
        Key::Str(s) => h.string(s),
        Key::Int(i) => integer(h, *i),
        Key::Float(f) => h.number(*f),
        Key::Bool(b) => h.boolean(*b),
    }
}

pub(crate) fn key_from_js<H: Host>(h: &mut H, v: &H::Value) -> Result<Result<Key, &'static str>, HostError> {
    Ok(match h.inspect(v)? {
        JsKind::String(s) => Ok(Key::Str(s)),
        JsKind::Number(f) => Key::from_float(f).ok_or("NaN"),
        JsKind::BigInt(Some(i)) => Ok(Key::Int(i)),
        JsKind::Bool(b) => Ok(Key::Bool(b)),
        JsKind::BigInt(None) => Err("BigInt beyond 64 bits"),
        other => Err(other.type_name()),
    })
}

/// Every NaN is stored as the one quiet NaN: V8 drops a NaN's sign and payload and wasm
/// keeps them, so without this the same data would give different snapshot bytes.
fn canonical_nan(f: f64) -> f64 {
    if f.is_nan() {
        f64::NAN
    } else {
        f
    }
}

// ---------------------------------------------------------------- reading

/// Classifies the JS value `v` stored under `jk` in `map`.
pub(crate) fn classify<H: Host>(
    h: &mut H,
    map: &H::Value,
    jk: &H::Value,
    v: H::Value,
    tags: bool,
) -> Result<Entry<H::Value>, HostError> {
    Ok(match h.inspect(&v)? {
        JsKind::Undefined | JsKind::Null => Entry::Absent,
        JsKind::Bool(b) => Entry::Scalar(Stored::Bool(b)),
        JsKind::Number(f) => Entry::Scalar(number_entry(h, map, jk, f, tags)?),
        JsKind::BigInt(Some(i)) => Entry::Scalar(Stored::Int(i)),
        JsKind::String(s) => Entry::Scalar(Stored::Str(s)),
        JsKind::Bytes(b) => Entry::Scalar(Stored::Bytes(b)),
        JsKind::Map => Entry::Map(v),
        other => Entry::Unsupported(other.type_name()),
    })
}

/// `tags`: whether any Map may carry float tags (see `Shared::float_tags`); when none can,
/// the side-Map lookup is skipped.
fn number_entry<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value, f: f64, tags: bool) -> Result<Stored, HostError> {
    // Integers beyond +-(2^53-1) are stored as BigInts (see `write`), so a JS number out
    // there is a float, as the value rules say for numbers passed in (convert.rs).
    let integral = f.fract() == 0.0 && f.abs() <= crate::convert::MAX_SAFE_INTEGER as f64;
    if !integral {
        return Ok(Stored::Float(canonical_nan(f)));
    }
    if let Some(aux) = if tags { h.map_aux(map, false)? } else { None } {
        let tag = h.map_get(&aux, jk)?;
        if let JsKind::Number(t) = h.inspect(&tag)? {
            if t == f && t.is_sign_negative() == f.is_sign_negative() {
                return Ok(Stored::Float(f));
            }
        }
    }
    if f == 0.0 && f.is_sign_negative() {
        return Ok(Stored::Float(f));
    }
    Ok(Stored::Int(f as i64))
}

/// Why a deep copy of ext data stopped.
pub(crate) enum CopyError {
    /// A value or key ext tables cannot hold (the message names it).
    Rule(String),
    /// The copy would pass `storageLimit`, or a limit of the call tripped.
    Over(Over),
    Host(HostError),
}

impl From<Over> for CopyError {
    fn from(o: Over) -> Self {
        CopyError::Over(o)
    }
}

impl From<HostError> for CopyError {
    fn from(e: HostError) -> Self {
        CopyError::Host(e)
    }
}

/// Deep copy of a Map's contents (snapshots, and ext proxies stored into ext tables),
/// each key and value taken from `meter`'s room.
pub(crate) fn export_map<H: Host + 'static>(h: &mut H, map: &H::Value, path: &str, depth: usize, meter: &mut Meter<H>) -> Result<Vec<(Key, Stored)>, CopyError> {
    if depth >= MAX_DEPTH {
        return Err(CopyError::Rule(format!("Maps nested deeper than {MAX_DEPTH} levels at '{path}' (is one inside itself?)")));
    }
    let entries = h.map_entries(map)?;
    let mut out = Vec::with_capacity(entries.len());
    for (jk, jv) in entries {
        let key = match key_from_js(h, &jk)? {
            Ok(k) => k,
            Err(what) => return Err(CopyError::Rule(format!("table '{path}' has a key of unsupported type ({what})"))),
        };
        meter.take(key.weight())?;
        match classify(h, map, &jk, jv, true)? {
            Entry::Absent => {}
            Entry::Scalar(s) => {
                meter.take(s.weight())?;
                out.push((key, s))
            }
            Entry::Map(child) => {
                meter.take(crate::stored::ENTRY_OVERHEAD)?;
                let child_path = format!("{path}.{}", key.describe());
                let inner = export_map(h, &child, &child_path, depth + 1, meter)?;
                out.push((key, Stored::Table(inner)));
            }
            Entry::Unsupported(what) => {
                return Err(CopyError::Rule(format!("table '{path}' holds an unsupported JS {what} at key {}", key.describe())))
            }
        }
    }
    Ok(out)
}

/// The entry `map[jk]` (of table `table`, under `key`) as a record holds it: `None`
/// when absent. Values JS put there that a snapshot refuses are refused alike.
pub(crate) fn export_entry<H: Host + 'static>(h: &mut H, map: &H::Value, jk: &H::Value, table: &str, key: &Key, meter: &mut Meter<H>) -> Result<Option<Stored>, CopyError> {
    let v = h.map_get(map, jk)?;
    Ok(match classify(h, map, jk, v, true)? {
        Entry::Absent => None,
        Entry::Scalar(s) => Some(s),
        Entry::Map(child) => Some(Stored::Table(export_map(h, &child, &format!("{table}.{}", key.describe()), 1, meter)?)),
        Entry::Unsupported(what) => return Err(CopyError::Rule(format!("table '{table}' holds an unsupported JS {what} at key {}", key.describe()))),
    })
}

fn entry_to_lua<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, at: Place, key: &Key, e: Entry<H::Value>) -> mlua::Result<Value> {
    let (path, depth) = (at.path, at.depth);
    Ok(match e {
        Entry::Absent => Value::Nil,
        Entry::Scalar(s) => {
            crate::limits::charge_bytes(shared, s.weight() as usize).map_err(Raised::into_lua)?;
            scalar_to_lua(lua, s)?
        }
        Entry::Map(m) => {
            let child = format!("{path}.{}", key.describe());
            let origin = match at.origin.top {
                Some(_) => at.origin.clone(),
                None => Rc::new(Origin { table: at.origin.table.clone(), top: Some(key.clone()) }),
            };
            Value::UserData(new_proxy(lua, shared, h, &m, child.into(), depth + 1, origin)?)
        }
        Entry::Unsupported(what) => {
            return Err(ext_error(lua, format!("table '{path}' holds an unsupported JS {what} at key {}", key.describe())))
        }
    })
}

fn scalar_to_lua(lua: &Lua, s: Stored) -> mlua::Result<Value> {
    Ok(match s {
        Stored::Bool(b) => Value::Boolean(b),
        Stored::Int(i) => Value::Integer(i),
        Stored::Float(f) => Value::Number(f),
        Stored::Str(s) => Value::String(lua.create_string(&s)?),
        Stored::Bytes(b) => Value::String(lua.create_string(&b)?),
        // Never classified so (tables are read as proxies); no panic path on wasm.
        Stored::Table(_) => Value::Nil,
    })
}

// ---------------------------------------------------------------- writing

/// Lua value -> `Stored`, validating everything before anything is written, its size
/// taken from `meter`'s room as it is built.
/// `base`: the depth the value will have once stored (its Map's depth + 1).
pub(crate) fn to_stored<H: Host + 'static>(shared: &Shared<H>, h: &mut H, v: &Value, base: usize, path: &mut Vec<String>, visiting: &mut Vec<*const std::ffi::c_void>, meter: &mut Meter<H>) -> Result<Stored, CopyError> {
    let here = |path: &Vec<String>| path.join(".");
    let stored = match v {
        Value::Boolean(b) => Stored::Bool(*b),
        Value::Integer(i) => Stored::Int(*i),
        Value::Number(f) => Stored::Float(canonical_nan(*f)),
        Value::String(s) => {
            let bytes = s.as_bytes();
            meter.take(crate::stored::ENTRY_OVERHEAD + bytes.len() as u64)?;
            return Ok(match std::str::from_utf8(&bytes) {
                Ok(t) => Stored::Str(t.to_string()),
                Err(_) => Stored::Bytes(bytes.to_vec()),
            });
        }
        Value::Table(t) if crate::jsref::slot_of(shared, t).is_some() => {
            return Err(CopyError::Rule(format!("cannot store a JS reference (a ref() value, which cannot persist) at key {}", here(path))));
        }
        Value::Table(t) => {
            let ptr = t.to_pointer();
            if visiting.contains(&ptr) {
                return Err(CopyError::Rule(format!("cannot store a cyclic table at key {}", here(path))));
            }
            if base + visiting.len() >= MAX_DEPTH {
                return Err(CopyError::Rule(format!("table nested deeper than {MAX_DEPTH} levels at key {}", here(path))));
            }
            visiting.push(ptr);
            let mut entries = Vec::new();
            for pair in t.pairs::<Value, Value>() {
                let (k, val) = pair.map_err(|e| CopyError::Rule(e.to_string()))?;
                let key = key_from_lua(&k).map_err(|m| CopyError::Rule(format!("{m} (at key {})", here(path))))?;
                meter.take(key.weight())?;
                path.push(key.describe());
                let stored = to_stored(shared, h, &val, base, path, visiting, meter)?;
                path.pop();
                entries.push((key, stored));
            }
            visiting.pop();
            // Lua's table order depends on a per-VM hash seed; a canonical order makes the
            // Maps, and so snapshots, identical for identical data.
            // core's sort here: the heapsort (sort.rs) made writing a 100k-key table 10-15% slower.
            entries.sort_unstable_by(|a, b| a.0.canonical_cmp(&b.0));
            Stored::Table(entries)
        }
        Value::UserData(ud) => match crate::proxy::of(shared, ud) {
            Some(p) => {
                let map = h.slot_get(p.owner.slot)?;
                Stored::Table(export_map(h, &map, &p.path, base + visiting.len(), meter)?)
            }
            None => return Err(CopyError::Rule(format!("cannot store a userdata at key {}", here(path)))),
        },
        other => return Err(CopyError::Rule(format!("cannot store a {} at key {}", other.type_name(), here(path)))),
    };
    meter.take(crate::stored::ENTRY_OVERHEAD)?;
    Ok(stored)
}

fn is_integral(f: f64) -> bool {
    f.fract() == 0.0
}

/// Writes `value` under `jk`, building nested Maps bottom-up. `tags` is the VM's
/// `Shared::float_tags`: read to skip untagging when no Map can carry tags, set when
/// this write tags a float.
pub(crate) fn write<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value, value: &Stored, tags: &Cell<bool>) -> Result<(), HostError> {
    write_as(h, map, jk, value, tags, false)
}

/// [`write`], the entry itself set through the call's undo journal when `journaled`
/// (the float tag is remembered with it, see [`Host::journal_set`]).
fn write_as<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value, value: &Stored, tags: &Cell<bool>, journaled: bool) -> Result<(), HostError> {
    let jv = match value {
        Stored::Bool(b) => h.boolean(*b)?,
        Stored::Int(i) => integer(h, *i)?,
        Stored::Float(f) => h.number(*f)?,
        Stored::Str(s) => h.string(s)?,
        Stored::Bytes(b) => h.bytes(b)?,
        Stored::Table(entries) => {
            let child = h.new_map()?;
            for (k, v) in entries {
                let ck = key_to_js(h, k)?;
                write(h, &child, &ck, v, tags)?;
            }
            child
        }
    };
    if journaled {
        h.journal_set(map, jk, Some(&jv), tags.get())?;
    } else {
        h.map_set(map, jk, &jv)?;
    }
    match value {
        Stored::Float(f) if is_integral(*f) => {
            tags.set(true);
            let aux = h.map_aux(map, true)?.ok_or_else(|| HostError::new("cannot tag floats"))?;
            h.map_set(&aux, jk, &jv)
        }
        _ if tags.get() => untag(h, map, jk),
        _ => Ok(()),
    }
}

fn untag<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value) -> Result<(), HostError> {
    if let Some(aux) = h.map_aux(map, false)? {
        h.map_delete(&aux, jk)?;
    }
    Ok(())
}

pub(crate) fn delete<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value, tags: bool) -> Result<(), HostError> {
    delete_as(h, map, jk, tags, false)
}

fn delete_as<H: Host>(h: &mut H, map: &H::Value, jk: &H::Value, tags: bool, journaled: bool) -> Result<(), HostError> {
    if journaled {
        h.journal_set(map, jk, None, tags)?;
    } else {
        h.map_delete(map, jk)?;
    }
    if tags {
        untag(h, map, jk)?;
    }
    Ok(())
}

/// Replaces a Map's whole contents (restore), keeping the Map object itself so that
/// JS references and Lua proxies to it stay valid.
pub(crate) fn replace_contents<H: Host>(h: &mut H, map: &H::Value, entries: &[(Key, Stored)], tags: &Cell<bool>) -> Result<(), HostError> {
    h.map_clear(map)?;
    if let Some(aux) = h.map_aux(map, false)? {
        h.map_clear(&aux)?;
    }
    for (k, v) in entries {
        let jk = key_to_js(h, k)?;
        write(h, map, &jk, v, tags)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- proxies

pub(crate) fn new_proxy<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, map: &H::Value, path: Rc<str>, depth: usize, origin: Rc<Origin>) -> mlua::Result<mlua::AnyUserData> {
    // A Map tagged elsewhere (by another VM, or loaded before) turns tag lookups on.
    if !shared.float_tags.get() && h.map_aux(map, false).map_err(host_err)?.is_some() {
        shared.float_tags.set(true);
    }
    let made = shared.proxy_mt.borrow().clone();
    let mt = match made {
        Some(mt) => mt,
        None => {
            let mt = proxy_metatable(lua, shared)?;
            *shared.proxy_mt.borrow_mut() = Some(mt.clone());
            mt
        }
    };
    let slot = shared.alloc_slot();
    h.slot_set(slot, map).map_err(host_err)?;
    let serial = shared.next_serial.get() + 1;
    shared.next_serial.set(serial);
    let proxy = ExtProxy { owner: SlotOwner::new(shared, slot), path, depth, shared: shared.clone(), origin, serial, cursor: RefCell::new(None) };
    crate::proxy::create(lua, shared, proxy, &mt)
}

impl<H: Host + 'static> ExtProxy<H> {
    fn index(&self, lua: &Lua, key: Value) -> mlua::Result<Value> {
        let Ok(key) = key_from_lua(&key) else { return Ok(Value::Nil) };
        self.gate(lua, Some(&key))?;
        let host = self.shared.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let map = h.slot_get(self.owner.slot).map_err(host_err)?;
        let jk = key_to_js(h, &key).map_err(host_err)?;
        let v = h.map_get(&map, &jk).map_err(host_err)?;
        let e = classify(h, &map, &jk, v, self.shared.float_tags.get()).map_err(host_err)?;
        entry_to_lua(lua, &self.shared, h, self.place(), &key, e)
    }

    /// The shared-store gate (sharing.rs) for a read of `key`, or with `None` of the
    /// whole Map: what the store versions is the top-level entry, or the whole table.
    fn gate(&self, lua: &Lua, key: Option<&Key>) -> mlua::Result<()> {
        sharing::gate(lua, &self.shared, || {
            let table = self.origin.table.clone();
            Some(match (&self.origin.top, key) {
                (Some(top), _) => Read::Entry(table, top.clone()),
                (None, Some(k)) => Read::Entry(table, k.clone()),
                (None, None) => Read::Table(table),
            })
        })
    }

    /// The gate for a write: one inside a nested value reads the entry it hangs under
    /// (the commit carries that entry whole); a top-level write reads nothing.
    fn gate_write(&self, lua: &Lua) -> mlua::Result<()> {
        sharing::gate(lua, &self.shared, || self.origin.top.clone().map(|top| Read::Entry(self.origin.table.clone(), top)))
    }

    fn place(&self) -> Place<'_> {
        Place { path: &self.path, depth: self.depth, origin: &self.origin }
    }

    fn new_index(&self, lua: &Lua, key: Value, value: Value) -> mlua::Result<()> {
        let key = key_from_lua(&key).map_err(|m| ext_error(lua, format!("{m} (table '{}')", self.path)))?;
        self.gate_write(lua)?;
        let host = self.shared.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let map = h.slot_get(self.owner.slot).map_err(host_err)?;
        let jk = key_to_js(h, &key).map_err(host_err)?;
        let stored = if value.is_nil() { None } else { Some(self.admitted(lua, h, &key, &value, &map, &jk)?) };
        self.change(h, &map, key.as_ref(), &jk, stored.as_ref()).map_err(|e| match e {
            JournalError::Full(n) => crate::journal::too_many(&self.shared, n, &lua_position(lua)).into_lua(),
            // The host refused the entry (V8's "Map maximum size exceeded"): a rule of
            // the ext table's, at the script's line.
            JournalError::Host(e) => ext_error(lua, format!("cannot write to table '{}': {}", self.path, e.message)),
        })
    }

    /// Sets (or with `None` deletes) `map[key]`, after the call's undo journal and the
    /// change records took note. Every Lua write to an ext Map ends here (also the
    /// fast path's, see ext_fast.rs).
    pub(crate) fn change(&self, h: &mut H, map: &H::Value, key: KeyRef, jk: &H::Value, value: Option<&Stored>) -> Result<(), JournalError> {
        let shared = &*self.shared;
        let journaled = shared.journal.borrow_mut().first(self.serial, key, shared.storage_limit.get())?;
        shared.changes.borrow_mut().entry(&self.origin, key);
        shared.mark_dirty();
        match value {
            None => delete_as(h, map, jk, shared.float_tags.get(), journaled),
            Some(v) => write_as(h, map, jk, v, &shared.float_tags, journaled),
        }
        .map_err(JournalError::Host)
    }

    /// `value` as it will be stored under `key` in `map`, counted against
    /// `storageLimit` (quota.rs): built within the room the estimate leaves, and built
    /// again after measuring the tables when it did not fit.
    fn admitted(&self, lua: &Lua, h: &mut H, key: &Key, value: &Value, map: &H::Value, jk: &H::Value) -> mlua::Result<Stored> {
        let shared = &*self.shared;
        // Scalars cannot fail a rule: no key path is built for them (it is an allocation).
        let scalar = matches!(value, Value::Boolean(_) | Value::Integer(_) | Value::Number(_) | Value::String(_));
        let build = |h: &mut H| {
            let mut path = if scalar { Vec::new() } else { vec![key.describe()] };
            let mut meter = Meter::new(shared, quota::room(shared).saturating_sub(key.weight()));
            to_stored(shared, h, value, self.depth + 1, &mut path, &mut Vec::new(), &mut meter)
        };
        let mut built = build(h);
        if let Err(CopyError::Over(Over::Quota)) = built {
            quota::remeasure(shared, h, Some((map, jk))).map_err(Raised::into_lua)?;
            built = build(h);
        }
        match built {
            Ok(v) if quota::try_add(shared, quota::entry_weight(key, &v)) => Ok(v),
            Ok(_) | Err(CopyError::Over(Over::Quota)) => Err(quota::no_room(shared, &lua_position(lua)).into_lua()),
            Err(CopyError::Over(Over::Limit(r))) => Err(r.into_lua()),
            Err(CopyError::Rule(m)) => Err(ext_error(lua, format!("{m} in table '{}'", self.path))),
            Err(CopyError::Host(e)) => Err(host_err(e)),
        }
    }

    /// A border, as Lua's `#` gives for tables: n with t[n] ~= nil and t[n+1] == nil.
    fn len(&self, lua: &Lua) -> mlua::Result<i64> {
        self.gate(lua, None)?;
        let host = self.shared.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let map = h.slot_get(self.owner.slot).map_err(host_err)?;
        let size = h.map_size(&map).map_err(host_err)? as i64;
        let mut has = |i: i64| -> mlua::Result<bool> {
            let k = integer(h, i).map_err(host_err)?;
            h.map_has(&map, &k).map_err(host_err)
        };
        if size == 0 || !has(1)? {
            return Ok(0);
        }
        if has(size)? && !has(size + 1)? {
            return Ok(size);
        }
        // Unbounded search then bisection, as luaH_getn does for the hash part.
        let (mut lo, mut hi) = (1i64, 2i64);
        while has(hi)? {
            lo = hi;
            if hi > i64::MAX / 2 {
                return Ok(hi);
            }
            hi *= 2;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if has(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The keys of the proxied Map, in its order.
    fn keys(&self, lua: &Lua, h: &mut H, map: &H::Value) -> mlua::Result<Vec<Key>> {
        self.gate(lua, None)?;
        let entries = h.map_entries(map).map_err(host_err)?;
        let mut keys = Vec::with_capacity(entries.len());
        for (jk, _) in entries {
            match key_from_js(h, &jk).map_err(host_err)? {
                Ok(k) => keys.push(k),
                Err(what) => return Err(ext_error(lua, format!("table '{}' has a key of unsupported type ({what})", self.path))),
            }
        }
        Ok(keys)
    }

    /// `pairs`: keys are listed when iteration starts; values are read live, and keys
    /// deleted meanwhile are skipped (assigning during traversal is allowed, as in Lua).
    fn pairs(&self, lua: &Lua) -> mlua::Result<mlua::Function> {
        // The iterator holds the Map in a slot of its own: the proxy may be collected
        // before the loop ends.
        let own_slot = self.shared.alloc_slot();
        let owner = SlotOwner::new(&self.shared, own_slot);
        let keys = {
            let host = self.shared.host()?;
            let s = Scope::open(host);
            let h = &mut *s.host;
            let map = h.slot_get(self.owner.slot).map_err(host_err)?;
            h.slot_set(own_slot, &map).map_err(host_err)?;
            self.keys(lua, h, &map)?
        };
        let shared = self.shared.clone();
        let path = self.path.clone();
        let depth = self.depth;
        let origin = self.origin.clone();
        let cursor = Cell::new(0usize);
        let sh = self.shared.clone();
        crate::plain::function(lua, &sh, move |lua, _: MultiValue| {
            let host = shared.host()?;
            let s = Scope::open(host);
            let h = &mut *s.host;
            let map = h.slot_get(owner.slot).map_err(host_err)?;
            let mut pos = cursor.get();
            let found = next_entry(lua, &shared, h, &map, Place { path: &path, depth, origin: &origin }, &keys, &mut pos);
            cursor.set(pos);
            Ok(MultiValue::from(match found? {
                Some((k, v)) => vec![k, v],
                None => vec![Value::Nil],
            }))
        })
    }

    /// `next(proxy, key)` for luap_next (lua-sys's `csrc/luap_next.c`): `true, k, v`,
    /// `true, nil` past the last entry, `false` when `key` is not in the Map. In Map
    /// order, values read live, entries deleted since the traversal began skipped.
    /// O(1) per step whatever the key (see [`Cursor`]): the keys are listed when a
    /// traversal starts (`key` nil), when the host entered the core since the listing,
    /// or when `key` is not in it (added since).
    fn next(&self, lua: &Lua, key: &Value) -> mlua::Result<MultiValue> {
        let host = self.shared.host()?;
        let s = Scope::open(host);
        let h = &mut *s.host;
        let map = h.slot_get(self.owner.slot).map_err(host_err)?;
        let generation = self.shared.generation.get();
        let (mut cursor, listed_now) = match self.cursor.take() {
            Some(c) if !key.is_nil() && c.generation == generation => (c, false),
            _ => (Cursor::new(self.keys(lua, h, &map)?, generation), true),
        };
        let mut pos = match key {
            Value::Nil => 0,
            k => match cursor.after(k) {
                Some(p) => p,
                None if !listed_now => {
                    // Listed before `key` was added: list again (once).
                    cursor = Cursor::new(self.keys(lua, h, &map)?, generation);
                    match cursor.after(k) {
                        Some(p) => p,
                        None => return Ok(MultiValue::from(vec![Value::Boolean(false)])),
                    }
                }
                None => return Ok(MultiValue::from(vec![Value::Boolean(false)])),
            },
        };
        let found = next_entry(lua, &self.shared, h, &map, self.place(), &cursor.keys, &mut pos)?;
        cursor.pos = pos;
        *self.cursor.borrow_mut() = Some(cursor);
        Ok(MultiValue::from(match found {
            Some((k, v)) => vec![Value::Boolean(true), k, v],
            None => vec![Value::Boolean(true), Value::Nil],
        }))
    }
}

/// `a == b` for two userdata, one of them a proxy (Lua calls `__eq` only for two that are
/// not the same one): whether both are proxies viewing the same Map.
fn same_map<H: Host>(shared: &Shared<H>, a: &Value, b: &Value) -> mlua::Result<bool> {
    let (Value::UserData(a), Value::UserData(b)) = (a, b) else { return Ok(false) };
    let (Some(a), Some(b)) = (crate::proxy::of(shared, a), crate::proxy::of(shared, b)) else { return Ok(false) };
    let host = shared.host()?;
    let s = Scope::open(host);
    let h = &mut *s.host;
    let ma = h.slot_get(a.owner.slot).map_err(host_err)?;
    let mb = h.slot_get(b.owner.slot).map_err(host_err)?;
    h.same(&ma, &mb).map_err(host_err)
}

/// Where a proxied Map sits: its path, nesting depth and origin (see [`ExtProxy`]).
#[derive(Clone, Copy)]
struct Place<'a> {
    path: &'a str,
    depth: usize,
    origin: &'a Rc<Origin>,
}

/// The entry of `keys[*pos..]` first still in `map` (which sits at `at`), as Lua values;
/// `*pos` moves past it.
fn next_entry<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>, h: &mut H, map: &H::Value, at: Place, keys: &[Key], pos: &mut usize) -> mlua::Result<Option<(Value, Value)>> {
    while *pos < keys.len() {
        let key = &keys[*pos];
        *pos += 1;
        let jk = key_to_js(h, key).map_err(host_err)?;
        let v = h.map_get(map, &jk).map_err(host_err)?;
        let e = classify(h, map, &jk, v, shared.float_tags.get()).map_err(host_err)?;
        if matches!(e, Entry::Absent) {
            continue;
        }
        let value = entry_to_lua(lua, shared, h, at, key, e)?;
        let lk = match key {
            Key::Str(s) => Value::String(lua.create_string(s)?),
            Key::Int(i) => Value::Integer(*i),
            Key::Float(f) => Value::Number(*f),
            Key::Bool(b) => Value::Boolean(*b),
        };
        return Ok(Some((lk, value)));
    }
    Ok(None)
}

/// The proxies' metatable, made with a VM's first proxy. Index and NewIndex can fail in
/// ways scripts handle: plain-string errors; scalar reads and writes take the fast path
/// (ext_fast.rs), the rest the full implementations here.
fn proxy_metatable<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<Table> {
    let sh = shared.clone();
    let slow_index = crate::plain::function(lua, shared, move |lua, args| {
        let (ud, key) = <(Value, Value)>::from_lua_multi(args, lua)?;
        let v = proxy_arg(&sh, &ud)?.index(lua, key)?;
        Ok(MultiValue::from(vec![v]))
    })?;
    let sh = shared.clone();
    let slow_new_index = crate::plain::function(lua, shared, move |lua, args| {
        let (ud, key, value) = <(Value, Value, Value)>::from_lua_multi(args, lua)?;
        proxy_arg(&sh, &ud)?.new_index(lua, key, value)?;
        Ok(MultiValue::new())
    })?;
    let (index, new_index) = crate::ext_fast::metamethods(lua, shared, slow_index, slow_new_index)?;
    let mt = lua.create_table()?;
    // What Lua's own messages call the type ("table expected, got ext.table").
    mt.raw_set("__name", "ext.table")?;
    mt.raw_set("__metatable", false)?;
    mt.raw_set("__index", index)?;
    mt.raw_set("__newindex", new_index)?;
    let methods: [(&str, ProxyMethod<H>); 5] = [
        ("__len", |lua, sh, a| Ok(MultiValue::from(vec![Value::Integer(proxy_arg(sh, arg(a, 0))?.len(lua)?)]))),
        ("__pairs", |lua, sh, a| Ok(MultiValue::from(vec![Value::Function(proxy_arg(sh, arg(a, 0))?.pairs(lua)?), Value::Nil, Value::Nil]))),
        ("__next", |lua, sh, a| proxy_arg(sh, arg(a, 0))?.next(lua, arg(a, 1))),
        // Lua also calls it to compare a proxy with another kind of userdata: not equal.
        ("__eq", |_, sh, a| Ok(MultiValue::from(vec![Value::Boolean(same_map(sh, arg(a, 0), arg(a, 1))?)]))),
        ("__tostring", |lua, sh, a| Ok(MultiValue::from(vec![Value::String(lua.create_string(format!("ext.table: {}", proxy_arg(sh, arg(a, 0))?.path))?)]))),
    ];
    // One closure type (the method is a fn pointer): one instantiation of mlua's callback code.
    for (name, method) in methods {
        let sh = shared.clone();
        let f = crate::plain::method(lua, shared, move |lua, args: MultiValue| method(lua, &sh, &args))?;
        mt.raw_set(name, f)?;
    }
    mt.raw_set("__gc", crate::proxy::gc_function(lua, shared)?)?;
    Ok(mt)
}

/// A metamethod of the proxies, given its arguments (errors as mlua raises them).
type ProxyMethod<H> = fn(&Lua, &Rc<Shared<H>>, &MultiValue) -> mlua::Result<MultiValue>;

/// Argument `i` of a metamethod call (nil when absent).
fn arg(args: &MultiValue, i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

/// The proxy a metamethod was called on (only reachable otherwise through the debug
/// library, which may pass anything).
fn proxy_arg<'a, H: Host>(shared: &Shared<H>, v: &'a Value) -> mlua::Result<&'a ExtProxy<H>> {
    let found = match v {
        Value::UserData(ud) => crate::proxy::of(shared, ud),
        _ => None,
    };
    found.ok_or_else(|| mlua::Error::RuntimeError("bad argument #1 (ext.table expected)".into()))
}

// ---------------------------------------------------------------- the `ext` library

/// Installs the global `ext` table: `ext.table(name)`, `ext.tables()`, `ext.drop(name)`.
pub(crate) fn install<H: Host + 'static>(lua: &Lua, shared: &Rc<Shared<H>>) -> mlua::Result<()> {
    let ext = lua.create_table()?;

    let sh = shared.clone();
    ext.set(
        "table",
        crate::plain::function(lua, shared, move |lua, args| {
            let name = name_arg(lua, &args, "table", Some(DEFAULT_TABLE))?;
            let name: Rc<str> = name.into();
            sharing::gate(lua, &sh, || Some(Read::Exists(name.clone())))?;
            let host = sh.host()?;
            let s = Scope::open(host);
            let h = &mut *s.host;
            let map = match open_root(h, &name, false).map_err(host_err)? {
                Ok(map) => map,
                // Something else JS put there.
                Err(m) if !root_absent(h, &name).map_err(host_err)? => return Err(ext_error(lua, m)),
                Err(_) => {
                    // A new table counts: a script opening millions of tables grows the
                    // host as surely as one writing millions of keys.
                    let weight = crate::stored::ENTRY_OVERHEAD + name.len() as u64;
                    quota::admit(&sh, h, None, weight, &lua_position(lua)).map_err(Raised::into_lua)?;
                    let map = h.new_map().map_err(host_err)?;
                    root_change(lua, &sh, h, &name, Some(&map))?;
                    sh.changes.borrow_mut().created(&name);
                    map
                }
            };
            let origin = Rc::new(Origin { table: name.clone(), top: None });
            let proxy = new_proxy(lua, &sh, h, &map, name, 0, origin)?;
            Ok(MultiValue::from(vec![Value::UserData(proxy)]))
        })?,
    )?;

    let sh = shared.clone();
    ext.set(
        "tables",
        crate::plain::function(lua, shared, move |lua, _| {
            sharing::gate(lua, &sh, || Some(Read::List))?;
            let host = sh.host()?;
            let s = Scope::open(host);
            let names = root_names(s.host).map_err(host_err)?;
            Ok(MultiValue::from(vec![Value::Table(lua.create_sequence_from(names)?)]))
        })?,
    )?;

    let sh = shared.clone();
    ext.set(
        "drop",
        crate::plain::function(lua, shared, move |lua, args| {
            let name = name_arg(lua, &args, "drop", None)?;
            sharing::gate(lua, &sh, || Some(Read::Exists(name.as_str().into())))?;
            let host = sh.host()?;
            let s = Scope::open(host);
            let h = &mut *s.host;
            let root = h.ext_root().map_err(host_err)?;
            let k = h.string(&name).map_err(host_err)?;
            let existed = h.map_has(&root, &k).map_err(host_err)?;
            if existed {
                sh.changes.borrow_mut().dropped(&name);
                root_change(lua, &sh, h, &name, None)?;
            }
            Ok(MultiValue::from(vec![Value::Boolean(existed)]))
        })?,
    )?;

    lua.globals().raw_set("ext", ext)?;
    // `next` that walks proxies too (for `next(t) == nil`); Lua's own on tables.
    lua.globals().raw_set("next", crate::sandbox::sys_function(lua, lua_persistent_sys::luap_next)?)
}

/// Sets (or with `None` deletes) `lua.ext`'s entry `name`, through the call's undo
/// journal: a table made or dropped by a failed call is undone like any entry.
fn root_change<H: Host + 'static>(lua: &Lua, shared: &Shared<H>, h: &mut H, name: &str, table: Option<&H::Value>) -> mlua::Result<()> {
    let root = h.ext_root().map_err(host_err)?;
    let k = h.string(name).map_err(host_err)?;
    let first = shared.journal.borrow_mut().first(ROOT, KeyRef::Str(name), shared.storage_limit.get());
    let journaled = first.map_err(|e| match e {
        JournalError::Full(n) => crate::journal::too_many(shared, n, &lua_position(lua)).into_lua(),
        JournalError::Host(e) => host_err(e),
    })?;
    shared.mark_dirty();
    match (journaled, table) {
        (true, t) => h.journal_set(&root, &k, t, false),
        (false, Some(t)) => h.map_set(&root, &k, t),
        (false, None) => h.map_delete(&root, &k),
    }
    .map_err(host_err)
}

/// The table name `ext.<function>` was given: a string (or a number, as Lua's string
/// arguments take), or `default` when absent. `ext.drop` has none, so that a nil
/// variable cannot drop the default table.
fn name_arg(lua: &Lua, args: &MultiValue, function: &str, default: Option<&str>) -> mlua::Result<String> {
    let name = match (arg(args, 0), default) {
        (Value::Nil, Some(d)) => return Ok(d.to_string()),
        (v @ (Value::String(_) | Value::Integer(_) | Value::Number(_)), _) => lua.coerce_string(v.clone())?,
        _ => None,
    };
    match name {
        Some(n) => Ok(n.to_str().map_err(|_| ext_error(lua, "table names must be UTF-8".into()))?.to_string()),
        None => {
            let got = if args.is_empty() { "no value" } else { arg(args, 0).type_name() };
            let at = lua_position(lua);
            Err(Raised::Runtime(format!("{at}bad argument #1 to 'ext.{function}' (string expected, got {got})")).into_lua())
        }
    }
}

/// The Map of table `name` in `lua.ext`, created when missing and `create` is set.
pub(crate) fn open_root<H: Host>(h: &mut H, name: &str, create: bool) -> Result<Result<H::Value, String>, HostError> {
    let root = h.ext_root()?;
    let k = h.string(name)?;
    let v = h.map_get(&root, &k)?;
    match h.inspect(&v)? {
        JsKind::Map => Ok(Ok(v)),
        JsKind::Undefined | JsKind::Null if create => {
            let m = h.new_map()?;
            h.map_set(&root, &k, &m)?;
            Ok(Ok(m))
        }
        JsKind::Undefined | JsKind::Null => Ok(Err(format!("no ext table named '{name}'"))),
        other => Ok(Err(format!("lua.ext holds {} under '{name}', not a Map", crate::convert::with_article(other.type_name())))),
    }
}

/// Whether `lua.ext` has nothing (undefined or null) under `name`.
fn root_absent<H: Host>(h: &mut H, name: &str) -> Result<bool, HostError> {
    let root = h.ext_root()?;
    let k = h.string(name)?;
    let v = h.map_get(&root, &k)?;
    Ok(matches!(h.inspect(&v)?, JsKind::Undefined | JsKind::Null))
}

pub(crate) fn root_names<H: Host>(h: &mut H) -> Result<Vec<String>, HostError> {
    let root = h.ext_root()?;
    let mut names = Vec::new();
    for (k, _) in h.map_entries(&root)? {
        if let JsKind::String(s) = h.inspect(&k)? {
            names.push(s);
        }
    }
    Ok(names)
}
