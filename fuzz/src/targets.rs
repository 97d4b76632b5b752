//! One function per fuzz target: run one input, assert what must hold for any input.
//! A panic here is a finding (libFuzzer records it; the replay test fails on it).

use lua_persistent_core::snapshot::{self, SnapshotError, Tables, FORMAT_VERSION, MAGIC};
use lua_persistent_core::{CallOptions, Engine, ErrorKind, LuaError, Options, Stdlib, Want};

use crate::memhost::{Js, MapObj, MemHost};

/// Tight limits: every input ends quickly, and the limit paths get exercised.
pub const MEMORY_LIMIT: u64 = 4 << 20;
pub const INSTRUCTION_LIMIT: u64 = 200_000;
/// A safety net only (instruction counts end runaway code first): 2 s, below the
/// 10 s libFuzzer `-timeout` scripts/fuzz.sh uses.
pub const TIMEOUT_MS: f64 = 2_000.0;

/// Raw bytes: refused with an error or decoded; what decodes re-encodes stably.
pub fn snapshot_decode(data: &[u8]) {
    if let Ok(tables) = snapshot::decode(data) {
        check_reencode(&tables);
    }
}

/// Structure-aware: the input is the postcard body, wrapped in a valid header and
/// checksum so every input reaches the decoder proper. What decodes must restore into
/// a VM, be readable from Lua and snapshot again to exactly the same data.
pub fn snapshot_body(data: &[u8]) {
    let blob = wrap_body(data);
    match snapshot::decode(&blob) {
        Ok(tables) => {
            check_reencode(&tables);
            check_restores(&blob, &snapshot::encode(&tables));
        }
        Err(SnapshotError::Malformed(_) | SnapshotError::TooDeep(_)) => {}
        Err(other) => panic!("a checksummed body was refused for the wrong reason: {other}"),
    }
}

/// Arbitrary bytes as a Lua chunk under tight limits: whatever happens is a result or a
/// `LuaError`, and the VM answers afterwards (also after a snapshot, gc and reset).
pub fn eval(data: &[u8]) {
    let (engine, mut host) = tight_engine();
    let out = engine.exec(&mut host, data, &CallOptions::default(), Want::All);
    if let Err(e) = &out.result {
        assert!(!e.message.is_empty(), "an error without a message: {e:?}");
    }
    let memory = engine.memory().expect("memory() of a live VM");
    assert!(memory.used as u64 <= MEMORY_LIMIT, "the heap ({}) is past the limit", memory.used);
    assert_answers(&engine, &mut host, true);
    // Whatever the chunk wrote to ext tables, Lua checked: it must snapshot and restore.
    let blob = engine.snapshot(&mut host).expect("snapshot of data Lua wrote");
    snapshot::decode(&blob).expect("a snapshot we made decodes");
    engine.restore(&mut host, &blob).expect("a snapshot we made restores");
    engine.gc().expect("gc");
    assert_answers(&engine, &mut host, true);
    engine.reset().expect("reset");
    assert_answers(&engine, &mut host, false);
}

/// What `close_all` takes out of stdlib 'all' before running an input: what reaches the
/// machine (files, processes, C libraries) and binary chunks (Lua does not verify
/// bytecode; trusted code only). Everything else of 'all' stays: debug, finalizers,
/// coroutines, os.exit, string.dump.
const CLOSE_ALL_PRELUDE: &str = "
os.execute, os.remove, os.rename, os.tmpname, os.getenv = nil, nil, nil, nil, nil
io.open, io.popen, io.lines, io.input, io.output, io.tmpfile = nil, nil, nil, nil, nil, nil
package.loadlib, package.searchers, package.cpath = nil, {}, ''
local load = load
_G.load = function(chunk, name, mode, env) return load(chunk, name, 't', env) end
collectgarbage('generational')";

/// Arbitrary bytes as a chunk with stdlib 'all', then `close()`: the finalizers still
/// pending run while the state is freed, and may call anything a script can reach
/// (print, ext tables, os.exit, errors, loops). Whatever the input did, nothing may
/// panic (a trap on wasm), and a fresh VM answers afterwards.
pub fn close_all(data: &[u8]) {
    let panics = panics_so_far();
    let options = Options { stdlib: Stdlib::All, ..tight_options() };
    let engine = Engine::<MemHost>::new(options).expect("a VM with stdlib 'all'");
    let mut host = MemHost::new();
    if let Err(e) = engine.exec(&mut host, CLOSE_ALL_PRELUDE.as_bytes(), &CallOptions::default(), Want::All).result {
        panic!("the prelude failed: {}", e.message);
    }
    let _ = engine.exec(&mut host, data, &CallOptions::default(), Want::All);
    engine.close();
    assert!(engine.is_closed(), "close() left the VM open");
    // mlua turns a panic inside a callback into a Lua error natively, which a finalizer
    // at close swallows; on wasm every panic is a trap, so any one is a finding.
    assert_eq!(panics_so_far(), panics, "a panic in the core (a trap on wasm); see the message above");
    let (fresh, mut fresh_host) = tight_engine();
    assert_answers(&fresh, &mut fresh_host, false);
}

/// Panics seen on this process so far, counted by a hook installed on first use (which
/// then calls the default hook, so the message is still printed).
fn panics_so_far() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info)
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

/// Structured input -> ext writes from Lua (and direct JS writes) -> snapshot ->
/// restore in a fresh VM -> the same snapshot bytes.
pub fn ext_roundtrip(data: &[u8]) {
    let (engine, mut host) = tight_engine();
    let mut input = Input(data);
    let mut js_wrote = false;
    while let Some(op) = input.byte() {
        js_wrote |= apply(&engine, &mut host, op, &mut input);
    }
    let blob = match engine.snapshot(&mut host) {
        Ok(blob) => blob,
        // JS may put anything in a Map (a symbol, an object): refusing that is right.
        Err(e) if js_wrote && e.kind == ErrorKind::Ext => return,
        Err(e) => panic!("Lua accepted every write but the snapshot failed: {}", e.message),
    };
    let (fresh, mut fresh_host) = tight_engine();
    fresh.restore(&mut fresh_host, &blob).expect("restore of a snapshot we made");
    let again = fresh.snapshot(&mut fresh_host).expect("snapshot after restore");
    assert_eq!(again, blob, "snapshot -> restore -> snapshot changed the bytes");
}

/// A change log (crates/core/src/record.rs) opened over an empty store: a typed error
/// or data, never a panic; the data snapshots and restores to the same bytes. An even
/// first byte frames the rest as one record with a right checksum (so inputs reach the
/// record decoder proper), an odd one passes the rest as raw log bytes.
pub fn log_decode(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let log = if mode % 2 == 0 { frame_record(rest) } else { rest.to_vec() };
    let (engine, mut host) = tight_engine();
    match engine.open_log(&mut host, None, &log) {
        Ok(_) => {
            let blob = engine.snapshot(&mut host).expect("a snapshot of what a log built");
            let (fresh, mut fresh_host) = tight_engine();
            fresh.restore(&mut fresh_host, &blob).expect("restore of a snapshot we made");
            assert_eq!(fresh.snapshot(&mut fresh_host).expect("snapshot after restore"), blob);
        }
        Err(e) => assert_eq!(e.kind, ErrorKind::Ext, "a log refused with the wrong kind: {}", e.message),
    }
}

/// `length | version | body | CRC-32`: one record whose checksum is always right.
pub fn frame_record(body: &[u8]) -> Vec<u8> {
    let mut rec = ((body.len() + 1) as u32).to_le_bytes().to_vec();
    rec.push(lua_persistent_core::record::RECORD_VERSION);
    rec.extend_from_slice(body);
    let crc = snapshot::crc32(&rec);
    rec.extend_from_slice(&crc.to_le_bytes());
    rec
}

// ---------------------------------------------------------------- shared checks

/// `MAGIC | version | body | CRC-32`: a blob whose checksum is always right.
pub fn wrap_body(body: &[u8]) -> Vec<u8> {
    let mut blob = MAGIC.to_vec();
    blob.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    blob.extend_from_slice(body);
    let crc = snapshot::crc32(&blob);
    blob.extend_from_slice(&crc.to_le_bytes());
    blob
}

fn check_reencode(tables: &Tables) {
    let once = snapshot::encode(tables);
    let again = snapshot::decode(&once).expect("an encoded snapshot decodes");
    assert_eq!(snapshot::encode(&again), once, "re-encoding a decoded snapshot is not stable");
}

/// Walks every ext table from Lua (nested ones through their proxies).
const WALK: &str = "
local n = 0
local function walk(t, depth)
  for k, v in pairs(t) do
    n = n + 1
    if type(v) == 'userdata' then walk(v, depth + 1) end
  end
  return #t
end
for _, name in ipairs(ext.tables()) do walk(ext.table(name), 0) end
return n";

fn check_restores(blob: &[u8], canonical: &[u8]) {
    let (engine, mut host) = tight_engine();
    engine.restore(&mut host, blob).expect("restore of a snapshot that decodes");
    let walked = engine.exec(&mut host, WALK.as_bytes(), &CallOptions::default(), Want::First).result;
    if let Err(e) = walked {
        // A big snapshot may take more instructions than the limit; nothing else may fail.
        assert_eq!(e.kind, ErrorKind::Instructions, "Lua could not read a restored snapshot: {}", e.message);
    }
    let again = engine.snapshot(&mut host).expect("a restored snapshot saves again");
    assert_eq!(again, canonical, "restore did not keep the data it accepted");
}

fn tight_options() -> Options {
    Options {
        stdlib: Stdlib::Safe,
        memory_limit: MEMORY_LIMIT,
        timeout_ms: TIMEOUT_MS,
        instruction_limit: INSTRUCTION_LIMIT,
        storage_limit: lua_persistent_core::DEFAULT_STORAGE_LIMIT,
        interruptible: false,
    }
}

fn tight_engine() -> (Engine<MemHost>, MemHost) {
    (Engine::new(tight_options()).expect("a VM with tight limits"), MemHost::new())
}

/// `return 1+1` gives 2. A chunk may fill the heap with globals: then (`full_ok`) a
/// memory error is fair, and a reset must bring the VM back.
fn assert_answers(engine: &Engine<MemHost>, host: &mut MemHost, full_ok: bool) {
    match engine.exec(host, b"return 1+1", &CallOptions::default(), Want::First).result {
        Ok(v) => assert!(matches!(v[..], [Js::Num(n)] if n == 2.0), "return 1+1 gave {v:?}"),
        Err(e) if full_ok && e.kind == ErrorKind::Memory => {}
        Err(e) => panic!("the VM no longer answers: {e:?}"),
    }
}

// ---------------------------------------------------------------- ext_roundtrip input

/// The fuzzer's bytes, read front to back; running out reads as zeros.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u8(&mut self) -> u8 {
        self.byte().unwrap_or(0)
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |acc, _| (acc << 8) | self.u8() as u64)
    }
    fn text(&mut self) -> Vec<u8> {
        let n = (self.u8() % 12) as usize;
        (0..n).map(|_| self.u8()).collect()
    }
}

const NAMES: [&str; 3] = ["default", "b", "ü"];
const DO: [&str; 6] = [
    "ext.table(name)[k] = v",
    "local t = ext.table(name)[k]; if type(t) == 'userdata' then t[k2] = v end",
    "ext.table(name)[k] = nil",
    "ext.drop(name)",
    "ext.table(name)[k] = ext.table(other)",
    "local t = ext.table(name); table.insert(t, v); t[#t] = v",
];

/// One operation; whether it was a direct JS write (which may store what Lua refuses).
fn apply(engine: &Engine<MemHost>, host: &mut MemHost, op: u8, input: &mut Input) -> bool {
    let name = NAMES[(op as usize / 8) % NAMES.len()];
    let other = NAMES[(op as usize / 24) % NAMES.len()];
    if op % 8 == 7 {
        let (k, v) = (key(input), value(input, 0));
        let table = host.root.get_str(name);
        match table {
            Js::Map(m) => m.set(k, v),
            _ => host.root.set(Js::Str(name.into()), Js::Map(std::rc::Rc::new(MapObj::default()))),
        }
        return true;
    }
    let globals = [("name", Js::Str(name.into())), ("other", Js::Str(other.into())), ("k", key(input)), ("k2", key(input)), ("v", value(input, 0))];
    for (g, v) in &globals {
        if let Err(e) = engine.set_global(host, g, v) {
            // Symbols, NaN or nil Map keys, too deep: refused with a plain error.
            assert_eq!(e.kind, ErrorKind::Runtime, "setGlobal refused {v:?} oddly: {}", e.message);
            return false;
        }
    }
    let code = DO[(op % 8) as usize % DO.len()];
    if let Err(e) = engine.exec(host, code.as_bytes(), &CallOptions::default(), Want::All).result {
        expect_refusal(&e, code);
    }
    false
}

/// Lua refuses bad writes with an ext (or plain runtime, e.g. a nil key) error.
fn expect_refusal(e: &LuaError, code: &str) {
    let fair = matches!(e.kind, ErrorKind::Ext | ErrorKind::Runtime | ErrorKind::Instructions | ErrorKind::Memory);
    assert!(fair, "`{code}` failed with kind {:?}: {}", e.kind, e.message);
}

fn key(input: &mut Input) -> Js {
    match input.u8() % 6 {
        0 => Js::Str(String::from_utf8_lossy(&input.text()).into()),
        1 => Js::Num((input.u8() as i8) as f64),
        2 => Js::Num(f64::from_bits(input.u64())),
        3 => Js::Bool(input.u8() & 1 == 1),
        4 => Js::Big(input.u64() as i64 as i128),
        _ => Js::Num(-0.0),
    }
}

/// A JS value with no plain Lua form: one Lua refuses (a symbol, a Date), or one
/// converted its own way (a Set, a typed array, an ArrayBuffer, an Error).
fn exotic(input: &mut Input, depth: usize) -> Js {
    use lua_persistent_core::{TypedArray, Unsupported};
    use std::cell::RefCell;
    use std::rc::Rc;
    match input.u8() % 6 {
        0 => Js::Sym,
        1 => Js::Exotic(Unsupported::Date),
        2 => {
            let n = if depth > 6 { 0 } else { input.u8() % 4 };
            Js::Set(Rc::new(RefCell::new((0..n).map(|_| value(input, depth + 1)).collect())))
        }
        3 => {
            let t = TypedArray::ALL[input.u8() as usize % TypedArray::ALL.len()];
            let n = (input.u8() % 4) as usize;
            Js::Typed(t, Rc::new((0..n * t.size()).map(|_| input.u8()).collect()))
        }
        4 => Js::Buffer(Rc::new(input.text())),
        _ => {
            let text = String::from_utf8_lossy(&input.text()).into_owned();
            Js::Error(Rc::new(RefCell::new(Vec::new())), "Error".into(), text.into())
        }
    }
}

/// A JS value; tag 11 nests Maps up to 255 deep, around the 200-level limit.
fn value(input: &mut Input, depth: usize) -> Js {
    use std::cell::RefCell;
    use std::rc::Rc;
    let items = |input: &mut Input| if depth > 6 { 0 } else { input.u8() % 4 };
    match input.u8() % 12 {
        0 => Js::Undef,
        1 => Js::Bool(input.u8() & 1 == 1),
        2 => Js::Num((input.u8() as i8) as f64),
        3 => Js::Num(f64::from_bits(input.u64())),
        4 => Js::Big(input.u64() as i64 as i128),
        5 => Js::Str(String::from_utf8_lossy(&input.text()).into()),
        6 => Js::Bytes(Rc::new(input.text())),
        7 => {
            let n = items(input);
            Js::Arr(Rc::new(RefCell::new((0..n).map(|_| value(input, depth + 1)).collect())))
        }
        8 => {
            let n = items(input);
            let entries = (0..n).map(|_| (String::from_utf8_lossy(&input.text()).into_owned(), value(input, depth + 1)));
            Js::Obj(Rc::new(RefCell::new(entries.collect())))
        }
        9 => {
            let map = MapObj::default();
            for _ in 0..items(input) {
                map.set(key(input), value(input, depth + 1));
            }
            Js::Map(Rc::new(map))
        }
        10 => exotic(input, depth),
        _ => {
            let levels = input.u8();
            let leaf = value(input, 7);
            (0..levels).fold(leaf, |inner, _| {
                let map = MapObj::default();
                map.set(Js::Bool(true), inner);
                Js::Map(Rc::new(map))
            })
        }
    }
}
