//! Core semantics with an in-memory host: values, ext tables, snapshots, limits,
//! sandbox, errors, lifecycle. The Jest suites test the same through real JS on both
//! backends; these pin the core on its own.

mod memhost;

use std::rc::Rc;

use lua_persistent_core::{CallOptions, Engine, ErrorCode, ErrorKind, LuaError, Options, Stdlib, Want};
use lua_persistent_core::{DEFAULT_MEMORY_LIMIT, DEFAULT_STORAGE_LIMIT, DEFAULT_TIMEOUT_MS};
use memhost::{map, Js, MemHost};

fn engine(options: Options) -> (Engine<MemHost>, MemHost) {
    (Engine::new(options).expect("engine"), MemHost::new())
}

fn default() -> (Engine<MemHost>, MemHost) {
    engine(Options::default())
}

fn all(e: &Engine<MemHost>, h: &mut MemHost, code: &str) -> Result<Vec<Js>, LuaError> {
    e.exec(h, code.as_bytes(), &CallOptions::default(), Want::All).result
}

fn err(e: &Engine<MemHost>, h: &mut MemHost, code: &str) -> LuaError {
    all(e, h, code).expect_err("expected an error")
}

fn num(v: &Js) -> f64 {
    match v {
        Js::Num(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

fn text(v: &Js) -> String {
    match v {
        Js::Str(s) => s.to_string(),
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn values_cross_as_the_design_says() {
    let (e, mut h) = default();
    let v = all(&e, &mut h, "return 1, 2.5, 2^53, math.maxinteger, 'hé', '\\xff', true, nil").unwrap();
    assert_eq!(num(&v[0]), 1.0);
    assert_eq!(num(&v[1]), 2.5);
    assert_eq!(num(&v[2]), 9007199254740992.0);
    assert!(matches!(v[3], Js::Big(n) if n == i64::MAX as i128));
    assert_eq!(text(&v[4]), "hé");
    assert!(matches!(&v[5], Js::Bytes(b) if **b == [0xff]));
    assert!(matches!(v[6], Js::Bool(true)));
    assert!(matches!(v[7], Js::Undef));

    let v = all(&e, &mut h, "return {1, 2, 3}, {a = 1}, {}, {[true] = 1}, {1, 2, x = 3}").unwrap();
    assert!(matches!(&v[0], Js::Arr(a) if a.borrow().len() == 3));
    assert!(matches!(&v[1], Js::Obj(o) if o.borrow()[0].0 == "a"));
    assert!(matches!(&v[2], Js::Obj(o) if o.borrow().is_empty()));
    assert!(matches!(&v[3], Js::Map(_)));
    assert!(matches!(&v[4], Js::Map(m) if m.len() == 3));
}

/// A global set from JS, as a Lua script describes it.
fn global_as(e: &Engine<MemHost>, h: &mut MemHost, v: Js, describe: &str) -> Result<Vec<Js>, LuaError> {
    e.set_global(h, "g", &v)?;
    all(e, h, describe)
}

fn js_list(items: Vec<Js>) -> Rc<std::cell::RefCell<Vec<Js>>> {
    Rc::new(std::cell::RefCell::new(items))
}

#[test]
fn sets_typed_arrays_buffers_and_errors_become_tables_and_strings() {
    let (e, mut h) = default();
    let set = Js::Set(js_list(vec![Js::Str("a".into()), Js::Num(2.0), Js::Big(3), Js::Bool(true), Js::Bytes(Rc::new(vec![0xff]))]));
    let v = global_as(&e, &mut h, set, "local n = 0 for _ in pairs(g) do n = n + 1 end return n, g.a, g[2], g[3], g[true], g['\\xff'], math.type(next({[2] = 1}))").unwrap();
    assert_eq!(v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>(), ["5", "true", "true", "true", "true", "true", "\"integer\""]);

    let bytes: Vec<u8> = [-2i16, 300].iter().flat_map(|x| x.to_ne_bytes()).collect();
    let v = global_as(&e, &mut h, Js::Typed(lua_persistent_core::TypedArray::Int16, Rc::new(bytes)), "return #g, g[1], g[2], math.type(g[1])").unwrap();
    assert_eq!(format!("{v:?}"), "[2, -2, 300, \"integer\"]");
    let bytes: Vec<u8> = [2.0f64, 0.5].iter().flat_map(|x| x.to_ne_bytes()).collect();
    let v = global_as(&e, &mut h, Js::Typed(lua_persistent_core::TypedArray::Float64, Rc::new(bytes)), "return math.type(g[1]), g[2]").unwrap();
    assert_eq!(format!("{v:?}"), "[\"integer\", 0.5]");
    let bytes: Vec<u8> = [-1i64].iter().flat_map(|x| x.to_ne_bytes()).collect();
    let v = global_as(&e, &mut h, Js::Typed(lua_persistent_core::TypedArray::BigInt64, Rc::new(bytes)), "return g[1] == -1, math.type(g[1])").unwrap();
    assert_eq!(format!("{v:?}"), "[true, \"integer\"]");
    let too_big: Vec<u8> = u64::MAX.to_ne_bytes().to_vec();
    let er = e.set_global(&mut h, "g", &Js::Typed(lua_persistent_core::TypedArray::BigUint64, Rc::new(too_big))).expect_err("out of range");
    assert_eq!(er.kind, ErrorKind::Runtime);
    assert!(er.message.contains("BigUint64Array element out of range"), "{}", er.message);

    let v = global_as(&e, &mut h, Js::Buffer(Rc::new(vec![104, 0, 255])), "return g == 'h\\0\\xff'").unwrap();
    assert!(matches!(v[0], Js::Bool(true)));

    let error = Js::Error(js_list_pairs(vec![("code".into(), Js::Str("ENOENT".into()))]), "TypeError".into(), "no such file".into());
    let v = global_as(&e, &mut h, error, "return g.name, g.message, g.code, g.stack").unwrap();
    assert_eq!(format!("{v:?}"), "[\"TypeError\", \"no such file\", \"ENOENT\", undefined]");
}

fn js_list_pairs(items: Vec<(String, Js)>) -> Rc<std::cell::RefCell<Vec<(String, Js)>>> {
    Rc::new(std::cell::RefCell::new(items))
}

#[test]
fn js_values_without_a_lua_form_are_refused_by_name() {
    use lua_persistent_core::Unsupported;
    let (e, mut h) = default();
    let refused = [
        (Js::Exotic(Unsupported::Date), "cannot pass a JS Date to Lua: pass date.getTime() (milliseconds since 1970) or date.toISOString() instead"),
        (Js::Exotic(Unsupported::DataView), "cannot pass a JS DataView to Lua: pass new Uint8Array(view.buffer, view.byteOffset, view.byteLength)"),
        (Js::Exotic(Unsupported::RegExp), "cannot pass a JS RegExp to Lua: pass regexp.source"),
        (Js::Exotic(Unsupported::Boxed), "cannot pass a JS boxed primitive to Lua: pass its primitive value"),
        (Js::Set(js_list(vec![Js::Obj(js_list_pairs(vec![]))])), "a JS Set holds an object, which cannot be a Lua key"),
        (Js::Set(js_list(vec![Js::Undef])), "a JS Set holds undefined, which cannot be a Lua key"),
        (Js::Set(js_list(vec![Js::Num(f64::NAN)])), "a JS Set holds NaN"),
        (Js::Set(js_list(vec![Js::Exotic(Unsupported::Date)])), "a JS Set holds a Date"),
    ];
    for (v, message) in refused {
        // Nested too: the first refusal ends the whole conversion.
        let nested = Js::Arr(js_list(vec![Js::Num(1.0), v.clone()]));
        for v in [v, nested] {
            let er = e.set_global(&mut h, "g", &v).expect_err("refused");
            assert_eq!(er.kind, ErrorKind::Runtime, "{v:?}");
            assert!(er.message.contains(message), "{v:?}: {}", er.message);
        }
        assert_eq!(num(&all(&e, &mut h, "return 1 + 1").unwrap()[0]), 2.0);
    }
    // JS put them into ext tables directly: reading or snapshotting them is an ext error.
    for (v, name) in [(Js::Exotic(Unsupported::Date), "Date"), (Js::Set(js_list(vec![])), "Set"), (Js::Buffer(Rc::new(vec![1])), "ArrayBuffer")] {
        let t = Rc::new(memhost::MapObj::default());
        t.set(Js::Str("when".into()), v);
        h.root.set(Js::Str("host".into()), Js::Map(t));
        let er = err(&e, &mut h, "return ext.table('host').when");
        assert_eq!(er.kind, ErrorKind::Ext);
        assert!(er.message.contains(&format!("table 'host' holds an unsupported JS {name} at key \"when\"")), "{}", er.message);
        let er = e.snapshot(&mut h).expect_err("unsupported");
        assert_eq!(er.kind, ErrorKind::Ext);
        assert!(er.message.contains(&format!("unsupported JS {name}")), "{}", er.message);
        h.root.delete(&Js::Str("host".into()));
    }
}

#[test]
fn shared_tables_keep_identity_and_cycles_become_cycles() {
    let (e, mut h) = default();
    let v = all(&e, &mut h, "local s = {1} local t = {s, s} local c = {} c.self = c return t, c").unwrap();
    let Js::Arr(t) = &v[0] else { panic!() };
    let t = t.borrow();
    assert!(memhost::same(&t[0], &t[1]));
    let Js::Obj(c) = &v[1] else { panic!() };
    assert!(memhost::same(&c.borrow()[0].1, &v[1]));
}

#[test]
fn globals_persist_between_calls() {
    let (e, mut h) = default();
    all(&e, &mut h, "counter = 41").unwrap();
    assert_eq!(num(&all(&e, &mut h, "counter = counter + 1 return counter").unwrap()[0]), 42.0);
}

#[test]
fn ext_writes_land_in_host_maps_with_float_tags() {
    let (e, mut h) = default();
    all(&e, &mut h, "local t = ext.table('s') t.i = 2 t.f = 2.0 t.user = { score = 1, tags = { 'a' } } t.user.score = 5").unwrap();
    let s = h.table("s");
    assert_eq!(num(&s.get_str("i")), 2.0);
    assert_eq!(num(&s.get_str("f")), 2.0);
    let user = map(&s.get_str("user"));
    assert_eq!(num(&user.get_str("score")), 5.0);
    assert_eq!(text(&map(&user.get_str("tags")).get(&Js::Num(1.0))), "a");
    let v = all(&e, &mut h, "local t = ext.table('s') return math.type(t.i), math.type(t.f)").unwrap();
    assert_eq!((text(&v[0]), text(&v[1])), ("integer".into(), "float".into()));
    // A JS write replaces the value and makes the tag stale: an integer again.
    s.set(Js::Str("f".into()), Js::Num(3.0));
    assert_eq!(text(&all(&e, &mut h, "return math.type(ext.table('s').f)").unwrap()[0]), "integer");
}

#[test]
fn ext_proxies_support_the_table_library() {
    let (e, mut h) = default();
    let v = all(&e, &mut h, r#"
        local t = ext.table('list')
        for i = 1, 5 do table.insert(t, i * 10) end
        table.remove(t, 1)
        table.sort(t, function(a, b) return a > b end)
        local n = 0
        for k, v in pairs(t) do n = n + 1 end
        local s = 0
        for i, v in ipairs(t) do s = s + v end
        return #t, table.concat(t, ','), n, s"#).unwrap();
    assert_eq!(num(&v[0]), 4.0);
    assert_eq!(text(&v[1]), "50,40,30,20");
    assert_eq!(num(&v[2]), 4.0);
    assert_eq!(num(&v[3]), 140.0);
}

#[test]
fn rejected_ext_writes_name_the_key_and_write_nothing() {
    let (e, mut h) = default();
    all(&e, &mut h, "ext.table('t').keep = 1").unwrap();
    let er = err(&e, &mut h, "local t = ext.table('t')\nt.bad = { ok = 1, deep = { f = print } }");
    assert_eq!(er.kind, ErrorKind::Ext);
    assert_eq!(er.line, Some(2));
    assert!(er.message.contains("deep.f") || er.message.contains("\"deep\""), "{}", er.message);
    assert_eq!(h.table("t").len(), 1);
    let er = err(&e, &mut h, "local c = {} c.c = c ext.table('t').cyc = c");
    assert_eq!(er.kind, ErrorKind::Ext);
    assert!(er.message.contains("cyclic"));
    assert_eq!(h.table("t").len(), 1);
    // Scripts can catch it like any error string.
    let v = all(&e, &mut h, "local ok, m = pcall(function() ext.table('t').f = print end) return ok, type(m)").unwrap();
    assert!(matches!(v[0], Js::Bool(false)));
    assert_eq!(text(&v[1]), "string");
}

#[test]
fn snapshots_round_trip_and_reject_damage_without_touching_data() {
    let (e, mut h) = default();
    all(&e, &mut h, "local t = ext.table('a') t.x = 1.5 t.y = { 1, 2 } t[true] = 'b' ext.table('b').z = '\\0\\255'").unwrap();
    let snap = e.snapshot(&mut h).unwrap();
    assert_eq!(&snap[..4], b"LUAP");

    let (e2, mut h2) = default();
    e2.restore(&mut h2, &snap).unwrap();
    assert_eq!(e2.snapshot(&mut h2).unwrap(), snap);
    let v = all(&e2, &mut h2, "return ext.table('a').x, #ext.table('a').y, ext.table('a')[true]").unwrap();
    assert_eq!((num(&v[0]), num(&v[1]), text(&v[2])), (1.5, 2.0, "b".into()));

    let before = e2.snapshot(&mut h2).unwrap();
    for bad in [&snap[..snap.len() - 1], &snap[..3], &[0u8; 16][..]] {
        let er = e2.restore(&mut h2, bad).unwrap_err();
        assert_eq!(er.kind, ErrorKind::Ext);
    }
    let mut flipped = snap.clone();
    flipped[10] ^= 1;
    let corrupted = e2.restore(&mut h2, &flipped).unwrap_err();
    assert!(corrupted.message.contains("corrupted"));
    assert_eq!(corrupted.code, None, "only a newer format carries a code");
    assert_eq!(e2.snapshot(&mut h2).unwrap(), before);
}

/// Stores tell "written by a newer version" (refuse to open) from damage (set the data
/// aside) by the error's code, never by its wording.
#[test]
fn a_newer_snapshot_format_is_refused_with_its_code() {
    let (e, mut h) = default();
    all(&e, &mut h, "ext.table('a').x = 1").unwrap();
    let mut snap = e.snapshot(&mut h).unwrap();
    snap[4] = 99; // the version is checked before the checksum
    let er = e.restore(&mut h, &snap).unwrap_err();
    assert_eq!((er.kind, er.code), (ErrorKind::Ext, Some(ErrorCode::NewerFormat)));
    assert_eq!(ErrorCode::NewerFormat.as_str(), "newer-format");
    assert!(er.message.contains("version 99 is newer"), "{}", er.message);
}

#[test]
fn limits_end_the_call_and_the_vm_stays_usable() {
    let (e, mut h) = engine(Options { memory_limit: 8 << 20, instruction_limit: 20_000_000, ..Options::default() });
    all(&e, &mut h, "kept = 'yes' ext.table().v = 1").unwrap();
    assert_eq!(err(&e, &mut h, "return string.rep('x', 1 << 30)").kind, ErrorKind::Memory);
    assert_eq!(err(&e, &mut h, "local t = {} while true do t[#t + 1] = {} end").kind, ErrorKind::Memory);
    assert_eq!(err(&e, &mut h, "while true do end").kind, ErrorKind::Instructions);
    assert_eq!(err(&e, &mut h, "while true do pcall(function() while true do end end) end").kind, ErrorKind::Instructions);
    // Deep recursion within a small heap runs out of memory first: also a clean error.
    assert_eq!(err(&e, &mut h, "local function f() return 1 + f() end return f()").kind, ErrorKind::Memory);
    let v = all(&e, &mut h, "return kept, ext.table().v").unwrap();
    assert_eq!((text(&v[0]), num(&v[1])), ("yes".into(), 1.0));

    let (e, mut h) = default();
    let so = err(&e, &mut h, "local function f() return 1 + f() end return f()");
    assert_eq!(so.kind, ErrorKind::Runtime);
    assert!(so.message.contains("stack overflow"), "{}", so.message);
    let call = CallOptions { timeout_ms: Some(30.0), ..Default::default() };
    let out = e.exec(&mut h, b"while true do end", &call, Want::First);
    assert_eq!(out.result.unwrap_err().kind, ErrorKind::Timeout);
    assert_eq!(num(&all(&e, &mut h, "return 1 + 1").unwrap()[0]), 2.0);
}

#[test]
fn looping_finalizers_stop_at_the_timeout_in_calls_gc_and_drop() {
    let looping = "setmetatable({}, { __gc = function() while true do end end })";
    let (e, mut h) = engine(Options { stdlib: Stdlib::All, timeout_ms: 50.0, instruction_limit: 1 << 40, ..Options::default() });
    assert_eq!(err(&e, &mut h, &format!("{looping} collectgarbage() return 1")).kind, ErrorKind::Timeout);
    all(&e, &mut h, &format!("pending = {looping} pending = nil")).unwrap();
    assert_eq!(e.gc().unwrap_err().kind, ErrorKind::Timeout);
    e.gc().unwrap();
    all(&e, &mut h, &format!("pending = {looping}")).unwrap();
    e.reset().unwrap();
    all(&e, &mut h, &format!("pending = {looping}")).unwrap();
    // Dropping the engine frees the state, under the timeout: the test returns.
    drop(e);
}

#[test]
fn os_exit_ends_the_call_with_its_code_and_the_vm_stays() {
    let (e, mut h) = engine(Options { stdlib: Stdlib::All, timeout_ms: 0.0, ..Options::default() });
    let x = err(&e, &mut h, "os.exit(3)");
    assert_eq!((x.kind, x.exit_code), (ErrorKind::Runtime, Some(3)));
    assert_eq!(err(&e, &mut h, "pcall(os.exit, false) while true do end").exit_code, Some(1));
    assert_eq!(err(&e, &mut h, "error('plain')").exit_code, None);
    assert_eq!(num(&all(&e, &mut h, "return 1 + 1").unwrap()[0]), 2.0);
}

#[test]
fn the_safe_stdlib_has_no_way_out() {
    let (e, mut h) = default();
    let v = all(&e, &mut h, "return io, os.execute, os.getenv, os.remove, os.exit, dofile, loadfile, require, string.dump, debug.getinfo, type(debug.traceback)").unwrap();
    assert!(v[..10].iter().all(|x| matches!(x, Js::Undef)), "{v:?}");
    assert_eq!(text(&v[10]), "function");
    let v = all(&e, &mut h, "return load('\\27Lua...')").unwrap();
    assert!(matches!(v[0], Js::Undef));
    assert!(err(&e, &mut h, "collectgarbage('stop')").message.contains("not available"));

    let (e, mut h) = engine(Options { stdlib: Stdlib::All, ..Options::default() });
    let v = all(&e, &mut h, "return type(io), type(os.getenv), type(string.dump)").unwrap();
    assert_eq!(v.iter().map(text).collect::<Vec<_>>(), ["table", "function", "function"]);
}

#[test]
fn errors_carry_kind_chunk_and_line() {
    let (e, mut h) = default();
    let call = CallOptions { chunk_name: Some("main.lua".into()), ..Default::default() };
    let out = e.exec(&mut h, b"local a = 1\nlocal b = = 2", &call, Want::First);
    let er = out.result.unwrap_err();
    assert_eq!((er.kind, er.chunk_name.as_deref(), er.line), (ErrorKind::Syntax, Some("main.lua"), Some(2)));
    let er = err(&e, &mut h, "\n\nerror('boom')");
    assert_eq!((er.kind, er.chunk_name.as_deref(), er.line), (ErrorKind::Runtime, Some("eval"), Some(3)));
    assert!(er.traceback.unwrap_or_default().contains("stack traceback"));
}

#[test]
fn js_function_errors_are_catchable_and_keep_their_cause() {
    let (e, mut h) = default();
    let f: memhost::JsFn = Rc::new(|args: &[Js]| match args.first() {
        Some(Js::Num(n)) => Ok(Js::Num(n * 2.0)),
        _ => Err(Js::Str("js boom".into())),
    });
    e.set_global(&mut h, "twice", &Js::Func(f)).unwrap();
    assert_eq!(num(&all(&e, &mut h, "return twice(21)").unwrap()[0]), 42.0);
    let v = all(&e, &mut h, "local ok, m = pcall(twice) return ok, m").unwrap();
    assert!(matches!(v[0], Js::Bool(false)));
    assert!(text(&v[1]).contains("js boom"));
    let er = err(&e, &mut h, "\ntwice()");
    assert_eq!((er.kind, er.line), (ErrorKind::Runtime, Some(2)));
    let cause = er.cause_slot.and_then(|s| e.slot_value(&mut h, s));
    assert!(matches!(cause, Some(Js::Str(s)) if &*s == "js boom"));
}

#[test]
fn print_is_captured_per_call() {
    let (e, mut h) = default();
    let out = e.exec(&mut h, b"print('a', 1, nil, 2.5) print()", &CallOptions::default(), Want::First);
    assert_eq!(out.output, "a\t1\tnil\t2.5\n\n");
    assert!(h.printed.is_empty());
    let echo = CallOptions { echo: true, ..Default::default() };
    e.exec(&mut h, b"print('live')", &echo, Want::First);
    assert_eq!(h.printed, ["live"]);
}

#[test]
fn reset_drops_globals_keeps_ext_and_close_is_final() {
    let (e, mut h) = default();
    all(&e, &mut h, "g = 1 ext.table().v = 2").unwrap();
    e.reset().unwrap();
    let v = all(&e, &mut h, "return g, ext.table().v").unwrap();
    assert!(matches!(v[0], Js::Undef));
    assert_eq!(num(&v[1]), 2.0);
    e.close();
    e.close();
    assert_eq!(err(&e, &mut h, "return 1").kind, ErrorKind::Closed);
    assert_eq!(e.snapshot(&mut h).unwrap_err().kind, ErrorKind::Closed);
}

#[test]
fn dirty_tracking_sees_lua_ext_writes_only() {
    let (e, mut h) = default();
    assert!(!e.take_dirty());
    // Making a table is a change; reading one is not.
    all(&e, &mut h, "ext.table()").unwrap();
    assert!(e.take_dirty());
    all(&e, &mut h, "x = 1 local r = ext.table().missing").unwrap();
    assert!(!e.take_dirty());
    all(&e, &mut h, "ext.table().v = 1").unwrap();
    assert!(e.take_dirty());
    assert!(!e.take_dirty());
}

#[test]
fn proxies_compare_by_map_and_walk_with_next() {
    let (e, mut h) = default();
    let v = all(&e, &mut h, r#"
        local t = ext.table("p")
        local empty = next(t) == nil
        t.a = 1 t.b = 2 t.sub = {}
        local keys = {}
        for k in next, t do keys[#keys + 1] = k end
        return empty, table.concat(keys, " "), t == ext.table("p"), t.sub == t.sub, t == ext.table("q")"#).unwrap();
    assert!(matches!(v[0], Js::Bool(true)));
    assert_eq!(text(&v[1]), "a b sub");
    assert!(matches!(v[2], Js::Bool(true)));
    assert!(matches!(v[3], Js::Bool(true)));
    assert!(matches!(v[4], Js::Bool(false)));
    let e2 = err(&e, &mut h, "return next(ext.table('p'), 'missing')");
    assert_eq!(e2.kind, ErrorKind::Runtime);
    assert!(e2.message.contains("invalid key to 'next'"), "{}", e2.message);
}

/// The kinds JS sees are listed three times (this enum, lib/errors.js `KINDS`, index.d.ts
/// `LuaErrorKind`); the enum is the reference and the other two must match it, in order.
#[test]
fn error_kinds_match_the_js_lists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let expected: Vec<String> = ErrorKind::ALL.iter().map(|k| format!("'{}'", k.as_str())).collect();
    let api = std::fs::read_to_string(root.join("lib/errors.js")).expect("lib/errors.js");
    let kinds = api.split("const KINDS = [").nth(1).and_then(|s| s.split("];").next()).expect("KINDS in lib/errors.js");
    assert_eq!(kinds.split(", ").collect::<Vec<_>>(), expected, "lib/errors.js KINDS");
    let dts = std::fs::read_to_string(root.join("index.d.ts")).expect("index.d.ts");
    let kinds = dts.split("export type LuaErrorKind = ").nth(1).and_then(|s| s.split(';').next()).expect("LuaErrorKind in index.d.ts");
    assert_eq!(kinds.split(" | ").collect::<Vec<_>>(), expected, "index.d.ts LuaErrorKind");
}

/// The default limits are written twice: options.rs (what a VM made without options
/// gets) and lib/options.js `DEFAULTS` (what createLua passes when an option is left
/// out). The core is the reference; the JS numbers, written as products like
/// `256 * 1024 * 1024`, must equal it.
#[test]
fn default_limits_match_the_js_defaults() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let js = std::fs::read_to_string(root.join("lib/options.js")).expect("lib/options.js");
    let body = js.split("const DEFAULTS = Object.freeze({").nth(1).and_then(|s| s.split("});").next()).expect("DEFAULTS in lib/options.js");
    let value = |name: &str| -> f64 {
        let line = body.lines().find_map(|l| l.trim().strip_prefix(&format!("{name}:"))).unwrap_or_else(|| panic!("{name} in DEFAULTS"));
        let expr = line.trim().trim_end_matches(',');
        expr.split('*').map(|f| f.trim().replace('_', "").parse::<f64>().unwrap_or_else(|_| panic!("{name}: {expr}"))).product()
    };
    assert_eq!(value("memoryLimit"), DEFAULT_MEMORY_LIMIT as f64, "memoryLimit");
    assert_eq!(value("storageLimit"), DEFAULT_STORAGE_LIMIT as f64, "storageLimit");
    assert_eq!(value("timeout"), DEFAULT_TIMEOUT_MS, "timeout");
    assert_eq!(value("instructionLimit"), Options::default().instruction_limit as f64, "instructionLimit");
    assert_eq!(Options::default().stdlib, Stdlib::Safe);
    assert!(body.contains("stdlib: 'safe'"), "stdlib");
}

#[test]
fn ext_next_lists_the_keys_once_per_traversal_whatever_key_it_is_given() {
    let (e, mut h) = default();
    all(&e, &mut h, "local t = ext.table('n') for i = 1, 1000 do t['k' .. i] = i end").unwrap();
    h.listings = 0;
    // 500 steps from scattered keys, and a full loop: one listing for the call.
    let v = all(&e, &mut h, r#"
        local t, ok = ext.table('n'), 0
        for i = 1, 500 do local k, v = next(t, 'k' .. (i * 7 % 999 + 1)) if v == i * 7 % 999 + 2 then ok = ok + 1 end end
        local n = 0 for k in next, t do n = n + 1 end
        return ok, n"#).unwrap();
    assert_eq!((num(&v[0]), num(&v[1])), (500.0, 1000.0));
    assert!(h.listings <= 2, "{} listings", h.listings);
}

#[test]
fn limits_count_and_stop_c_work() {
    // An instruction limit counts one call's C work in full: utf8.len of 2M characters
    // charges ~2M instructions (as 512 charges of 4096, each past a 1000-instruction
    // hook period).
    let (e, mut h) = engine(Options { instruction_limit: 1_000_000, ..Options::default() });
    all(&e, &mut h, "s = string.rep(string.rep('\\u{e9}', 2048), 1024)").unwrap();
    assert_eq!(err(&e, &mut h, "return utf8.len(s)").kind, ErrorKind::Instructions);
    assert_eq!(num(&all(&e, &mut h, "return utf8.len(s, 1, 1000)").unwrap()[0]), 500.0);

    // A timeout stops a loop of one expensive C call, and the compile of a huge chunk.
    let (e, mut h) = default();
    let call = CallOptions { timeout_ms: Some(50.0), ..Default::default() };
    let started = std::time::Instant::now();
    let code = b"local s = string.rep(string.rep('a\\0', 2048), 2048) while true do local q = string.format('%q', s) end";
    assert_eq!(e.exec(&mut h, code, &call, Want::First).result.unwrap_err().kind, ErrorKind::Timeout);
    let chunk = format!("local x = 0 {}", "x = x + 1 ".repeat(2_000_000));
    assert_eq!(e.exec(&mut h, chunk.as_bytes(), &call, Want::First).result.unwrap_err().kind, ErrorKind::Timeout);
    assert!(started.elapsed().as_millis() < 2000, "{:?}", started.elapsed());
}

#[test]
fn a_panic_costs_only_that_vm() {
    let (e, mut h) = default();
    let bug = Js::Func(Rc::new(|_: &[Js]| -> Result<Js, Js> { panic!("a host bug") }));
    e.set_global(&mut h, "bug", &bug).expect("set");
    // Not even a script's pcall sees it: the VM is gone.
    let first = err(&e, &mut h, "local ok = pcall(bug) return ok");
    assert_eq!(first.kind, ErrorKind::Crashed);
    assert_eq!(err(&e, &mut h, "return 1").kind, ErrorKind::Crashed);
    assert_eq!(e.set_global(&mut h, "x", &Js::Num(1.0)).expect_err("crashed").kind, ErrorKind::Crashed);
    assert_eq!(e.gc().expect_err("crashed").kind, ErrorKind::Crashed);
    assert_eq!(ErrorKind::Crashed.as_str(), "crashed");
    e.close();
    let (other, mut h2) = default();
    assert_eq!(num(&all(&other, &mut h2, "return 1 + 1").expect("other VM")[0]), 2.0);
}

#[test]
fn finalizers_at_close_fail_cleanly() {
    let (e, mut h) = engine(Options { stdlib: Stdlib::All, ..Options::default() });
    let f = Js::Func(Rc::new(|_: &[Js]| -> Result<Js, Js> { Ok(Js::Num(1.0)) }));
    e.set_global(&mut h, "jsf", &f).expect("set");
    all(
        &e,
        &mut h,
        "local t = ext.table('t') t.a = 1
         for i = 1, 50 do setmetatable({}, { __gc = function() print('bye', i) end }) end
         setmetatable({}, { __gc = function() jsf() end })
         setmetatable({}, { __gc = function() ext.table('x') end })
         setmetatable({}, { __gc = function() os.exit(2) end })
         setmetatable({}, { __gc = function() print(#t, t.a, tostring(t)) end })
         setmetatable({}, { __gc = function()
           local ok, e = pcall(ext.tables)
           assert(not ok and e == 'the Lua VM is closing')
         end })",
    )
    .expect("setup");
    e.close();
    assert_eq!(err(&e, &mut h, "return 1").kind, ErrorKind::Closed);
}

#[test]
fn a_failed_call_undoes_its_ext_changes_and_a_nested_one_only_its_own() {
    let (e, mut h) = default();
    all(&e, &mut h, "local t = ext.table('a') t.n = 1 t.f = 2.0 t.sub = {x = 1}").unwrap();
    let before = e.snapshot(&mut h).unwrap();
    let failed = err(&e, &mut h, "local t = ext.table('a') t.n = 2 t.f = 3 t.sub.x = 9 t.sub = nil t.new = 1 ext.table('b').y = 1 ext.drop('a') error('no')");
    assert_eq!(failed.kind, ErrorKind::Runtime);
    assert_eq!(e.snapshot(&mut h).unwrap(), before);
    assert!(h.journal.is_empty());
    // A limit undoes too.
    let e2 = Engine::<MemHost>::new(Options { instruction_limit: 100_000, ..Options::default() }).unwrap();
    all(&e2, &mut h, "ext.table('a').n = 1").unwrap();
    assert_eq!(err(&e2, &mut h, "ext.table('a').n = 5 while true do end").kind, ErrorKind::Instructions);
    assert_eq!(num(&all(&e2, &mut h, "return ext.table('a').n").unwrap()[0]), 1.0);
}

#[test]
fn records_replay_to_the_same_snapshot() {
    let (e, mut h) = default();
    let empty = e.open_log(&mut h, None, &[]).unwrap();
    drop(empty);
    all(&e, &mut h, "local t = ext.table('a') for i = 1, 20 do t[i] = i end t.f = 2.0 t.sub = {x = {y = 1}}").unwrap();
    let mut log = record_bytes(&e, &mut h);
    all(&e, &mut h, "local t = ext.table('a') t[3] = nil t.sub.x.y = 'z' ext.table('b').k = true ext.drop('b') ext.table('c')").unwrap();
    log.extend(record_bytes(&e, &mut h));
    let want = e.snapshot(&mut h).unwrap();
    let (e2, mut h2) = default();
    e2.open_log(&mut h2, None, &log).unwrap();
    assert_eq!(e2.snapshot(&mut h2).unwrap(), want);
}

fn record_bytes(e: &Engine<MemHost>, h: &mut MemHost) -> Vec<u8> {
    match e.take_record(h).unwrap() {
        Js::Bytes(b) => b.to_vec(),
        other => panic!("not a record: {other:?}"),
    }
}

/// The wasm module's prepared VM (docs/design.md): made before its options, then given
/// them and new seeds, it must be the VM `Engine::new` makes.
#[test]
fn a_prepared_engine_takes_its_options_and_seeds() {
    assert!(!Engine::<MemHost>::prepared_for(&Options { stdlib: Stdlib::All, ..Options::default() }));
    let options = Options { memory_limit: 8 << 20, instruction_limit: 20_000_000, storage_limit: 1000, ..Options::default() };
    assert!(Engine::<MemHost>::prepared_for(&options));
    let order = "local t = {} for i = 1, 40 do t['key' .. i] = i end \
                 local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ',')";
    let mut orders = std::collections::HashSet::new();
    let mut h = MemHost::new();
    for seed in 0..4 {
        let e = Engine::<MemHost>::prepare().unwrap();
        memhost::set_seeds(Some([seed * 7919 + 1, seed]));
        let e = e.configure(options.clone()).unwrap();
        // Rehashed under the new seed, every entry is still found by its key.
        all(&e, &mut h, "for _, t in ipairs({_G, string, table, math, os, ext, getmetatable('')}) do \
                         for k, v in pairs(t) do assert(rawget(t, k) == v, tostring(k)) end end").unwrap();
        orders.insert(text(&all(&e, &mut h, order).unwrap()[0]));
        assert_eq!(e.memory().unwrap().limit, 8 << 20);
        assert_eq!(err(&e, &mut h, "return string.rep('x', 1 << 30)").kind, ErrorKind::Memory);
        assert_eq!(err(&e, &mut h, "while true do end").kind, ErrorKind::Instructions);
        all(&e, &mut h, "ext.table().v = 'small'").unwrap();
        let past = err(&e, &mut h, "ext.table().v = string.rep('x', 2000)");
        assert_eq!(past.kind, ErrorKind::Memory);
        assert!(past.message.contains("storageLimit"), "{}", past.message);
        all(&e, &mut h, "collectgarbage() assert(('abc'):upper() == 'ABC')").unwrap();
    }
    assert!(orders.len() > 1, "every seed gave the same key order");
    // The host's seeds decide the layout and the draws, whatever Lua took from the time
    // and addresses: of a made state (`new`) as of a prepared one.
    memhost::set_seeds(Some([42, 7]));
    let same: Vec<String> = (0..2)
        .map(|_| {
            let e = Engine::<MemHost>::new(Options::default()).unwrap();
            let draw = num(&all(&e, &mut h, "return math.random(1 << 30)").unwrap()[0]);
            format!("{} {draw}", text(&all(&e, &mut h, order).unwrap()[0]))
        })
        .collect();
    memhost::set_seeds(None);
    assert_eq!(same[0], same[1]);
}
