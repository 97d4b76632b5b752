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

/** Error text for stderr. The storage layer's messages already carry the program name. */
function formatError(info, { prefix = '', traceback = true } = {}) {
  const message = info.message.replace(/^lua-persistent: /, '');
  const tb = traceback && info.kind === 'runtime' && info.traceback ? `\n${info.traceback}` : '';
  return `${prefix}${message}${tb}`;
}

/** Whether a syntax error only says the chunk ended too early (the REPL then asks for more). */
const isIncomplete = (info) => info.kind === 'syntax' && /<eof>$/.test(info.message);

module.exports = { errorInfo, formatError, isIncomplete };
