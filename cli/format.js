'use strict';
// Text for errors, shaped like lua5.4's: 'chunk:line: message' followed by the
// traceback. Values are printed by lib/format-value.js (shared with the playground).

/** What crosses from the VM thread for an error (LuaError fields, or a plain Error's). */
function errorInfo(e) {
  if (e && e.name === 'LuaError') {
    const { kind, message, line, chunkName, traceback, exitCode } = e;
    return { kind, message, line, chunkName, traceback, exitCode };
  }
  return { kind: 'host', message: String((e && e.message) || e) };
}

/** Globals lua5.4 has that the safe stdlib leaves out (crates/core: no files, no modules). */
const UNSAFE_GLOBAL = /\(global '(require|package|dofile|loadfile|io)'\)$/;

/** A line pointing at --stdlib all when a chunk met a global the safe stdlib leaves out:
 * without it, "attempt to call a nil value (global 'require')" does not say why. */
function stdlibHint(info, stdlib) {
  const m = stdlib === 'safe' && info.kind === 'runtime' ? UNSAFE_GLOBAL.exec(info.message) : null;
  return m ? `\n(${m[1]} is not in the safe standard library; use --stdlib all for trusted code)` : '';
}

/** Error text for stderr. The storage layer's messages already carry the program name.
 * `stdlib`: the VM's, for the hint about globals the safe one leaves out. */
function formatError(info, { prefix = '', traceback = true, stdlib } = {}) {
  const message = info.message.replace(/^lua-persistent: /, '');
  const tb = traceback && info.kind === 'runtime' && info.traceback ? `\n${info.traceback}` : '';
  return `${prefix}${message}${tb}${stdlibHint(info, stdlib)}`;
}

/** Whether a syntax error only says the chunk ended too early (the REPL then asks for more). */
const isIncomplete = (info) => info.kind === 'syntax' && /<eof>$/.test(info.message);

module.exports = { errorInfo, formatError, isIncomplete };
