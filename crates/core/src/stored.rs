//! The data model of external tables: what can be stored, independent of JS or Lua.
//! Snapshots serialise exactly these types.

use std::cell::Cell;

use serde::{Deserialize, Deserializer, Serialize};

use crate::convert::MAX_DEPTH;

/// A key of an external table. JS Maps compare keys by value for these types only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Key {
    Str(String),
    Int(i64),
    /// Never NaN and never integral (those are normalised to `Int`, as Lua does).
    Float(f64),
    Bool(bool),
}

// Keys are never NaN (see `Key::from_float`), so equality is an equivalence.
impl Eq for Key {}

/// Hashes as equality compares: a float key is never integral nor NaN, so its bits are
/// canonical (`-0.0` is `Int(0)`).
impl std::hash::Hash for Key {
    fn hash<S: std::hash::Hasher>(&self, state: &mut S) {
        std::mem::discriminant(self).hash(state);
        match self {
            Key::Str(s) => s.hash(state),
            Key::Int(i) => i.hash(state),
            Key::Float(f) => f.to_bits().hash(state),
            Key::Bool(b) => b.hash(state),
        }
    }
}

/// A value of an external table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Stored {
    Bool(bool),
    Int(i64),
    /// NaN is written as one canonical NaN: its sign and payload differ between native
    /// code and wasm (and JS engines drop them), so snapshots of the same data stay
    /// byte-identical (found by fuzzing: a payload NaN did not survive a restore).
    Float(#[serde(serialize_with = "canonical_nan")] f64),
    /// A UTF-8 Lua string (a JS string).
    Str(String),
    /// A Lua string that is not UTF-8 (a JS Uint8Array).
    Bytes(Vec<u8>),
    /// A nested table (a JS Map), entries in insertion order. Decoding counts nesting
    /// (see [`nested`]) so crafted input cannot recurse without bound.
    Table(#[serde(deserialize_with = "nested")] Vec<(Key, Stored)>),
}

fn canonical_nan<S: serde::Serializer>(f: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(if f.is_nan() { f64::NAN } else { *f })
}

thread_local! {
    /// Tables being decoded on this thread, outermost ext table entries at depth 0.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Set when a decode hit `MAX_DEPTH`: postcard drops custom error messages, so the
    /// snapshot decoder reads this to report the typed error.
    static TOO_DEEP: Cell<bool> = const { Cell::new(false) };
}

/// Restores the depth when a nested table is done, also when decoding fails.
struct Level(usize);

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.0));
    }
}

/// Deserialises a nested table, refusing nesting deeper than `MAX_DEPTH`: the same
/// bound `export_map` applies when a snapshot is made (the ext table itself is depth
/// 0, a table inside it depth 1, ...). Without it, a small crafted blob with a valid
/// checksum overflows the stack in serde's recursion (and again when dropped).
fn nested<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(Key, Stored)>, D::Error> {
    let outer = DEPTH.with(Cell::get);
    if outer + 1 >= MAX_DEPTH {
        TOO_DEEP.with(|t| t.set(true));
        return Err(serde::de::Error::custom(format_args!("tables nested deeper than {MAX_DEPTH} levels")));
    }
    DEPTH.with(|d| d.set(outer + 1));
    let _level = Level(outer);
    Vec::deserialize(d)
}

/// Runs a decode with fresh depth bookkeeping; the flag tells whether it was refused
/// for nesting deeper than `MAX_DEPTH`.
pub(crate) fn with_depth_limit<T>(decode: impl FnOnce() -> T) -> (T, bool) {
    DEPTH.with(|d| d.set(0));
    TOO_DEEP.with(|t| t.set(false));
    let out = decode();
    (out, TOO_DEEP.with(Cell::take))
}

/// Bytes counted per key and per value besides their string bytes: about what a
/// snapshot spends on them, and a fair share of what a JS Map entry costs the host.
pub const ENTRY_OVERHEAD: u64 = 8;

impl Stored {
    /// What the value counts against `storageLimit` (docs/security.md, "Limits"): string
    /// and byte-string lengths, plus [`ENTRY_OVERHEAD`] per value and per nested key.
    pub fn weight(&self) -> u64 {
        ENTRY_OVERHEAD
            + match self {
                Stored::Str(s) => s.len() as u64,
                Stored::Bytes(b) => b.len() as u64,
                Stored::Table(entries) => entries.iter().map(|(k, v)| k.weight() + v.weight()).sum(),
                Stored::Bool(_) | Stored::Int(_) | Stored::Float(_) => 0,
            }
    }
}

/// -2^63, exactly: the integer keys a float can stand for are [-2^63, 2^63).
const I64_MIN_F: f64 = i64::MIN as f64;

impl Key {
    /// Lua's key normalisation: a float with an exact integer value is that integer.
    pub fn from_float(f: f64) -> Option<Key> {
        if f.is_nan() {
            None
        } else if f.fract() == 0.0 && (I64_MIN_F..-I64_MIN_F).contains(&f) {
            Some(Key::Int(f as i64))
        } else {
            Some(Key::Float(f))
        }
    }

    /// Integers ascending (so sequences come first, in order), then floats, strings
    /// (bytewise) and booleans.
    pub fn canonical_cmp(&self, other: &Key) -> std::cmp::Ordering {
        fn rank(k: &Key) -> u8 {
            match k {
                Key::Int(_) => 0,
                Key::Float(_) => 1,
                Key::Str(_) => 2,
                Key::Bool(_) => 3,
            }
        }
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Float(a), Key::Float(b)) => a.total_cmp(b),
            (Key::Str(a), Key::Str(b)) => a.cmp(b),
            (Key::Bool(a), Key::Bool(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }

    /// What the key counts against `storageLimit`: its bytes, plus a fixed overhead per
    /// entry (see [`Stored::weight`]).
    pub fn weight(&self) -> u64 {
        ENTRY_OVERHEAD + if let Key::Str(s) = self { s.len() as u64 } else { 0 }
    }

    /// A short human form for error messages.
    pub fn describe(&self) -> String {
        match self {
            Key::Str(s) => format!("{s:?}"),
            Key::Int(i) => i.to_string(),
            Key::Float(f) => format_float(*f),
            Key::Bool(b) => b.to_string(),
        }
    }
}

/// A plain decimal form of a float for messages, without Rust's float formatting
/// machinery (about 17 KB of wasm): up to 6 decimals, scientific beyond 1e15.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e15).contains(&a) {
        let mut exp = 0i32;
        let mut m = a;
        while m >= 10.0 {
            m /= 10.0;
            exp += 1;
        }
        while m < 1.0 {
            m *= 10.0;
            exp -= 1;
        }
        return format!("{sign}{}e{exp}", format_float(m));
    }
    let scaled = (a * 1e6).round() as u64;
    let (int, frac) = (scaled / 1_000_000, scaled % 1_000_000);
    if frac == 0 {
        return format!("{sign}{int}.0");
    }
    let digits = format!("{frac:06}");
    format!("{sign}{int}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn floats_read_like_lua() {
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(-0.25), "-0.25");
        assert_eq!(format_float(3.0), "3.0");
        assert_eq!(format_float(1e20), "1.0e20");
        assert_eq!(format_float(f64::INFINITY), "inf");
    }
}
