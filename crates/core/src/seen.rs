//! "Have I noted this key of this Map already?" for the ext write path, where the undo
//! journal (journal.rs) and the change notes (changes.rs) ask it on every Lua write.
//!
//! Asking must cost no allocation: keys arrive borrowed from the Lua stack
//! ([`KeyRef`]), are hashed as they are, and are copied only when noted for the first
//! time (which costs a host call anyway). The last key asked about is checked first, so
//! a loop that updates one entry skips the hashing too.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::stored::Key;

/// A key as the ext write path holds it: a string borrowed from the Lua stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum KeyRef<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Key {
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        match self {
            Key::Str(s) => KeyRef::Str(s),
            Key::Int(i) => KeyRef::Int(*i),
            Key::Float(f) => KeyRef::Float(*f),
            Key::Bool(b) => KeyRef::Bool(*b),
        }
    }
}

impl KeyRef<'_> {
    pub(crate) fn to_key(self) -> Key {
        match self {
            KeyRef::Str(s) => Key::Str(s.to_string()),
            KeyRef::Int(i) => Key::Int(i),
            KeyRef::Float(f) => Key::Float(f),
            KeyRef::Bool(b) => Key::Bool(b),
        }
    }

    /// A 64-bit mix of `scope` (which Map) and the key, FxHash-style: fast on short
    /// keys, good enough for a table whose collisions are compared exactly.
    fn fingerprint(self, scope: u64) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, v: u64| (h.rotate_left(5) ^ v).wrapping_mul(K);
        let h = mix(0, scope);
        match self {
            KeyRef::Int(i) => mix(mix(h, 1), i as u64),
            KeyRef::Float(f) => mix(mix(h, 2), f.to_bits()),
            KeyRef::Bool(b) => mix(mix(h, 3), b as u64),
            KeyRef::Str(s) => {
                let mut h = mix(h, 4 ^ ((s.len() as u64) << 8));
                let mut chunks = s.as_bytes().chunks_exact(8);
                for c in &mut chunks {
                    h = mix(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
                }
                let mut tail = [0u8; 8];
                tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
                mix(h, u64::from_le_bytes(tail))
            }
        }
    }
}

/// Hashes a fingerprint (already mixed) as itself.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// (scope, key) pairs, each with a value `V` (the journal keeps where the entry is).
pub(crate) struct Seen<V> {
    /// A key asked about twice in a row, likely asked again (a copy is made only then).
    last: Option<(u64, Key, V)>,
    /// The fingerprint of the key last asked about.
    last_print: u64,
    by_print: HashMap<u64, Bucket<V>, BuildHasherDefault<Identity>>,
}

/// The pairs with one fingerprint: nearly always one, kept inline (no allocation).
enum Bucket<V> {
    One(u64, Key, V),
    Many(Vec<(u64, Key, V)>),
}

impl<V> Bucket<V> {
    fn find(&mut self, scope: u64, key: KeyRef) -> Option<&mut (u64, Key, V)> {
        match self {
            Bucket::One(..) => None,
            Bucket::Many(v) => v.iter_mut().find(|(s, k, _)| *s == scope && key == k.as_ref()),
        }
    }
}

impl<V> Default for Seen<V> {
    fn default() -> Self {
        Seen { last: None, last_print: 0, by_print: HashMap::default() }
    }
}

impl<V: Copy> Seen<V> {
    /// The value noted for (scope, key), if any.
    pub(crate) fn get(&mut self, scope: u64, key: KeyRef) -> Option<V> {
        if let Some((s, k, v)) = &self.last {
            if *s == scope && key == k.as_ref() {
                return Some(*v);
            }
        }
        let print = key.fingerprint(scope);
        let v = match self.by_print.get(&print)? {
            Bucket::One(s, k, v) => (*s == scope && key == k.as_ref()).then_some(*v)?,
            Bucket::Many(all) => all.iter().find(|(s, k, _)| *s == scope && key == k.as_ref())?.2,
        };
        if std::mem::replace(&mut self.last_print, print) == print {
            self.last = Some((scope, key.to_key(), v));
        }
        Some(v)
    }

    /// Notes (scope, key) with `value` (replacing what was noted).
    pub(crate) fn insert(&mut self, scope: u64, key: KeyRef, value: V) {
        if let Some((s, k, v)) = &mut self.last {
            if *s == scope && key == k.as_ref() {
                *v = value;
            }
        }
        let print = key.fingerprint(scope);
        let Some(bucket) = self.by_print.get_mut(&print) else {
            self.by_print.insert(print, Bucket::One(scope, key.to_key(), value));
            return;
        };
        if let Bucket::One(s, k, v) = bucket {
            if *s == scope && key == k.as_ref() {
                *v = value;
                return;
            }
            let first = (*s, std::mem::replace(k, Key::Bool(false)), *v);
            *bucket = Bucket::Many(vec![first]);
        }
        match bucket.find(scope, key) {
            Some(e) => e.2 = value,
            None => {
                if let Bucket::Many(all) = bucket {
                    all.push((scope, key.to_key(), value));
                }
            }
        }
    }

    /// Keeps only the notes whose value passes `keep`.
    pub(crate) fn retain(&mut self, keep: impl Fn(&V) -> bool) {
        self.by_print.retain(|_, bucket| match bucket {
            Bucket::One(_, _, v) => keep(v),
            Bucket::Many(all) => {
                all.retain(|(_, _, v)| keep(v));
                !all.is_empty()
            }
        });
        if matches!(&self.last, Some((_, _, v)) if !keep(v)) {
            self.last = None;
        }
    }

    /// Forgets everything. A small table keeps its memory for the next call; a big one
    /// gives it back (clearing costs its capacity, on every call after a big one).
    pub(crate) fn clear(&mut self) {
        self.last = None;
        if self.by_print.capacity() > 1024 {
            self.by_print = HashMap::default();
        } else if !self.by_print.is_empty() {
            self.by_print.clear();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.last.is_none() && self.by_print.is_empty()
    }
}

