// The playground's Lua VM lives here, off the page's thread: a runaway script blocks
// this worker only, and the page's Stop button ends it with worker.terminate(). The ext
// tables persist in IndexedDB (autosave after every run that changed them), so a new
// worker started after a Stop or a page reload loads them back.
//
// Protocol (see client.js): the worker first posts { type: 'ready', tables, recovery }
// or { type: 'fatal', message }; then answers each { id, op, ...args } with
// { id, result } or { id, error }.
import { createLua } from 'lua-persistent';
import { formatValues } from '../../lib/format-value.js';
import { describeTables } from './tables.js';
import { createStore, clear } from 'idb-keyval';

const params = new URL(self.location.href).searchParams;
const DB = params.get('db') || 'lua-playground';
const TIMEOUT = Number(params.get('timeout')) || 5000;
const MAX_OUTPUT = 200000; // characters of print() output sent to the page per run
const CHUNK = 'playground'; // error messages read "playground:3: ..."

let lua = null;

function open() {
  return createLua({
    backend: 'wasm',
    storage: `indexeddb:${DB}`,
    autosave: true,
    timeout: TIMEOUT,
    memoryLimit: 64 * 1024 * 1024,
  });
}

/**
 * Empties the object store the VM's storage uses (web/storage.js: database DB, store
 * 'snapshots': the snapshot, its previous copy, any damaged copies kept aside). Clearing
 * the store, unlike deleting the database, is an ordinary transaction: another tab with
 * the database open cannot block it.
 */
async function clearStorage() {
  const store = createStore(DB, 'snapshots');
  await clear(store);
  await store('readonly', (s) => s.transaction.db.close());
}

/** A save failure must not look like a failed run: it is reported next to the result. */
async function saved() {
  try {
    await lua.save();
    return undefined;
  } catch (e) {
    return `could not save to IndexedDB: ${e.message}`;
  }
}

/** `line` only when it is a line of the editor's code (not of a chunk it load()ed). */
/** Keeps the start and end of huge print() output: the page must stay quick to draw. */
function clip(text) {
  if (text.length <= MAX_OUTPUT) return text;
  const half = MAX_OUTPUT / 2;
  return `${text.slice(0, half)}\n... (${text.length - MAX_OUTPUT} characters left out) ...\n${text.slice(-half)}`;
}

function errorInfo(e) {
  const line = e.chunkName === CHUNK ? e.line : undefined;
  return { kind: e.kind, message: e.message, line, traceback: e.traceback };
}

const ops = {
  async run({ code }) {
    const r = lua.run(code, { chunkName: CHUNK });
    return {
      ok: r.ok,
      values: formatValues(r.values),
      count: r.values.length,
      output: clip(r.output),
      error: r.error && errorInfo(r.error),
      ms: r.stats && r.stats.durationMs,
      saveError: await saved(),
    };
  },
  tables() {
    return describeTables(lua.ext);
  },
  snapshot() {
    return lua.snapshot();
  },
  async restore({ bytes }) {
    lua.restore(bytes); // a bad file throws and changes nothing
    const saveError = await saved();
    if (saveError) throw new Error(saveError);
    return lua.ext.size;
  },
  async clear() {
    await lua.close(); // writes any pending save first, so nothing lands after the clear
    lua = null;
    try {
      await clearStorage();
    } finally {
      lua = await open(); // empty now, or (if clearing failed) the data as it was
    }
  },
};

let queue = Promise.resolve(); // one request at a time, in order

self.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      if (!lua) throw new Error('the VM is not available');
      const op = ops[data.op];
      if (!op) throw new Error(`unknown request ${JSON.stringify(data.op)}`);
      self.postMessage({ id: data.id, result: await op(data) });
    } catch (e) {
      self.postMessage({ id: data.id, error: { kind: e.kind, message: String((e && e.message) || e) } });
    }
  });
};

open().then(
  (vm) => {
    lua = vm;
    const recovery = vm.recovery && { message: vm.recovery.error.message, keptAs: vm.recovery.keptAs };
    self.postMessage({ type: 'ready', tables: vm.ext.size, timeout: TIMEOUT, recovery });
  },
  (e) => self.postMessage({ type: 'fatal', message: String((e && e.message) || e) }),
);
