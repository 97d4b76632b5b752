// The inspector's view of lua.ext, built in the worker: plain rows that survive
// postMessage (Maps of Maps do too, but the integral-float tags on them do not, and a
// 100k-entry table should not be cloned whole to draw a few hundred rows).
//
// Row: { key, type, value, size?, rows? }  key/value as display text; type one of
// string, integer, float, boolean, bytes, table; `rows` for nested tables.

import { formatNumber } from '../../lib/format-value.js';

/** Integral floats written by Lua are tagged on their Map under this symbol (lib/lua.js). */
const FLOATS = Symbol.for('lua-persistent.floats');
const MAX_ROWS = 1000; // rows per view in total; the rest is counted, not listed

function typeOf(v, isFloat) {
  if (v instanceof Map) return 'table';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return isFloat || !Number.isInteger(v) ? 'float' : 'integer';
  return typeof v;
}

function text(v, type) {
  if (type === 'string') return JSON.stringify(v);
  if (type === 'bytes') return `${v.length} bytes`;
  if (type === 'float') return Number.isInteger(v) ? `${v}.0` : formatNumber(v);
  if (type === 'integer') return formatNumber(v);
  return String(v);
}

/** Keys as in a Lua constructor: names bare, other keys bracketed (integral float
 * keys normalise to integers in Lua, so a number key is never tagged). */
function keyText(k) {
  if (typeof k === 'string') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `[${JSON.stringify(k)}]`;
  return `[${text(k, typeOf(k, false))}]`;
}

const RANK = { number: 0, bigint: 0, string: 1, boolean: 2 };

/** Lua's canonical key order (as in snapshots): numbers ascending, strings, booleans. */
function compareKeys(a, b) {
  const ra = RANK[typeof a];
  const rb = RANK[typeof b];
  if (ra !== rb) return ra - rb;
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function describeMap(map, budget) {
  const floats = map[FLOATS];
  const rows = [];
  for (const k of [...map.keys()].sort(compareKeys)) {
    const v = map.get(k);
    if (budget.left <= 0) {
      rows.push({ key: '…', type: '', value: `${map.size - rows.length} more entries not shown` });
      break;
    }
    budget.left--;
    const type = typeOf(v, floats instanceof Map && floats.has(k));
    const row = { key: keyText(k), type, value: type === 'table' ? `${v.size} ${v.size === 1 ? 'entry' : 'entries'}` : text(v, type) };
    if (type === 'table') {
      row.size = v.size;
      row.rows = describeMap(v, budget);
    }
    rows.push(row);
  }
  return rows;
}

/** Every ext table: [{ name, size, rows }], names sorted. */
export function describeTables(ext) {
  const budget = { left: MAX_ROWS };
  return [...ext.keys()].sort().map((name) => {
    const map = ext.get(name);
    return { name, size: map.size, rows: describeMap(map, budget) };
  });
}
