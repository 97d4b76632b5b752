//! The change-record format: what calls changed in the ext tables, appended to a
//! store's log after its snapshot (docs/design.md "Persistence").
//!
//! A log is records one after another, each framed on its own so that a reader finds
//! where a crash cut the last one:
//!
//! `length N` (u32 LE) | body (N bytes) | CRC-32 of the length and the body (u32 LE)
//!
//! body: format version (u8) | postcard(`Vec<Op>`)
//!
//! A record holds the new state of what changed (a table created or dropped, an entry's
//! new value or its deletion), not the operations that got there: replaying it is an
//! assignment, so a record applied twice, or over a snapshot that already holds it,
//! gives the same data. Decoding trusts nothing (lengths bounded, depth counted, keys
//! checked as snapshot entries are).

use serde::{Deserialize, Serialize};

use crate::snapshot::{check_entries, crc32, SnapshotError, MAX_DEPTH};
use crate::stored::{with_depth_limit, Key, Stored};

pub const RECORD_VERSION: u8 = 1;
const FRAME: usize = 8;

/// One change, in the order a record replays them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Drops the table (it was dropped by `ext.drop`).
    Drop(String),
    /// Makes the table exist (at the end of `lua.ext` when it did not).
    Create(String),
    /// `table[key] = value`, creating the table if needed.
    Set(String, Key, Stored),
    Delete(String, Key),
}

pub fn encode(ops: &[Op]) -> Vec<u8> {
    // Serialising owned enums and vectors into a Vec cannot fail.
    let body = postcard::to_allocvec(ops).expect("postcard encoding of owned data");
    let len = (body.len() + 1) as u32;
    let mut out = Vec::with_capacity(body.len() + 1 + FRAME);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(RECORD_VERSION);
    out.extend_from_slice(&body);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// How a log ends.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEnd {
    /// Every byte belonged to a whole, valid record.
    Clean,
    /// The last record is incomplete or fails its checksum and nothing follows it: an
    /// append cut by a crash. Its bytes are ignored.
    Torn { at: usize },
    /// A record before the end is damaged: it and everything after it are ignored (they
    /// may depend on it). Not a crash's doing: the log is kept aside.
    Damaged { record: usize, at: usize, error: SnapshotError },
}

/// The records of a log that can be applied, in order, and how the log ended.
pub struct Log {
    pub records: Vec<Vec<Op>>,
    pub end: LogEnd,
}

/// Reads a log. A record of a newer format is an error (never misread, never skipped:
/// the store must be opened by a newer build).
pub fn decode_log(bytes: &[u8]) -> Result<Log, SnapshotError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let frame = match frame_at(rest) {
            Some(f) => f,
            None => return Ok(Log { records, end: LogEnd::Torn { at } }),
        };
        let last = frame.len() == rest.len();
        match decode_record(frame) {
            Ok(ops) => records.push(ops),
            Err(e @ SnapshotError::NewerVersion(_)) => return Err(e),
            Err(_) if last => return Ok(Log { records, end: LogEnd::Torn { at } }),
            Err(error) => return Ok(Log { end: LogEnd::Damaged { record: records.len(), at, error }, records }),
        }
        at += frame.len();
    }
    Ok(Log { records, end: LogEnd::Clean })
}

/// The frame at the start of `bytes`, or `None` when `bytes` is shorter than the frame
/// its length announces.
fn frame_at(bytes: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    bytes.get(..len.checked_add(FRAME)?)
}

fn decode_record(frame: &[u8]) -> Result<Vec<Op>, SnapshotError> {
    let (data, trailer) = frame.split_at(frame.len() - 4);
    let expected = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let actual = crc32(data);
    if expected != actual {
        return Err(SnapshotError::ChecksumMismatch { expected, actual });
    }
    let body = &data[4..];
    match body.first() {
        None => return Err(SnapshotError::Malformed("empty record".into())),
        Some(&v) if v > RECORD_VERSION => return Err(SnapshotError::NewerVersion(v as u16)),
        Some(_) => {}
    }
    let (decoded, too_deep) = with_depth_limit(|| postcard::take_from_bytes::<Vec<Op>>(&body[1..]));
    if too_deep {
        return Err(SnapshotError::TooDeep(MAX_DEPTH));
    }
    let (ops, rest) = decoded.map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(SnapshotError::Malformed(format!("{} trailing bytes in a record", rest.len())));
    }
    for op in &ops {
        if let Op::Set(table, key, value) = op {
            check_entries(table, std::slice::from_ref(&(key.clone(), value.clone()))).map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Op> {
        vec![Op::Create("t".into()), Op::Set("t".into(), Key::Str("a".into()), Stored::Int(1)), Op::Delete("t".into(), Key::Int(2))]
    }

    #[test]
    fn round_trip() {
        let mut log = encode(&sample());
        log.extend(encode(&[Op::Drop("u".into())]));
        let read = decode_log(&log).unwrap();
        assert_eq!(read.end, LogEnd::Clean);
        assert_eq!(read.records, vec![sample(), vec![Op::Drop("u".into())]]);
    }

    #[test]
    fn torn_tail_is_ignored_at_every_cut() {
        let first = encode(&sample());
        let second = encode(&[Op::Drop("u".into())]);
        for cut in 1..second.len() {
            let mut log = first.clone();
            log.extend_from_slice(&second[..cut]);
            let read = decode_log(&log).unwrap();
            assert_eq!(read.records, vec![sample()], "cut at {cut}");
            assert_eq!(read.end, LogEnd::Torn { at: first.len() });
        }
    }

    #[test]
    fn damaged_middle_record_stops_the_log() {
        let mut log = encode(&sample());
        let second_at = log.len();
        log.extend(encode(&[Op::Drop("u".into())]));
        log.extend(encode(&sample()));
        log[second_at + 5] ^= 1;
        let read = decode_log(&log).unwrap();
        assert_eq!(read.records.len(), 1);
        assert!(matches!(read.end, LogEnd::Damaged { record: 1, at, .. } if at == second_at));
    }

    #[test]
    fn newer_records_are_refused() {
        let mut rec = encode(&sample());
        rec[4] = RECORD_VERSION + 1;
        let n = rec.len();
        let crc = crc32(&rec[..n - 4]);
        rec[n - 4..].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(decode_log(&rec), Err(SnapshotError::NewerVersion(_))));
    }

    #[test]
    fn bad_float_keys_are_refused() {
        let rec = encode(&[Op::Set("t".into(), Key::Float(2.0), Stored::Int(1))]);
        let mut log = rec.clone();
        log.extend(rec);
        assert!(matches!(decode_log(&log).unwrap().end, LogEnd::Damaged { record: 0, .. }));
    }
}
