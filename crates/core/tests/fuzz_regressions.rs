//! Replays the fuzz seeds (`fuzz/seeds/<target>/`) and every finding
//! (`fuzz/regressions/<target>/`) through the fuzz targets' own code
//! (`fuzz/src/targets.rs`), on stable, as part of `cargo test -p lua-persistent-core`.
//! See docs/fuzzing.md.

mod memhost;
#[path = "../../../fuzz/src/targets.rs"]
mod targets;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use lua_persistent_core::snapshot::{self, SnapshotError, MAX_DEPTH};
use lua_persistent_core::{CallOptions, Engine, Options, Want};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("snapshot_decode", targets::snapshot_decode),
    ("snapshot_body", targets::snapshot_body),
    ("eval", targets::eval),
    ("ext_roundtrip", targets::ext_roundtrip),
    ("close_all", targets::close_all),
    ("log_decode", targets::log_decode),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files in `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs every input of `folder/<target>/` through its target; returns how many ran.
/// Failures are collected so one run names every failing file.
fn replay(folder: &str) -> usize {
    let mut ran = 0;
    let mut failed = Vec::new();
    for (name, target) in TARGETS {
        for file in inputs(&fuzz_dir().join(folder).join(name)) {
            let data = std::fs::read(&file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failed.push(format!("{name}: {}", file.display()));
            }
            ran += 1;
        }
    }
    assert!(failed.is_empty(), "inputs that fail their target:\n{}", failed.join("\n"));
    ran
}

#[test]
fn seeds_pass_every_target() {
    assert!(replay("seeds") >= 20, "the seed corpus is missing");
}

#[test]
fn fixed_findings_stay_fixed() {
    replay("regressions");
}


/// The known issue behind the depth limit: a crafted blob with a valid checksum
/// nested a million levels deep used to overflow the stack in the decoder.
#[test]
fn deep_crafted_snapshot_is_a_typed_error() {
    let mut body = vec![1, 1, b't', 1];
    for _ in 0..1_000_000 {
        body.extend_from_slice(&[3, 1, 5, 1]); // [true] = {...}
    }
    body.extend_from_slice(&[3, 1, 5, 0]);
    let blob = targets::wrap_body(&body);
    assert_eq!(snapshot::decode(&blob), Err(SnapshotError::TooDeep(MAX_DEPTH)));
    targets::snapshot_body(&body);
    // Through the engine: a LuaError of kind 'ext' naming the problem, nothing replaced.
    let (engine, mut host) = (Engine::new(Options::default()).unwrap(), memhost::MemHost::new());
    engine.exec(&mut host, b"ext.table('keep').x = 1", &CallOptions::default(), Want::All).result.unwrap();
    let err = engine.restore(&mut host, &blob).unwrap_err();
    assert!(err.message.contains("nested deeper than 200 levels"), "{}", err.message);
    assert_eq!(host.table("keep").len(), 1);
}

/// Lua code that stores a chain of `levels` tables under `ext.table('t').x`.
fn store_chain(levels: usize) -> String {
    format!("local v = {{}} for i = 2, {levels} do v = {{v}} end ext.table('t').x = v")
}

/// The decoder takes everything a snapshot can hold: the deepest chain Lua can store
/// and `snapshot()` can save (199 tables in an ext table) survives a round trip.
#[test]
fn the_deepest_storable_table_round_trips() {
    let (engine, mut host) = (Engine::new(Options::default()).unwrap(), memhost::MemHost::new());
    let code = store_chain(MAX_DEPTH - 1);
    engine.exec(&mut host, code.as_bytes(), &CallOptions::default(), Want::All).result.unwrap();
    let blob = engine.snapshot(&mut host).unwrap();
    engine.restore(&mut host, &blob).unwrap();
    assert_eq!(engine.snapshot(&mut host).unwrap(), blob);
}

/// Runs `code`; when Lua accepted the write, the data must also snapshot.
fn stored_data_snapshots(code: &str) {
    let (engine, mut host) = (Engine::new(Options::default()).unwrap(), memhost::MemHost::new());
    if engine.exec(&mut host, code.as_bytes(), &CallOptions::default(), Want::All).result.is_ok() {
        if let Err(e) = engine.snapshot(&mut host) {
            panic!("Lua stored data that snapshot() refuses: {}", e.message.chars().take(120).collect::<String>());
        }
    }
}

/// Writes and snapshots agree on the limit: a write refuses a chain that `snapshot()`
/// (export_map) could not save.
#[test]
fn writes_accept_no_more_than_snapshots_save() {
    stored_data_snapshots(&store_chain(MAX_DEPTH));
}

/// The same through a nested proxy: proxies know their depth, so 150 levels of proxies
/// plus a 100-table value are refused.
#[test]
fn writes_through_nested_proxies_count_their_depth() {
    let descend = "ext.table('t').a = {} local p = ext.table('t').a for i = 1, 149 do p[1] = {} p = p[1] end ";
    stored_data_snapshots(&format!("{descend}{}", store_chain(100).replace("ext.table('t').x", "p.x")));
}
