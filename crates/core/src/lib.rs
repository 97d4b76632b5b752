//! lua-persistent core: a Lua 5.4 VM with external tables stored in a JavaScript host.
//!
//! The crate knows nothing of napi or wasm-bindgen. Adapters implement [`Host`] with
//! primitive JS operations and expose [`Engine`]; every rule lives here.

mod changes;
mod chunk;
mod convert;
mod engine;
mod error;
mod ext;
mod ext_fast;
mod host;
mod journal;
mod jsref;
mod limits;
mod modules;
mod options;
mod plain;
mod precompiled;
mod print;
mod proxy;
mod quota;
pub mod record;
pub mod report;
mod sandbox;
mod seen;
mod shared;
pub mod sharing;
mod sort;
pub mod snapshot;
mod stored;

// Links the Lua C library (mlua-sys is built with `external`).
use lua_persistent_sys as _;

pub use engine::awaits::{AsyncTarget, Step};
pub use engine::{Engine, MemoryStats, Outcome, Stats, Want};
pub use error::{parse_position, ErrorCode, ErrorKind, LuaError};
pub use host::{object_kind, optional_bytes, CallError, Host, HostError, HostResult, JsKind, TypedArray, Unsupported};
pub use options::{CallOptions, Options, Stdlib, DEFAULT_CHUNK_NAME, DEFAULT_MEMORY_LIMIT, DEFAULT_STORAGE_LIMIT, DEFAULT_TIMEOUT_MS};
pub use shared::OUTPUT_LIMIT;
pub use sharing::SharedOp;
pub use stored::{Key, Stored};

/// The Lua version string this build runs ("Lua 5.4").
pub const LUA_VERSION: &str = "Lua 5.4";
