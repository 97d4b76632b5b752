//! The data model of external tables: what can be stored, independent of JS or Lua.
//! Snapshots serialise exactly these types.

use serde::{Deserialize, Serialize};

/// A key of an external table. JS Maps compare keys by value for these types only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Key {
    Str(String),
    Int(i64),
    /// Never NaN and never integral (those are normalised to `Int`, as Lua does).
    Float(f64),
    Bool(bool),
}

/// A value of an external table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Stored {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A UTF-8 Lua string (a JS string).
    Str(String),
    /// A Lua string that is not UTF-8 (a JS Uint8Array).
    Bytes(Vec<u8>),
    /// A nested table (a JS Map), entries in insertion order.
    Table(Vec<(Key, Stored)>),
}

impl Key {
    /// Lua's key normalisation: a float with an exact integer value is that integer.
    pub fn from_float(f: f64) -> Option<Key> {
        if f.is_nan() {
            None
        } else if f.fract() == 0.0 && f >= -9.223_372_036_854_775_808e18 && f < 9.223_372_036_854_775_808e18 {
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
