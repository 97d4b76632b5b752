//! The snapshot format: every external table in one postcard blob.
//!
//! Layout: `MAGIC` (4 bytes) | format version (u16 LE) | postcard(tables) | CRC-32 of all
//! preceding bytes (u32 LE). Tables keep the order of `lua.ext`, entries the insertion
//! order of their Maps, so the same data gives the same bytes on every backend.
//!
//! Decoding never trusts the body, even with a valid checksum (a checksum guards against
//! damage, not against crafted input): tables nested deeper than `MAX_DEPTH` (200, the
//! limit snapshots are made with: an ext table is depth 0, a table in it depth 1, ...)
//! are refused with [`SnapshotError::TooDeep`] before they can exhaust the stack.

pub use crate::convert::MAX_DEPTH;
use crate::stored::{with_depth_limit, Key, Stored};

pub const MAGIC: &[u8; 4] = b"LUAP";
pub const FORMAT_VERSION: u16 = 1;
const HEADER: usize = 6;
const TRAILER: usize = 4;

/// Everything in a snapshot: (table name, entries).
pub type Tables = Vec<(String, Vec<(Key, Stored)>)>;

#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotError {
    TooShort(usize),
    BadMagic,
    /// Written by a newer lua-persistent: refuse rather than misread.
    NewerVersion(u16),
    ChecksumMismatch { expected: u32, actual: u32 },
    /// Tables nested deeper than the limit (the value): never produced by `encode` of
    /// data lua-persistent accepts, so the blob was crafted.
    TooDeep(usize),
    Malformed(String),
    /// Refused by [`encode_checked`]: data `decode` would refuse (see [`Invalid`]), so
    /// writing it would leave a store that cannot be opened again.
    Unreadable(Invalid),
}

/// Why a set of tables breaks what every snapshot must satisfy (see `check_tables`).
#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    TableTwice(String),
    /// Two entries of one table are the same Lua key: a JS Map keeps `5` and `5n`
    /// apart, Lua and the snapshot format see both as the integer 5.
    KeyTwice { table: String, key: Key },
    /// NaN, or an integral float that Lua would have made an integer.
    BadFloatKey { table: String, key: Key },
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::TableTwice(name) => write!(f, "table '{name}' appears twice"),
            Invalid::KeyTwice { table, key } => write!(f, "table '{table}' has the key {} twice", key.describe()),
            Invalid::BadFloatKey { table, key } => write!(f, "table '{table}' has an invalid float key ({})", key.describe()),
        }
    }
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::TooShort(n) => write!(f, "snapshot is truncated ({n} bytes)"),
            SnapshotError::BadMagic => write!(f, "not a lua-persistent snapshot (bad magic)"),
            SnapshotError::NewerVersion(v) => write!(
                f,
                "snapshot format version {v} is newer than this build supports ({FORMAT_VERSION})"
            ),
            SnapshotError::ChecksumMismatch { expected, actual } => write!(
                f,
                "snapshot is corrupted (checksum {actual:08x}, expected {expected:08x})"
            ),
            SnapshotError::TooDeep(n) => write!(f, "snapshot is malformed: tables nested deeper than {n} levels"),
            SnapshotError::Malformed(m) => write!(f, "snapshot is malformed: {m}"),
            SnapshotError::Unreadable(why @ Invalid::KeyTwice { key: Key::Int(_), .. }) => write!(
                f,
                "{why} (a JS Map can hold a number and a BigInt of the same value, which Lua and \
                 snapshots see as one key: delete one of them); nothing was written"
            ),
            SnapshotError::Unreadable(why) => write!(f, "{why}; nothing was written"),
        }
    }
}

impl std::error::Error for SnapshotError {}

pub fn encode(tables: &Tables) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    // Serialising plain enums and vectors into a Vec cannot fail.
    let body = postcard::to_allocvec(tables).expect("postcard encoding of owned data");
    out.extend_from_slice(&body);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// [`encode`] of tables read from `lua.ext`, refusing what [`decode`] would refuse: a
/// snapshot that is written can always be read back.
///
/// Of `check_tables`' rules, Maps can only break one: a JS Map keeps keys apart by
/// SameValueZero, so its table names, strings, booleans and numbers are unique, and
/// `Key::from_float` makes every float key valid; but a number and a BigInt of the
/// same value (`5`, `5n`) are two Map keys and one `Key::Int`. So only integer keys
/// are checked here (one sort of the integers per table, a single pass when they are
/// in order, as sequences are): the full check costs ~4x the encoding of a large
/// table. Debug builds run the full check too, so tests catch a gap in this argument.
pub fn encode_checked(tables: &Tables) -> Result<Vec<u8>, SnapshotError> {
    let mut ints = Vec::new();
    for (name, entries) in tables {
        unique_int_keys(entries, &mut ints)
            .map_err(|(inner, key)| SnapshotError::Unreadable(Invalid::KeyTwice { table: format!("{name}{inner}"), key: Key::Int(key) }))?;
    }
    debug_assert_eq!(check_tables(tables), Ok(()), "encode_checked let through what decode refuses");
    Ok(encode(tables))
}

/// The first integer key found twice in `entries` or a table inside, with the path
/// (`.key.key`) of its table below `entries`. `ints`: a buffer reused across tables.
fn unique_int_keys(entries: &[(Key, Stored)], ints: &mut Vec<i64>) -> Result<(), (String, i64)> {
    ints.clear();
    ints.extend(entries.iter().filter_map(|(k, _)| match k {
        Key::Int(i) => Some(*i),
        _ => None,
    }));
    crate::sort::sort_by(ints, |a, b| a < b);
    if let Some(w) = ints.windows(2).find(|w| w[0] == w[1]) {
        return Err((String::new(), w[0]));
    }
    for (key, value) in entries {
        if let Stored::Table(inner) = value {
            unique_int_keys(inner, ints).map_err(|(path, i)| (format!(".{}{path}", key.describe()), i))?;
        }
    }
    Ok(())
}

pub fn decode(bytes: &[u8]) -> Result<Tables, SnapshotError> {
    if bytes.len() < HEADER + TRAILER {
        return Err(SnapshotError::TooShort(bytes.len()));
    }
    if &bytes[..4] != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    let (data, trailer) = bytes.split_at(bytes.len() - TRAILER);
    let expected = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let actual = crc32(data);
    if version > FORMAT_VERSION {
        return Err(SnapshotError::NewerVersion(version));
    }
    if expected != actual {
        return Err(SnapshotError::ChecksumMismatch { expected, actual });
    }
    let (decoded, too_deep) = with_depth_limit(|| postcard::take_from_bytes::<Tables>(&data[HEADER..]));
    if too_deep {
        return Err(SnapshotError::TooDeep(MAX_DEPTH));
    }
    let (tables, rest) = decoded.map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(SnapshotError::Malformed(format!("{} trailing bytes", rest.len())));
    }
    check_tables(&tables).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    Ok(tables)
}

/// What `encode` of real ext tables always satisfies, and restore relies on to give
/// back exactly the data saved: unique table names, and per table unique keys with no
/// NaN or integral float keys (JS Maps would merge or lose those; found by fuzzing).
fn check_tables(tables: &Tables) -> Result<(), Invalid> {
    let mut names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
    crate::sort::sort_by(&mut names, |a, b| a < b);
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Invalid::TableTwice(w[0].to_string()));
    }
    tables.iter().try_for_each(|(name, entries)| check_entries(name, entries))
}

pub(crate) fn check_entries(path: &str, entries: &[(Key, Stored)]) -> Result<(), Invalid> {
    for (key, value) in entries {
        if let Key::Float(f) = key {
            if Key::from_float(*f) != Some(key.clone()) {
                return Err(Invalid::BadFloatKey { table: path.to_string(), key: key.clone() });
            }
        }
        if let Stored::Table(inner) = value {
            check_entries(&format!("{path}.{}", key.describe()), inner)?;
        }
    }
    let mut keys: Vec<&Key> = entries.iter().map(|(k, _)| k).collect();
    crate::sort::sort_by(&mut keys, |a, b| a.canonical_cmp(b).is_lt());
    match keys.windows(2).find(|w| w[0].canonical_cmp(w[1]).is_eq()) {
        Some(w) => Err(Invalid::KeyTwice { table: path.to_string(), key: w[0].clone() }),
        None => Ok(()),
    }
}

/// CRC-32 (IEEE), bitwise: snapshots are checked once per load, so a table-free
/// implementation keeps the wasm small at no visible cost.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Tables {
        vec![
            (
                "default".into(),
                vec![
                    (Key::Str("name".into()), Stored::Str("ada".into())),
                    (Key::Int(1), Stored::Float(2.0)),
                    (Key::Float(1.5), Stored::Bytes(vec![0xff, 0])),
                    (Key::Bool(true), Stored::Table(vec![(Key::Int(1), Stored::Int(i64::MIN))])),
                ],
            ),
            ("empty".into(), vec![]),
        ]
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample());
        assert_eq!(&bytes[..4], MAGIC);
        assert_eq!(decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "truncated at {n} accepted");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let bytes = encode(&sample());
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(decode(&b).is_err(), "flip at byte {i} bit {bit} accepted");
            }
        }
    }

    #[test]
    fn newer_version_is_named() {
        let mut bytes = encode(&sample());
        bytes[4] = 9;
        let n = bytes.len() - 4;
        let crc = crc32(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode(&bytes), Err(SnapshotError::NewerVersion(9)));
        assert!(decode(&bytes).unwrap_err().to_string().contains("newer"));
    }

    /// A checksummed blob holding one table "t" whose value chain is `levels` tables
    /// deep (`{[true] = {[true] = ... {}}}`), written by hand: `encode` would itself
    /// recurse that deep.
    pub(crate) fn nested_blob(levels: usize) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[1, 1, b't', 1]); // 1 table, name "t", 1 entry
        for level in 1..=levels {
            let entries = if level == levels { 0 } else { 1 };
            bytes.extend_from_slice(&[3, 1, 5, entries]); // Key::Bool(true) => Stored::Table
        }
        let crc = crc32(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    fn chain(levels: usize) -> Stored {
        (1..levels).fold(Stored::Table(vec![]), |inner, _| Stored::Table(vec![(Key::Bool(true), inner)]))
    }

    #[test]
    fn nesting_up_to_the_limit_round_trips() {
        let deepest = MAX_DEPTH - 1;
        let tables: Tables = vec![("t".into(), vec![(Key::Bool(true), chain(deepest))])];
        assert_eq!(encode(&tables), nested_blob(deepest));
        assert_eq!(decode(&nested_blob(deepest)).unwrap(), tables);
    }

    #[test]
    fn nesting_past_the_limit_is_a_typed_error() {
        assert_eq!(decode(&nested_blob(MAX_DEPTH)), Err(SnapshotError::TooDeep(MAX_DEPTH)));
        let message = decode(&nested_blob(MAX_DEPTH)).unwrap_err().to_string();
        assert!(message.contains("nested deeper than 200 levels"), "{message}");
    }

    #[test]
    fn a_million_levels_do_not_overflow_the_stack() {
        // Before the limit, this blob (4 MB, valid checksum) crashed the process.
        assert_eq!(decode(&nested_blob(1_000_000)), Err(SnapshotError::TooDeep(MAX_DEPTH)));
        // The refusal leaves no state behind: the next decode starts at depth 0.
        assert!(decode(&nested_blob(MAX_DEPTH - 1)).is_ok());
    }

    #[test]
    fn the_deepest_snapshot_decodes_on_a_small_stack() {
        // Threads of embedders (Node workers, wasm) may have small stacks; decoding the
        // deepest accepted snapshot must fit in 256 KiB even in debug builds.
        let blob = nested_blob(MAX_DEPTH - 1);
        let t = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || decode(&blob).is_ok());
        assert!(t.unwrap().join().unwrap());
    }

    fn checksummed(tables: &Tables) -> Result<Tables, SnapshotError> {
        decode(&encode(tables))
    }

    #[test]
    fn every_nan_is_written_the_same() {
        let nan = |bits: u64| encode(&vec![("t".into(), vec![(Key::Int(1), Stored::Float(f64::from_bits(bits)))])]);
        assert_eq!(nan(0xfff8_0000_0000_0000), nan(0x7ff8_0000_0000_0000));
        assert_eq!(nan(0x7fff_ffff_f600_0000), nan(f64::NAN.to_bits()));
    }

    #[test]
    fn keys_restore_could_not_keep_are_refused() {
        let one = |k: Key| vec![("t".to_string(), vec![(Key::Int(1), Stored::Table(vec![(k, Stored::Bool(true))]))])];
        for bad in [f64::NAN, 2.0, -0.0] {
            let err = checksummed(&one(Key::Float(bad))).unwrap_err();
            assert!(err.to_string().contains("invalid float key"), "{bad}: {err}");
        }
        assert!(checksummed(&one(Key::Float(2.5))).is_ok());
        let twice = vec![("t".to_string(), vec![(Key::Str("a".into()), Stored::Int(1)), (Key::Str("a".into()), Stored::Int(2))])];
        assert!(checksummed(&twice).unwrap_err().to_string().contains("key \"a\" twice"));
        let names = vec![("t".to_string(), vec![]), ("t".to_string(), vec![])];
        assert!(checksummed(&names).unwrap_err().to_string().contains("'t' appears twice"));
    }

    #[test]
    fn encode_checked_refuses_what_decode_would_refuse() {
        let twice = vec![("t".to_string(), vec![(Key::Int(5), Stored::Str("host".into())), (Key::Int(5), Stored::Str("lua".into()))])];
        let err = encode_checked(&twice).unwrap_err();
        assert_eq!(err, SnapshotError::Unreadable(Invalid::KeyTwice { table: "t".into(), key: Key::Int(5) }));
        let message = err.to_string();
        assert!(message.contains("table 't' has the key 5 twice") && message.contains("BigInt"), "{message}");
        let inner = Stored::Table(vec![(Key::Int(7), Stored::Int(1)), (Key::Bool(true), Stored::Int(2)), (Key::Int(7), Stored::Int(3))]);
        let nested = vec![("t".to_string(), vec![(Key::Int(1), Stored::Int(0)), (Key::Str("a".into()), Stored::Table(vec![(Key::Int(2), inner)]))])];
        let message = encode_checked(&nested).unwrap_err().to_string();
        assert!(message.contains("table 't.\"a\".2' has the key 7 twice"), "{message}");
        assert_eq!(encode_checked(&sample()).unwrap(), encode(&sample()));
    }

    #[test]
    fn garbage_with_valid_checksum_is_malformed_not_a_panic() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]);
        let crc = crc32(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        assert!(matches!(decode(&bytes), Err(SnapshotError::Malformed(_))));
    }
}
