// Values returned by a run, as text the way the Lua REPL prints them: several values
// tab-separated, strings raw at the top level. Tables arrive as JS arrays, objects or
// Maps (see docs/design.md "Values") and are shown as Lua constructors, capped so a huge
// result cannot flood the page. Runs in the worker: only strings cross to the page.

const MAX_ITEMS = 50; // entries shown per table
const MAX_DEPTH = 4;
const MAX_CHARS = 20000; // per value

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A Lua number the way tostring() writes it (integral floats are plain JS numbers here). */
export function formatNumber(n) {
  if (typeof n === 'bigint') return String(n);
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0.0';
  return String(n);
}

/** Byte strings that are not UTF-8: printable ASCII kept, the rest as \xNN. */
function bytesText(bytes) {
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

function quote(s) {
  return JSON.stringify(s);
}

function keyText(k) {
  if (typeof k === 'string' && IDENT.test(k)) return k;
  return `[${nested(k, MAX_DEPTH)}]`;
}

/** A table's entries as [key, value] pairs, whatever JS shape it arrived in. */
function tableEntries(v) {
  if (Array.isArray(v)) return v.map((x, i) => [i + 1, x]);
  if (v instanceof Map) return [...v];
  return Object.entries(v);
}

/** Keys exactly 1..n (a Map copied from an ext table can be a sequence too). */
function isSequence(entries) {
  return entries.every(([k], i) => k === i + 1);
}

function tableText(v, depth) {
  if (depth <= 0) return '{...}';
  const entries = tableEntries(v);
  const seq = entries.length > 0 && isSequence(entries);
  const parts = entries.slice(0, MAX_ITEMS).map(([k, x]) => (seq ? nested(x, depth - 1) : `${keyText(k)} = ${nested(x, depth - 1)}`));
  if (entries.length > MAX_ITEMS) parts.push(`... (${entries.length - MAX_ITEMS} more)`);
  return parts.length ? `{${parts.join(', ')}}` : '{}';
}

/** A value inside a table: strings quoted. */
function nested(v, depth) {
  if (typeof v === 'string') return quote(v);
  if (v instanceof Uint8Array) return `"${bytesText(v)}"`;
  return formatValue(v, depth);
}

/** One value at the top level (strings raw, like print). */
export function formatValue(v, depth = MAX_DEPTH) {
  let s;
  if (v === undefined || v === null) s = 'nil';
  else if (typeof v === 'number' || typeof v === 'bigint') s = formatNumber(v);
  else if (typeof v === 'boolean' || typeof v === 'string') s = String(v);
  else if (typeof v === 'function') s = 'function';
  else if (v instanceof Uint8Array) s = bytesText(v);
  else if (typeof v === 'object') s = tableText(v, depth);
  else s = String(v);
  return s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}... (${s.length - MAX_CHARS} more characters)` : s;
}

/** All returned values on one line, tab-separated ('' when nothing was returned). */
export function formatValues(values) {
  return values.map((v) => formatValue(v)).join('\t');
}
