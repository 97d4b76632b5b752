//! An in-memory JS realm for testing the core without Node or a browser: a small JS
//! value model whose Maps compare keys like JS (SameValueZero) and keep insertion order.
//! The core only ever uses the `Host` primitives, so its rules are exercised for real.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use lua_persistent_core::{CallError, Host, HostResult, JsKind, TypedArray, Unsupported};

pub type JsFn = Rc<dyn Fn(&[Js]) -> Result<Js, Js>>;

#[derive(Clone)]
pub enum Js {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Big(i128),
    Str(Rc<str>),
    Bytes(Rc<Vec<u8>>),
    Arr(Rc<RefCell<Vec<Js>>>),
    Obj(Rc<RefCell<Vec<(String, Js)>>>),
    Map(Rc<MapObj>),
    Func(JsFn),
    /// A Lua function handed to JS, by id.
    LuaFn(u32),
    Sym,
    /// A Set's members.
    Set(Rc<RefCell<Vec<Js>>>),
    /// A typed array other than Uint8Array: its type and its elements' bytes.
    Typed(TypedArray, Rc<Vec<u8>>),
    /// An ArrayBuffer's bytes.
    Buffer(Rc<Vec<u8>>),
    /// An Error: its own enumerable properties, then `name` and `message`.
    Error(Rc<RefCell<Vec<(String, Js)>>>, Rc<str>, Rc<str>),
    /// A Date, a RegExp...: what `inspect` reports of it.
    Exotic(Unsupported),
}

#[derive(Default)]
pub struct MapObj {
    pub entries: RefCell<Vec<(Js, Js)>>,
    pub aux: RefCell<Option<Rc<MapObj>>>,
}

impl std::fmt::Debug for Js {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Js::Undef => write!(f, "undefined"),
            Js::Null => write!(f, "null"),
            Js::Bool(b) => write!(f, "{b}"),
            Js::Num(n) => write!(f, "{n}"),
            Js::Big(n) => write!(f, "{n}n"),
            Js::Str(s) => write!(f, "{s:?}"),
            Js::Bytes(b) => write!(f, "bytes{:?}", b),
            Js::Arr(a) => f.debug_list().entries(a.borrow().iter()).finish(),
            Js::Obj(o) => f.debug_map().entries(o.borrow().iter().map(|(k, v)| (k, v))).finish(),
            Js::Map(m) => write!(f, "Map{:?}", m.entries.borrow()),
            Js::Func(_) => write!(f, "function"),
            Js::LuaFn(id) => write!(f, "luafn#{id}"),
            Js::Sym => write!(f, "symbol"),
            Js::Set(m) => write!(f, "Set{:?}", m.borrow()),
            Js::Typed(t, b) => write!(f, "{}{:?}", t.name(), b),
            Js::Buffer(b) => write!(f, "ArrayBuffer{:?}", b),
            Js::Error(_, name, message) => write!(f, "{name}: {message}"),
            Js::Exotic(u) => write!(f, "{}", u.name()),
        }
    }
}

/// JS SameValueZero, the equality Maps use for keys.
pub fn same(a: &Js, b: &Js) -> bool {
    match (a, b) {
        (Js::Undef, Js::Undef) | (Js::Null, Js::Null) => true,
        (Js::Bool(x), Js::Bool(y)) => x == y,
        (Js::Num(x), Js::Num(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Js::Big(x), Js::Big(y)) => x == y,
        (Js::Str(x), Js::Str(y)) => x == y,
        (Js::Bytes(x), Js::Bytes(y)) => Rc::ptr_eq(x, y),
        (Js::Arr(x), Js::Arr(y)) => Rc::ptr_eq(x, y),
        (Js::Obj(x), Js::Obj(y)) => Rc::ptr_eq(x, y),
        (Js::Map(x), Js::Map(y)) => Rc::ptr_eq(x, y),
        (Js::Func(x), Js::Func(y)) => Rc::ptr_eq(x, y),
        (Js::LuaFn(x), Js::LuaFn(y)) => x == y,
        (Js::Set(x), Js::Set(y)) => Rc::ptr_eq(x, y),
        (Js::Typed(_, x), Js::Typed(_, y)) | (Js::Buffer(x), Js::Buffer(y)) => Rc::ptr_eq(x, y),
        (Js::Error(x, ..), Js::Error(y, ..)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

impl MapObj {
    pub fn get(&self, k: &Js) -> Js {
        self.entries.borrow().iter().find(|(x, _)| same(x, k)).map(|(_, v)| v.clone()).unwrap_or(Js::Undef)
    }
    pub fn set(&self, k: Js, v: Js) {
        let mut e = self.entries.borrow_mut();
        match e.iter_mut().find(|(x, _)| same(x, &k)) {
            Some(slot) => slot.1 = v,
            None => e.push((k, v)),
        }
    }
    pub fn entry(&self, k: &Js) -> Option<Js> {
        self.entries.borrow().iter().find(|(x, _)| same(x, k)).map(|(_, v)| v.clone())
    }
    pub fn put(&self, k: &Js, v: Option<Js>) {
        match v {
            Some(v) => self.set(k.clone(), v),
            None => self.delete(k),
        }
    }
    pub fn delete(&self, k: &Js) {
        self.entries.borrow_mut().retain(|(x, _)| !same(x, k));
    }
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }
    pub fn get_str(&self, k: &str) -> Js {
        self.get(&Js::Str(k.into()))
    }
}

pub fn map(js: &Js) -> Rc<MapObj> {
    match js {
        Js::Map(m) => m.clone(),
        other => panic!("not a Map: {other:?}"),
    }
}

pub struct MemHost {
    pub root: Rc<MapObj>,
    pub slots: Vec<Js>,
    pub printed: Vec<String>,
    /// How many times the core listed a Map's entries (ext `next` must not per step).
    pub listings: usize,
    /// The undo journal, as lib/journal.js keeps it (`None`: absent).
    pub journal: Vec<JournalEntry>,
}

/// A Map, a key, its old entry and its old float tag.
pub type JournalEntry = (Rc<MapObj>, Js, Option<Js>, Option<Js>);

impl MemHost {
    pub fn new() -> Self {
        MemHost { root: Rc::new(MapObj::default()), slots: Vec::new(), printed: Vec::new(), listings: 0, journal: Vec::new() }
    }

    /// The ext table `name` as the host sees it.
    pub fn table(&self, name: &str) -> Rc<MapObj> {
        map(&self.root.get_str(name))
    }
}

fn as_map(v: &Js) -> HostResult<Rc<MapObj>> {
    match v {
        Js::Map(m) => Ok(m.clone()),
        _ => Err(lua_persistent_core::HostError::new("not a Map")),
    }
}

impl Host for MemHost {
    type Value = Js;

    fn undefined(&mut self) -> HostResult<Js> {
        Ok(Js::Undef)
    }
    fn boolean(&mut self, b: bool) -> HostResult<Js> {
        Ok(Js::Bool(b))
    }
    fn number(&mut self, n: f64) -> HostResult<Js> {
        Ok(Js::Num(n))
    }
    fn bigint(&mut self, n: i64) -> HostResult<Js> {
        Ok(Js::Big(n as i128))
    }
    fn string(&mut self, s: &str) -> HostResult<Js> {
        Ok(Js::Str(s.into()))
    }
    fn bytes(&mut self, b: &[u8]) -> HostResult<Js> {
        Ok(Js::Bytes(Rc::new(b.to_vec())))
    }
    fn new_array(&mut self, len: u32) -> HostResult<Js> {
        Ok(Js::Arr(Rc::new(RefCell::new(vec![Js::Undef; len as usize]))))
    }
    fn array_set(&mut self, array: &Js, index: u32, v: &Js) -> HostResult<()> {
        if let Js::Arr(a) = array {
            let mut a = a.borrow_mut();
            if a.len() <= index as usize {
                a.resize(index as usize + 1, Js::Undef);
            }
            a[index as usize] = v.clone();
        }
        Ok(())
    }
    fn new_object(&mut self) -> HostResult<Js> {
        Ok(Js::Obj(Rc::new(RefCell::new(Vec::new()))))
    }
    fn object_set(&mut self, obj: &Js, key: &str, v: &Js) -> HostResult<()> {
        if let Js::Obj(o) = obj {
            let mut o = o.borrow_mut();
            match o.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = v.clone(),
                None => o.push((key.to_string(), v.clone())),
            }
        }
        Ok(())
    }
    fn lua_function(&mut self, id: u32) -> HostResult<Js> {
        Ok(Js::LuaFn(id))
    }
    fn inspect(&mut self, v: &Js) -> HostResult<JsKind> {
        Ok(match v {
            Js::Undef => JsKind::Undefined,
            Js::Null => JsKind::Null,
            Js::Bool(b) => JsKind::Bool(*b),
            Js::Num(n) => JsKind::Number(*n),
            Js::Big(n) => JsKind::BigInt(i64::try_from(*n).ok()),
            Js::Str(s) => JsKind::String(s.to_string()),
            Js::Bytes(b) => JsKind::Bytes(b.to_vec()),
            Js::Arr(a) => JsKind::Array(a.borrow().len() as u32),
            Js::Obj(_) => JsKind::Object,
            Js::Map(_) => JsKind::Map,
            Js::Func(_) | Js::LuaFn(_) => JsKind::Function,
            Js::Sym => JsKind::Unsupported(Unsupported::Symbol),
            Js::Set(_) => JsKind::Set,
            Js::Typed(t, b) => JsKind::Typed(*t, b.to_vec()),
            Js::Buffer(b) => JsKind::Buffer(b.to_vec()),
            Js::Error(..) => JsKind::Error,
            Js::Exotic(u) => JsKind::Unsupported(*u),
        })
    }
    fn array_get(&mut self, array: &Js, index: u32) -> HostResult<Js> {
        Ok(match array {
            Js::Arr(a) => a.borrow().get(index as usize).cloned().unwrap_or(Js::Undef),
            _ => Js::Undef,
        })
    }
    fn object_entries(&mut self, obj: &Js) -> HostResult<Vec<(String, Js)>> {
        Ok(match obj {
            Js::Obj(o) | Js::Error(o, ..) => o.borrow().clone(),
            _ => Vec::new(),
        })
    }
    fn get(&mut self, obj: &Js, key: &str) -> HostResult<Js> {
        Ok(match obj {
            Js::Error(_, name, _) if key == "name" => Js::Str(name.clone()),
            Js::Error(_, _, message) if key == "message" => Js::Str(message.clone()),
            Js::Obj(o) | Js::Error(o, ..) => o.borrow().iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or(Js::Undef),
            _ => Js::Undef,
        })
    }
    fn set_values(&mut self, set: &Js) -> HostResult<Vec<Js>> {
        Ok(match set {
            Js::Set(m) => m.borrow().clone(),
            _ => Vec::new(),
        })
    }
    fn same(&mut self, a: &Js, b: &Js) -> HostResult<bool> {
        Ok(match (a, b) {
            (Js::Map(x), Js::Map(y)) => Rc::ptr_eq(x, y),
            _ => false,
        })
    }
    fn call(&mut self, f: &Js, args: &[Js]) -> Result<Js, CallError<Js>> {
        match f {
            Js::Func(f) => f(args).map_err(|e| CallError {
                message: match &e {
                    Js::Str(s) => s.to_string(),
                    other => format!("{other:?}"),
                },
                exception: Some(e),
            }),
            _ => Err(CallError { message: "not a function".into(), exception: None }),
        }
    }
    fn new_map(&mut self) -> HostResult<Js> {
        Ok(Js::Map(Rc::new(MapObj::default())))
    }
    fn map_get(&mut self, m: &Js, key: &Js) -> HostResult<Js> {
        Ok(as_map(m)?.get(key))
    }
    fn map_set(&mut self, m: &Js, key: &Js, v: &Js) -> HostResult<()> {
        as_map(m)?.set(key.clone(), v.clone());
        Ok(())
    }
    fn map_delete(&mut self, m: &Js, key: &Js) -> HostResult<()> {
        as_map(m)?.delete(key);
        Ok(())
    }
    fn journal_set(&mut self, m: &Js, key: &Js, v: Option<&Js>, _tagged: bool) -> HostResult<()> {
        let m = as_map(m)?;
        let tag = m.aux.borrow().as_ref().and_then(|a| a.entry(key));
        let old = m.entry(key);
        self.journal.push((m.clone(), key.clone(), old, tag));
        m.put(key, v.cloned());
        Ok(())
    }
    fn journal_end(&mut self, keep: u32, undo: bool) -> HostResult<()> {
        while self.journal.len() > keep as usize {
            let (m, key, old, tag) = self.journal.pop().expect("longer than keep");
            if undo {
                m.put(&key, old);
                if let Some(aux) = m.aux.borrow().as_ref() {
                    aux.put(&key, tag);
                }
            }
        }
        Ok(())
    }
    fn hook_value(&mut self, name: &str) -> HostResult<Js> {
        Err(lua_persistent_core::HostError::new(format!("no hooks.{name} here")))
    }
    fn multi_values(&mut self, _v: &Js) -> HostResult<Option<Js>> {
        Ok(None)
    }
    fn map_has(&mut self, m: &Js, key: &Js) -> HostResult<bool> {
        Ok(as_map(m)?.entries.borrow().iter().any(|(k, _)| same(k, key)))
    }
    fn map_size(&mut self, m: &Js) -> HostResult<u32> {
        Ok(as_map(m)?.len() as u32)
    }
    fn map_clear(&mut self, m: &Js) -> HostResult<()> {
        as_map(m)?.entries.borrow_mut().clear();
        Ok(())
    }
    fn map_entries(&mut self, m: &Js) -> HostResult<Vec<(Js, Js)>> {
        self.listings += 1;
        Ok(as_map(m)?.entries.borrow().clone())
    }
    fn map_aux(&mut self, m: &Js, create: bool) -> HostResult<Option<Js>> {
        let m = as_map(m)?;
        let mut aux = m.aux.borrow_mut();
        if aux.is_none() && create {
            *aux = Some(Rc::new(MapObj::default()));
        }
        Ok(aux.clone().map(Js::Map))
    }
    fn ext_root(&mut self) -> HostResult<Js> {
        Ok(Js::Map(self.root.clone()))
    }
    fn slot_set(&mut self, slot: u32, v: &Js) -> HostResult<()> {
        if self.slots.len() <= slot as usize {
            self.slots.resize(slot as usize + 1, Js::Undef);
        }
        self.slots[slot as usize] = v.clone();
        Ok(())
    }
    fn slot_get(&mut self, slot: u32) -> HostResult<Js> {
        Ok(self.slots.get(slot as usize).cloned().unwrap_or(Js::Undef))
    }
    fn slot_clear(&mut self, slot: u32) -> HostResult<()> {
        self.slot_set(slot, &Js::Undef)
    }
    fn mute_rejection(&mut self, _v: &Js) -> HostResult<()> {
        Ok(())
    }
    fn print(&mut self, text: &str) -> Result<(), lua_persistent_core::CallError<Js>> {
        self.printed.push(text.to_string());
        Ok(())
    }
    fn now_ms() -> f64 {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }
    fn seeds() -> Option<[i64; 2]> {
        SEEDS.with(|s| s.get())
    }
}

thread_local! {
    static SEEDS: std::cell::Cell<Option<[i64; 2]>> = const { std::cell::Cell::new(None) };
}

/// What [`Host::seeds`] answers for the states this thread makes next (None: Lua's own).
#[allow(dead_code)] // not every test binary that includes this module seeds
pub fn set_seeds(seeds: Option<[i64; 2]>) {
    SEEDS.with(|s| s.set(seeds));
}
