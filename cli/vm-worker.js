'use strict';
// The VM's thread. Lua calls are synchronous, so the VM lives here while the main
// thread keeps reading the terminal: Ctrl-C there sets the shared interrupt flag and the
// running chunk ends with a LuaError of kind 'interrupted' (globals and ext data stay).
//
// Requests (from session.js): { id, op, ...args }; replies: { id, ok, value | error }.
// print() output is posted as { print: text } before the reply of the chunk that wrote it.

const fs = require('fs');
const path = require('path');
const { parentPort, workerData } = require('worker_threads');
const { createLua } = require(workerData.root);
const { fileStorage } = require(path.join(workerData.root, 'lib', 'file-storage'));
const { errorInfo } = require('./format');
const { formatValues } = require('../lib/format-value');

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

/**
 * The default store (no --store) when its directory does not exist yet: made by the
 * first write, so a run that never writes an ext table (`-e 'print(1)'`) leaves no empty
 * .lua-persistent/ behind. Until then there is nothing to load and nothing is locked;
 * the first save creates the directory and takes the lock as opening it would have.
 */
function storeOnFirstWrite(dir) {
  if (fs.existsSync(dir)) return dir;
  let store = null;
  return {
    load: async () => undefined,
    async save(bytes) {
      if (store === null) {
        const s = fileStorage(dir);
        await s.open();
        store = s;
      }
      await store.save(bytes);
    },
    async close() {
      if (store !== null) await store.close();
    },
  };
}

const ops = {
  async open({ options: { storeOnFirstWrite: lazy, ...options }, args }) {
    if (lazy) options.storage = storeOnFirstWrite(options.storage);
    lua = await createLua({ ...options, interruptBuffer: flag, print: (text) => parentPort.postMessage({ print: text }) });
    // lua5.4's 'arg': the script name at 0, its arguments from 1.
    if (args) lua.setGlobal('arg', new Map(args.map((a, i) => [i, a])));
    return { backend: lua.backend };
  },
  /** Runs a chunk; its values come back as text (lib/format-value.js), formatted here
   * since functions and cyclic tables cannot cross the thread boundary. */
  exec({ code, chunkName }) {
    const values = lua.evalAll(code, { chunkName });
    return { count: values.length, text: formatValues(values) };
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
    parentPort.postMessage({ id: req.id, ok: true, value });
  } catch (e) {
    parentPort.postMessage({ id: req.id, ok: false, error: errorInfo(e) });
  }
});
