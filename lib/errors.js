'use strict';
// LuaError and the backend error infos it is made from. Backends throw plain info
// objects ({ kind, message, chunkName, line, traceback, exitCode?, code?, cause? },
// built by crates/core/src/report.rs); this module turns them into LuaErrors.

// The same list, in the same order, as crates/core/src/error.rs ErrorKind::ALL and
// index.d.ts LuaErrorKind (a core test compares the three).
const KINDS = ['syntax', 'runtime', 'memory', 'timeout', 'instructions', 'ext', 'closed', 'interrupted', 'crashed', 'storage'];

class LuaError extends Error {
  constructor(info) {
    super(info.message, info.cause !== undefined ? { cause: info.cause } : undefined);
    this.name = 'LuaError';
    /** @type {'syntax'|'runtime'|'memory'|'timeout'|'instructions'|'ext'|'closed'|'interrupted'|'crashed'|'storage'} */
    this.kind = info.kind;
    this.luaMessage = info.message;
    this.chunkName = info.chunkName;
    this.line = info.line;
    this.traceback = info.traceback;
    /** Set when the script called os.exit (stdlib 'all'): the status it asked for. */
    if (info.exitCode !== undefined) this.exitCode = info.exitCode;
    /** A machine-readable marker for failures callers react to by type (crates/core
     * ErrorCode): 'newer-format' when a snapshot was written by a newer version. */
    if (info.code !== undefined) this.code = info.code;
  }
}

function isInfo(e) {
  return e !== null && typeof e === 'object' && !(e instanceof Error) && KINDS.includes(e.kind);
}

/** Backend errors arrive as info objects; anything else is a bug surfaced as-is. */
function toError(e) {
  if (isInfo(e)) return new LuaError(e);
  if (typeof e === 'string') return new LuaError({ kind: 'runtime', message: e });
  return e;
}

module.exports = { KINDS, LuaError, toError };
