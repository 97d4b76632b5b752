// The playground's Lua VM lives here, off the page's thread: a runaway script blocks
// this worker only, and the page's Stop button ends it with worker.terminate(). The ext
// tables persist in IndexedDB (autosave after every run that changed them), so a new
// worker started after a Stop or a page reload loads them back.
//
// Protocol (see client.js): the worker first posts { type: 'ready', tables, recovery }
// or { type: 'fatal', message }; then answers each { id, op, ...args } with
// { id, result } or { id, error }.
import { createLua } from 'lua-persistent';
import { formatValues } from './format.js';
import { describeTables } from './tables.js';

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

/** Settles once the database is gone; another tab holding it open blocks that. */
function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`IndexedDB database "${name}" is open in another tab: close it and clear again`));
  });
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
    await lua.close(); // releases the IndexedDB connection so the delete is not blocked
    lua = null;
    await deleteDatabase(DB);
    lua = await open();
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
