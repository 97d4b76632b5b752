//! The Lua chunks the core itself runs, loaded as Lua bytecode made from their sources.
//!
//! `plain`'s runners are made at every VM creation, the ext glue at a VM's first
//! `ext.table`. Parsed there, they cost every cold start the parse, and on wasm more: the
//! lexer's loop got hot enough for V8 to send `llex` to its optimising compiler while the
//! VM was being created, which on a 2-core machine slowed the start-up itself (with the
//! Node glue's clock change, cold start to first eval went from 1.01-1.08x wasmoon's to
//! 0.84-0.91x: docs/benchmarks.md, "Start-up, same run"). The bytecode is what
//! `string.dump` makes of each source with its debug information (chunk name, lines),
//! so error positions and tracebacks are unchanged. Lua 5.4's format is the same for
//! every little-endian target (4-byte instructions, 8-byte integers and floats; sizes
//! are written variable-length), and `lua_load` checks it.
//!
//! `cargo test -p lua-persistent-core precompiled` fails when a source changed without
//! its bytecode; `LUAP_BLESS=1` on that command rewrites the files.

use mlua::{ChunkMode, Function, Lua};

/// A chunk with its bytecode.
pub(crate) struct Chunk {
    name: &'static str,
    /// Not in the module where it is not needed (the bytecode is what runs).
    #[cfg(any(test, target_endian = "big"))]
    source: &'static str,
    bytecode: &'static [u8],
}

/// The `plain` runners' factory (see `plain::FACTORY`).
pub(crate) const PLAIN: Chunk = Chunk {
    name: "=plain",
    #[cfg(any(test, target_endian = "big"))]
    source: crate::plain::FACTORY,
    bytecode: include_bytes!("precompiled/plain.luac"),
};

/// The ext proxies' fast-path glue (see `ext_fast::GLUE`).
pub(crate) const EXT_GLUE: Chunk = Chunk {
    name: "=plain",
    #[cfg(any(test, target_endian = "big"))]
    source: crate::ext_fast::GLUE,
    bytecode: include_bytes!("precompiled/ext_glue.luac"),
};

impl Chunk {
    /// The bytecode on little-endian targets (all we build); a big-endian one, whose
    /// `lua_load` would refuse it, parses the source.
    pub(crate) fn load(&self, lua: &Lua) -> mlua::Result<Function> {
        #[cfg(target_endian = "big")]
        return self.parse(lua);
        #[cfg(target_endian = "little")]
        crate::chunk::own(lua, self.bytecode, self.name, ChunkMode::Binary)
    }

    #[cfg(any(test, target_endian = "big"))]
    fn parse(&self, lua: &Lua) -> mlua::Result<Function> {
        crate::chunk::own(lua, self.source.as_bytes(), self.name, ChunkMode::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_is_made_from_the_current_source() {
        let bless = std::env::var_os("LUAP_BLESS").is_some();
        for (chunk, file) in [(&PLAIN, "plain.luac"), (&EXT_GLUE, "ext_glue.luac")] {
            let lua = Lua::new();
            let dumped = chunk.parse(&lua).unwrap().dump(false);
            let path = format!("{}/src/precompiled/{file}", env!("CARGO_MANIFEST_DIR"));
            if bless {
                std::fs::write(&path, &dumped).unwrap();
            } else {
                assert!(dumped == chunk.bytecode, "{path} is stale: run `LUAP_BLESS=1 cargo test -p lua-persistent-core precompiled`");
            }
        }
    }

    #[test]
    fn bytecode_runs_like_its_source() {
        // SAFETY: mlua's unsafe state only allows binary chunks, and these are ours.
        let lua = unsafe { Lua::unsafe_new() };
        let (index, _newindex): (Function, Function) = EXT_GLUE.load(&lua).unwrap().call(()).unwrap();
        let fast = lua.create_function(|_, (_t, k): (mlua::Value, i64)| Ok((k > 0, k * 10))).unwrap();
        let slow = lua.create_function(|_, (_t, k): (mlua::Value, i64)| Ok(-k)).unwrap();
        let get: Function = index.call((fast, slow)).unwrap();
        assert_eq!(get.call::<i64>((mlua::Value::Nil, 4)).unwrap(), 40);
        assert_eq!(get.call::<i64>((mlua::Value::Nil, -4)).unwrap(), 4);
        let info = get.info();
        assert_eq!(info.source.as_deref(), Some("=plain"));
        assert_eq!(info.line_defined, Some(3));
    }
}
