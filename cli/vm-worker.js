'use strict';
// The VM's thread. Lua calls are synchronous, so the VM lives here while the main
// thread keeps reading the terminal: Ctrl-C there sets the shared interrupt flag and the
// running chunk ends with a LuaError of kind 'interrupted' (globals and ext data stay).
//
// Requests (from session.js): { id, op, ...args }; replies: { id, ok, value | error }.
// print() output is posted as { print: text } before the reply of the chunk that wrote it.

const { parentPort, workerData } = require('worker_threads');
const { createLua } = require(workerData.root);
const { errorInfo } = require('./format');

const flag = workerData.interruptBuffer;
let lua = null;

/** Runs `line` as an expression list; its values come back already formatted by tostring,
 * so floats keep their '.0' and tables print as 'table: 0x...', as in lua5.4. */
function evalExpression(line, chunkName) {
  // The newline keeps a trailing '--' comment from swallowing the closing parenthesis.
  const code = `local t = table.pack(${line}\n) for i = 1, t.n do t[i] = tostring(t[i]) end ` +
    "return t.n, table.concat(t, '\\t', 1, t.n)";
  const [n, text] = lua.evalAll(code, { chunkName });
  return { count: n, text };
}

function tables() {
  return [...lua.ext].map(([name, map]) => ({ name, size: map.size })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

const ops = {
  async open({ options, args }) {
    lua = await createLua({ ...options, interruptBuffer: flag, print: (text) => parentPort.postMessage({ print: text }) });
    // lua5.4's 'arg': the script name at 0, its arguments from 1.
    if (args) lua.setGlobal('arg', new Map(args.map((a, i) => [i, a])));
    return { backend: lua.backend };
  },
  exec({ code, chunkName }) {
    return lua.evalAll(code, { chunkName });
  },
  expression({ code, chunkName }) {
    return evalExpression(code, chunkName);
  },
  tables,
  async save() {
    await lua.save();
  },
  async close() {
    if (lua) await lua.close();
    lua = null;
  },
};

parentPort.on('message', async (req) => {
  // A Ctrl-C that arrived after the previous chunk ended must not stop this one.
  Atomics.store(flag, 0, 0);
  try {
    const value = await ops[req.op](req);
    parentPort.postMessage({ id: req.id, ok: true, value: plain(value) });
  } catch (e) {
    parentPort.postMessage({ id: req.id, ok: false, error: errorInfo(e) });
  }
});

/** Values cross the thread boundary by structured clone, which refuses functions. */
function plain(v, seen = new Map()) {
  if (typeof v === 'function') return { luaFunction: true };
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (seen.has(v)) return seen.get(v);
  const tag = Object.prototype.toString.call(v);
  const out = tag === '[object Map]' ? new Map() : Array.isArray(v) ? [] : {};
  seen.set(v, out);
  if (out instanceof Map) for (const [k, x] of v) out.set(plain(k, seen), plain(x, seen));
  else for (const k of Object.keys(v)) out[k] = plain(v[k], seen);
  return out;
}
