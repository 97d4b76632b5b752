//! Loading Lua chunks under names of ours.
//!
//! Source from a host runs as a chunk named `=name` (Lua's `=` prefix: messages show
//! `eval:1:` rather than `[string "..."]:1:`), in text mode only (bytecode from a host
//! is refused). mlua's `Lua::load` names a chunk after its Rust caller (`@file:line`,
//! formatted on every load) unless the chunk names itself, so these chunks name
//! themselves: a load formats nothing, and a VM's first eval compiles no formatting
//! code on wasm.

use std::borrow::Cow;
use std::io::Result as IoResult;

use mlua::{AsChunk, ChunkMode, Function, Lua};

/// A chunk that carries its name (`prefix` + `name`) and mode.
struct Named<'a> {
    code: &'a [u8],
    prefix: &'static str,
    name: &'a str,
    mode: ChunkMode,
}

impl AsChunk for Named<'_> {
    fn name(&self) -> Option<String> {
        Some([self.prefix, self.name].concat())
    }

    fn mode(&self) -> Option<ChunkMode> {
        Some(self.mode)
    }

    fn source<'a>(&self) -> IoResult<Cow<'a, [u8]>>
    where
        Self: 'a,
    {
        Ok(Cow::Borrowed(self.code))
    }
}

/// Compiles a host's Lua source `code` into a function named `=name`.
pub(crate) fn from_host(lua: &Lua, code: &[u8], name: &str) -> mlua::Result<Function> {
    lua.load(Named { code, prefix: "=", name, mode: ChunkMode::Text }).into_function()
}

/// Loads one of the core's own chunks: `name` is Lua's chunk name as is.
pub(crate) fn own(lua: &Lua, code: &[u8], name: &'static str, mode: ChunkMode) -> mlua::Result<Function> {
    lua.load(Named { code, prefix: "", name, mode }).into_function()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_chunks_are_named_as_given_and_refuse_bytecode() {
        let lua = Lua::new();
        let err = from_host(&lua, b"error('x')", "script.lua").unwrap().call::<()>(()).unwrap_err();
        assert!(err.to_string().contains("script.lua:1: x"), "{err}");
        let dumped = from_host(&lua, b"return 1", "a").unwrap().dump(false);
        assert!(from_host(&lua, &dumped, "b").is_err(), "bytecode must be refused in text mode");
    }

    #[test]
    fn own_chunks_keep_their_name_and_mode() {
        let lua = Lua::new();
        let dumped = from_host(&lua, b"error('y')", "a").unwrap().dump(false);
        let err = own(&lua, &dumped, "=plain", ChunkMode::Binary).unwrap().call::<()>(()).unwrap_err();
        assert!(err.to_string().contains("a:1: y"), "bytecode keeps the name it was dumped with: {err}");
        let err = own(&lua, b"error('z')", "=plain", ChunkMode::Text).unwrap().call::<()>(()).unwrap_err();
        assert!(err.to_string().contains("plain:1: z"), "{err}");
    }
}
