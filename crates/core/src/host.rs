//! The one boundary between the engine and a JavaScript host.
//!
//! Each adapter (napi, wasm-bindgen) implements [`Host`] with *primitive* operations on
//! JS values only: make a number, read a Map entry, call a function. Every rule built
//! on top of those primitives (how a Lua table maps to JS, how ext tables store
//! floats, how snapshots are laid out) lives in this crate, so both backends behave
//! identically by construction.

/// What the core learns about a JS value when it inspects it.
///
/// Adapters detect object kinds by brand (internal slots), never by `instanceof`
/// alone, so objects of any realm, subclasses included, are seen alike by both backends:
/// cheap native checks where the host has them (napi), the rest through the JS layer's
/// `objectKind` (lib/kinds.js, decoded by [`object_kind`]).
#[derive(Debug, Clone, PartialEq)]
pub enum JsKind {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    /// A BigInt; `None` when it does not fit in an i64.
    BigInt(Option<i64>),
    String(String),
    /// A Uint8Array (byte-exact Lua strings that are not UTF-8).
    Bytes(Vec<u8>),
    /// An ArrayBuffer: a copy of its bytes.
    Buffer(Vec<u8>),
    /// A typed array other than Uint8Array: its element type and a copy of its elements'
    /// bytes, in the machine's byte order (the JS engine's; little-endian in wasm).
    Typed(TypedArray, Vec<u8>),
    /// A JS Array with its length.
    Array(u32),
    Map,
    /// A Set: its members are read with [`Host::set_values`].
    Set,
    /// An Error: read as an object, plus its `name` and `message` (read with [`Host::get`]).
    Error,
    Function,
    /// An object with a callable `then` (a Promise): Lua cannot wait for it in a
    /// synchronous call, so it is refused (see [`Host::mute_rejection`]).
    Thenable,
    /// Any other object: read through its own enumerable string keys.
    Object,
    /// Something with no Lua equivalent: refused (convert.rs words why).
    Unsupported(Unsupported),
}

impl JsKind {
    /// The JS type's name in messages ("Date", "Int32Array", "object").
    pub fn type_name(&self) -> &'static str {
        match self {
            JsKind::Undefined => "undefined",
            JsKind::Null => "null",
            JsKind::Bool(_) => "boolean",
            JsKind::Number(_) => "number",
            JsKind::BigInt(_) => "BigInt",
            JsKind::String(_) => "string",
            JsKind::Bytes(_) => "Uint8Array",
            JsKind::Buffer(_) => "ArrayBuffer",
            JsKind::Typed(t, _) => t.name(),
            JsKind::Array(_) => "Array",
            JsKind::Map => "Map",
            JsKind::Set => "Set",
            JsKind::Error => "Error",
            JsKind::Function => "function",
            JsKind::Thenable => "Promise",
            JsKind::Object => "object",
            JsKind::Unsupported(u) => u.name(),
        }
    }
}

/// The element types of typed arrays that convert (Uint8Array is [`JsKind::Bytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedArray {
    Int8,
    Uint8Clamped,
    Int16,
    Uint16,
    Int32,
    Uint32,
    Float32,
    Float64,
    BigInt64,
    BigUint64,
}

impl TypedArray {
    /// In the order of their codes in lib/kinds.js (`TYPED`).
    pub const ALL: [TypedArray; 10] = [
        TypedArray::Int8,
        TypedArray::Uint8Clamped,
        TypedArray::Int16,
        TypedArray::Uint16,
        TypedArray::Int32,
        TypedArray::Uint32,
        TypedArray::Float32,
        TypedArray::Float64,
        TypedArray::BigInt64,
        TypedArray::BigUint64,
    ];

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            TypedArray::Int8 | TypedArray::Uint8Clamped => 1,
            TypedArray::Int16 | TypedArray::Uint16 => 2,
            TypedArray::Int32 | TypedArray::Uint32 | TypedArray::Float32 => 4,
            TypedArray::Float64 | TypedArray::BigInt64 | TypedArray::BigUint64 => 8,
        }
    }

    /// The JS constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            TypedArray::Int8 => "Int8Array",
            TypedArray::Uint8Clamped => "Uint8ClampedArray",
            TypedArray::Int16 => "Int16Array",
            TypedArray::Uint16 => "Uint16Array",
            TypedArray::Int32 => "Int32Array",
            TypedArray::Uint32 => "Uint32Array",
            TypedArray::Float32 => "Float32Array",
            TypedArray::Float64 => "Float64Array",
            TypedArray::BigInt64 => "BigInt64Array",
            TypedArray::BigUint64 => "BigUint64Array",
        }
    }
}

/// JS values with no Lua form. They are refused rather than copied as the (empty) table
/// of their own enumerable properties, which would lose their data silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    Symbol,
    /// A napi external (native data only the addon that made it can read).
    External,
    /// A Date, valid or not.
    Date,
    DataView,
    SharedArrayBuffer,
    RegExp,
    WeakMap,
    WeakSet,
    WeakRef,
    FinalizationRegistry,
    /// `new Number(1)`, `new String('x')`, `Object(1n)`...
    Boxed,
    /// A typed array of an element type no conversion knows (Float16Array).
    OtherTypedArray,
}

impl Unsupported {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Unsupported::Symbol => "symbol",
            Unsupported::External => "external",
            Unsupported::Date => "Date",
            Unsupported::DataView => "DataView",
            Unsupported::SharedArrayBuffer => "SharedArrayBuffer",
            Unsupported::RegExp => "RegExp",
            Unsupported::WeakMap => "WeakMap",
            Unsupported::WeakSet => "WeakSet",
            Unsupported::WeakRef => "WeakRef",
            Unsupported::FinalizationRegistry => "FinalizationRegistry",
            Unsupported::Boxed => "boxed primitive",
            Unsupported::OtherTypedArray => "typed array of another element type",
        }
    }
}

/// A `Uint8Array` argument that may be left out: `Some(None)` for `undefined`, `None`
/// for any other value (each adapter raises that as its own TypeError). The rule of
/// `openLog` and `sharedOp`, kept here so both adapters read their arguments alike.
pub fn optional_bytes<H: Host>(h: &mut H, v: &H::Value) -> Option<Option<Vec<u8>>> {
    match h.inspect(v) {
        Ok(JsKind::Bytes(b)) => Some(Some(b)),
        Ok(JsKind::Undefined) => Some(None),
        _ => None,
    }
}

/// The kind of an object from the code the JS layer's `objectKind(v)` returned
/// (lib/kinds.js: its `CODES` and `TYPED` lists are this function's, in the same order).
/// The kinds that carry data take it from the adapter: `length` reads an (array-like)
/// object's `length`, `bytes(uint8)` copies a view's or an ArrayBuffer's bytes (`uint8`:
/// the object is a Uint8Array, which an adapter may copy more directly).
pub fn object_kind<E>(
    code: u32,
    length: impl FnOnce() -> Result<u32, E>,
    bytes: impl FnOnce(bool) -> Result<Vec<u8>, E>,
) -> Result<JsKind, E> {
    const TYPED_BASE: u32 = 20;
    Ok(match code {
        1 => JsKind::Thenable,
        2 => JsKind::Array(length()?),
        3 => JsKind::Map,
        4 => JsKind::Set,
        5 => JsKind::Error,
        6 => JsKind::Buffer(bytes(false)?),
        7 => JsKind::Bytes(bytes(true)?),
        8 => JsKind::Unsupported(Unsupported::Date),
        9 => JsKind::Unsupported(Unsupported::DataView),
        10 => JsKind::Unsupported(Unsupported::SharedArrayBuffer),
        11 => JsKind::Unsupported(Unsupported::RegExp),
        12 => JsKind::Unsupported(Unsupported::WeakMap),
        13 => JsKind::Unsupported(Unsupported::WeakSet),
        14 => JsKind::Unsupported(Unsupported::WeakRef),
        15 => JsKind::Unsupported(Unsupported::FinalizationRegistry),
        16 => JsKind::Unsupported(Unsupported::Boxed),
        17 => JsKind::Unsupported(Unsupported::OtherTypedArray),
        c if c >= TYPED_BASE => match TypedArray::ALL.get((c - TYPED_BASE) as usize) {
            Some(t) => JsKind::Typed(*t, bytes(false)?),
            None => JsKind::Unsupported(Unsupported::OtherTypedArray),
        },
        _ => JsKind::Object,
    })
}

/// An error raised by the host while the core was using it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostError {
    pub message: String,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        HostError { message: message.into() }
    }
}

/// A JS function threw: its message, and the thrown value itself so that it can be
/// given back to JS as the `cause` of the resulting `LuaError`.
pub struct CallError<V> {
    pub message: String,
    pub exception: Option<V>,
}

pub type HostResult<T> = Result<T, HostError>;

/// Primitive access to a JS realm during one call into the engine.
///
/// `Value` is a handle valid for the duration of the call (a `napi_value`, a `JsValue`).
/// Values that must outlive a call are kept in numbered *slots* owned by the host; the
/// core allocates and frees slot numbers.
pub trait Host {
    type Value: Clone;

    // ---- constructing JS values
    fn undefined(&mut self) -> HostResult<Self::Value>;
    fn boolean(&mut self, b: bool) -> HostResult<Self::Value>;
    fn number(&mut self, n: f64) -> HostResult<Self::Value>;
    fn bigint(&mut self, n: i64) -> HostResult<Self::Value>;
    fn string(&mut self, s: &str) -> HostResult<Self::Value>;
    fn bytes(&mut self, b: &[u8]) -> HostResult<Self::Value>;
    fn new_array(&mut self, len: u32) -> HostResult<Self::Value>;
    fn array_set(&mut self, array: &Self::Value, index: u32, v: &Self::Value) -> HostResult<()>;
    fn new_object(&mut self) -> HostResult<Self::Value>;
    fn object_set(&mut self, obj: &Self::Value, key: &str, v: &Self::Value) -> HostResult<()>;
    /// A callable JS function that invokes the Lua function kept under `id`
    /// (the adapter delegates to the JS layer's factory).
    fn lua_function(&mut self, id: u32) -> HostResult<Self::Value>;

    // ---- reading JS values
    fn inspect(&mut self, v: &Self::Value) -> HostResult<JsKind>;
    fn array_get(&mut self, array: &Self::Value, index: u32) -> HostResult<Self::Value>;
    /// Own enumerable string-keyed properties, in JS order.
    fn object_entries(&mut self, obj: &Self::Value) -> HostResult<Vec<(String, Self::Value)>>;
    /// `obj[key]`, inherited properties included (an Error's `name` and `message`).
    fn get(&mut self, obj: &Self::Value, key: &str) -> HostResult<Self::Value>;
    /// The members of a Set ([`JsKind::Set`]), in JS order.
    fn set_values(&mut self, set: &Self::Value) -> HostResult<Vec<Self::Value>>;
    fn call(&mut self, f: &Self::Value, args: &[Self::Value]) -> Result<Self::Value, CallError<Self::Value>>;
    /// Whether `a` and `b` are the same JS value (`===`): two ext proxies are equal in Lua
    /// when they view the same Map.
    fn same(&mut self, a: &Self::Value, b: &Self::Value) -> HostResult<bool>;

    // ---- Map primitives (ext tables and Map conversion)
    fn new_map(&mut self) -> HostResult<Self::Value>;
    fn map_get(&mut self, map: &Self::Value, key: &Self::Value) -> HostResult<Self::Value>;
    fn map_set(&mut self, map: &Self::Value, key: &Self::Value, v: &Self::Value) -> HostResult<()>;
    fn map_delete(&mut self, map: &Self::Value, key: &Self::Value) -> HostResult<()>;
    fn map_has(&mut self, map: &Self::Value, key: &Self::Value) -> HostResult<bool>;
    fn map_size(&mut self, map: &Self::Value) -> HostResult<u32>;
    fn map_clear(&mut self, map: &Self::Value) -> HostResult<()>;
    fn map_entries(&mut self, map: &Self::Value) -> HostResult<Vec<(Self::Value, Self::Value)>>;
    /// The side Map hidden on `map` under a private symbol (created when `create`).
    /// The core keeps ext metadata there (which integral numbers are Lua floats).
    fn map_aux(&mut self, map: &Self::Value, create: bool) -> HostResult<Option<Self::Value>>;
    /// The `Map<string, Map>` of external tables (`lua.ext`).
    fn ext_root(&mut self) -> HostResult<Self::Value>;

    // ---- the undo journal of calls (journal.rs)
    /// `map_set` (or with `None`, `map_delete`) that first remembers `map`'s entry under
    /// `key`, and with `tagged` its float tag, as they were (absent included) at the end
    /// of the JS layer's journal: one host call, as a plain write is. The entry is
    /// remembered even when the change then fails. `tagged` is false while no Map of the
    /// VM can carry tags (`Shared::float_tags`): the tag lookup is skipped then.
    fn journal_set(&mut self, map: &Self::Value, key: &Self::Value, v: Option<&Self::Value>, tagged: bool) -> HostResult<()>;
    /// Drops the journal's entries past the first `keep`; with `undo`, first puts each
    /// back, newest first.
    fn journal_end(&mut self, keep: u32, undo: bool) -> HostResult<()>;

    /// A function of the JS layer's `hooks` (live references call `hooks.refOp`).
    fn hook_value(&mut self, name: &str) -> HostResult<Self::Value>;

    /// The values of a `multi(...values)` result (an Array), or `None` when `v` is not one:
    /// a JS function returns several values to Lua that way.
    fn multi_values(&mut self, v: &Self::Value) -> HostResult<Option<Self::Value>>;

    // ---- slots: JS values that outlive one call
    fn slot_set(&mut self, slot: u32, v: &Self::Value) -> HostResult<()>;
    fn slot_get(&mut self, slot: u32) -> HostResult<Self::Value>;
    fn slot_clear(&mut self, slot: u32) -> HostResult<()>;

    /// Attaches a no-op rejection handler to a thenable the core refused, so that its
    /// rejection, which nobody can await any more, never becomes an unhandled one (which
    /// ends a Node process).
    fn mute_rejection(&mut self, v: &Self::Value) -> HostResult<()>;

    // ---- environment
    /// Live print output (the `print` option), when the caller asked for it. A sink that
    /// throws fails the Lua `print` call like any throwing JS function.
    fn print(&mut self, text: &str) -> Result<(), CallError<Self::Value>>;
    /// The JS exception behind the last failed operation (a getter or Proxy trap that
    /// threw while a value was read), taken once: a callback's result that fails to
    /// convert then carries it as `cause`, like an exception the callback threw.
    fn take_exception(&mut self) -> Option<Self::Value> {
        None
    }
    /// Milliseconds from an arbitrary origin, monotonic enough for timeouts. Needs no
    /// host: finalizers run while `close` frees the state, outside any call, and a
    /// timeout must still stop them.
    fn now_ms() -> f64;
    /// Two random numbers to seed a new Lua state with (its string hashes and
    /// `math.random`), where the host has a better source than Lua's own: Lua takes the
    /// time in seconds and the state's address, which on wasm are the same in every
    /// instance, so VMs made in the same second, or copied from one memory image
    /// (docs/design.md, "The prepared VM"), would draw the same numbers and share one
    /// hash layout, collisions included. `None` keeps Lua's (natively, ASLR addresses).
    fn seeds() -> Option<[i64; 2]> {
        None
    }
    /// Whether another thread asked the running call to stop (the `interruptBuffer`
    /// option). Reading the request consumes it, so the next call starts clean.
    fn interrupted(&mut self) -> bool {
        false
    }
    /// Whether the JS thread is being torn down (a Worker's `terminate()`, or its
    /// process exiting): the call must end so the thread can. Hosts whose engine stops
    /// running code on its own (V8 stops wasm) leave [`Host::CHECKS_STOPPING`] false,
    /// and calls without limits then arm no check at all.
    fn stopping(&mut self) -> bool {
        false
    }
    /// See [`Host::stopping`].
    const CHECKS_STOPPING: bool = false;
    /// Opens a handle scope so that values created by one Lua callback are freed when it
    /// returns (napi); a no-op where the host has no such notion.
    fn open_scope(&mut self) -> usize {
        0
    }
    fn close_scope(&mut self, _token: usize) {}
}
