'use strict';
// Text for values and errors, shaped like lua5.4's: values tab-separated, errors as
// 'chunk:line: message' followed by the traceback.

/** What crosses from the VM thread for an error (LuaError fields, or a plain Error's). */
function errorInfo(e) {
  if (e && e.name === 'LuaError') {
    const { kind, message, line, chunkName, traceback, exitCode } = e;
    return { kind, message, line, chunkName, traceback, exitCode };
  }
  return { kind: 'host', message: String((e && e.message) || e) };
}

/** One value returned by a statement chunk, Lua-like (tables shown by content). */
function formatValue(v, depth = 0) {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return depth ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return depth ? JSON.stringify(Buffer.from(v).toString('latin1')) : Buffer.from(v).toString('latin1');
  if (v.luaFunction) return 'function';
  if (depth > 3) return '{...}';
  const entries = v instanceof Map ? [...v] : Array.isArray(v) ? null : Object.entries(v);
  if (!entries) return `{${v.map((x) => formatValue(x, depth + 1)).join(', ')}}`;
  const key = (k) => (typeof k === 'string' && /^[A-Za-z_]\w*$/.test(k) ? k : `[${formatValue(k, depth + 1)}]`);
  return `{${entries.map(([k, x]) => `${key(k)} = ${formatValue(x, depth + 1)}`).join(', ')}}`;
}

const formatValues = (values) => values.map((v) => formatValue(v)).join('\t');

/** Error text for stderr. The storage layer's messages already carry the program name. */
function formatError(info, { prefix = '', traceback = true } = {}) {
  const message = info.message.replace(/^lua-persistent: /, '');
  const tb = traceback && info.kind === 'runtime' && info.traceback ? `\n${info.traceback}` : '';
  return `${prefix}${message}${tb}`;
}

/** Whether a syntax error only says the chunk ended too early (the REPL then asks for more). */
const isIncomplete = (info) => info.kind === 'syntax' && /<eof>$/.test(info.message);

module.exports = { errorInfo, formatValue, formatValues, formatError, isIncomplete };
