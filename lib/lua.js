'use strict';
// The Lua class: one VM over a loaded backend (lib/backends.js). Backends are thin:
// they expose a `Vm` class whose methods take and return plain JS values, with errors
// thrown as plain info objects that lib/errors.js turns into `LuaError`s. Every rule
// about Lua values lives in the Rust core; this file only holds what is JavaScript by
// nature (classes, promises, finalization, the compiled-chunk cache).

const { LuaError, toError } = require('./errors');
const { DEFAULTS, limitOption, interruptOption } = require('./options');
const { makeJournal } = require('./journal');
const { multiValues } = require('./multi');
const { refTarget, refOp } = require('./ref');
const { objectKind, viewBytes, setValues } = require('./kinds');

// lib/persist.js is required on first need only (see `persistence`): a VM with the
// default 'memory' storage never loads it unless save() is called.
const persist = () => require('./persist');

/** The id of the Lua function a JS wrapper calls (see `callAll`). */
const LUA_FUNCTION = Symbol('lua-persistent.function');

/** Integral floats written by Lua are tagged on their Map under this symbol. */
const AUX = Symbol.for('lua-persistent.floats');

function mapEntries(m) {
  const out = [];
  for (const [k, v] of m) out.push(k, v);
  return out;
}

/**
 * Compiled-chunk cache: `eval` of a source seen before calls the function compiled the
 * first time instead of parsing again (the parser and the string copy into the backend
 * are most of a small eval's cost). Small sources only; the oldest leaves first.
 * Sources that mention `_ENV` are never cached: assigning `_ENV` in a main chunk
 * changes its upvalue, which a second run of the same function would see.
 */
const CHUNK_CACHE_ENTRIES = 128;
const CHUNK_CACHE_MAX_LENGTH = 4096;

const CLOSED = 'the Lua VM is closed';
/** What a cancelled wait rejects with (see `_waitFor`). */
const CANCELLED = Symbol('cancelled');

/** A rejection reason as Lua sees it: an Error's message, else its string form. */
function rejectionText(e) {
  try {
    if (e !== null && typeof e === 'object' && typeof e.message === 'string') return e.message;
    return `a Promise was rejected with ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`;
  } catch {
    return 'a Promise was rejected';
  }
}
const CRASHED = 'this VM crashed and is gone (its ext tables are kept: save() and close() still write them); create a new VM';

class Lua {
  constructor(impl, backend, options) {
    const stdlib = options.stdlib === undefined ? DEFAULTS.stdlib : options.stdlib;
    if (stdlib !== 'safe' && stdlib !== 'all') {
      throw new TypeError("createLua: stdlib must be 'safe' or 'all'");
    }
    if (options.print !== undefined && typeof options.print !== 'function') {
      throw new TypeError('createLua: print must be a function');
    }
    const userPrint = options.print;
    const interruptBuffer = interruptOption(options);
    this._backend = backend;
    this._fallbackReason = undefined;
    this._closed = false;
    /** Why every call now fails ({ kind, message } of a LuaError), or null while usable. */
    this._ended = null;
    /** The trap that lost the VM (wasm), or null. */
    this._crash = null;
    const self = this;
    const registry = new FinalizationRegistry((id) => self._releaseRef(id));
    this._hooks = {
      ...makeJournal(AUX),
      Map,
      ext: new Map(),
      slots: [],
      auxSymbol: AUX,
      mapEntries,
      objectKind,
      viewBytes,
      setValues,
      interruptBuffer,
      print: userPrint || ((text) => console.log(text)),
      /** A Promise Lua refused (synchronous calls cannot wait): its rejection is nobody's. */
      muteRejection(p) {
        Promise.resolve(p).then(undefined, () => {});
      },
      multiValues,
      refTarget,
      refOp,
      makeFunction(id) {
        const f = (...args) => self._call(() => self._vm.callRef(self._hooks, id, args, undefined, 0, true));
        Object.defineProperty(f, LUA_FUNCTION, { value: id });
        registry.register(f, id);
        return f;
      },
    };
    this._echoInRun = userPrint !== undefined;
    /** source (prefixed by chunk name) -> compiled function id; see CHUNK_CACHE_ENTRIES. */
    this._chunks = new Map();
    /** Async calls run one after another (see `_async`). */
    this._asyncQueue = Promise.resolve();
    this._asyncRunning = 0;
    this._cancelWait = null;
    this._cancelled = null;
    this._impl = impl;
    this._options = {
      stdlib,
      memoryLimit: limitOption(options, 'memoryLimit'),
      timeout: limitOption(options, 'timeout'),
      instructionLimit: limitOption(options, 'instructionLimit'),
      storageLimit: limitOption(options, 'storageLimit'),
      interruptBuffer,
    };
    this._modules = modulesOption(options.modules);
    this._vm = impl.create(this._hooks, this._options);
    this._defineModules();
    this._persist = persistence(this, options);
  }

  /** The live external tables: Map<tableName, Map>. */
  get ext() {
    return this._hooks.ext;
  }

  /** The backend holds this one Map: a replacement would be ignored by Lua and by saves. */
  set ext(value) {
    throw new TypeError('lua.ext cannot be replaced: change the Map in place (lua.ext.clear(), lua.ext.set(name, map)) or load a snapshot with lua.restore(bytes)');
  }

  /** When the stored snapshot could not be read at load: { error, keptAs, usedPrevious }. */
  get recovery() {
    return this._persist.recovery;
  }

  /** Whether Lua changed ext data since last asked. A crash counts as a change, once:
   * the trapping call may have written some Maps before it died, and the lost VM's own
   * flag is gone with it (identical bytes are not written again anyway). */
  _takeDirty() {
    if (this._ended === null) return this._vm.takeDirty();
    if (this._crash === null || this._closed || this._crash.saved) return false;
    this._crash.saved = true;
    return true;
  }

  /** Whether the VM is gone (closed, or crashed: its ext Maps are still saveable). */
  _lost() {
    return this._ended !== null;
  }

  /** Loads an incremental store (see the core's `Engine::open_log`): { records, torn, damaged }. */
  _openLog(snapshot, log) {
    return this._guard(() => this._vm.openLog(this._hooks, snapshot, log));
  }

  /** The change record of what Lua changed since the last one: undefined, bytes, or
   * true when a whole snapshot is due (see the core's `Engine::take_record`). */
  _takeRecord() {
    return this._guard(() => this._vm.takeRecord(this._hooks));
  }

  /** Frees a Lua function id whose JS wrapper was collected. Runs from a finalizer,
   * outside any call: it must never throw. */
  _releaseRef(id) {
    if (this._ended !== null) return;
    try {
      this._vm.releaseRef(id);
    } catch (e) {
      this._failure(e);
    }
  }

  /** A call into Lua: translated errors, then autosave bookkeeping. */
  _call(fn) {
    try {
      return this._guard(fn);
    } finally {
      this._persist.afterCall();
    }
  }

  /** 'native' or 'wasm'. */
  get backend() {
    return this._backend;
  }

  /** Why `backend: 'auto'` did not give the native addon (undefined when it did, or
   * when a backend was asked for by name). */
  get fallbackReason() {
    return this._fallbackReason;
  }

  _guard(fn) {
    if (this._ended !== null) throw new LuaError(this._ended);
    let result;
    try {
      result = fn();
    } catch (e) {
      throw this._failure(e);
    }
    // A call nested in this one (a JS callback calling eval) trapped: this call's own
    // frames ran on in the dead instance and their result means nothing.
    if (this._crash !== null) throw this._crashed();
    return result;
  }

  /** The error to report for a failed backend call. A trap loses this VM (and only it:
   * each wasm VM has a module instance of its own): every later call fails with kind
   * 'crashed', the instance is let go (its memory returns to the JS engine), and the
   * ext Maps, which live in JS, stay readable and writable to storage. */
  _failure(e) {
    // Whatever the outer frames of a call whose nested call trapped throw, the VM is gone.
    if (this._crash !== null) return this._crashed();
    if (this._ended !== null) return toError(e);
    if (!this._impl.isTrap(this._vm, e)) {
      const error = toError(e);
      // A native VM lost to an internal error: its calls' ext changes are undone here,
      // as the core can no longer do it.
      if (error.kind === 'crashed') this._hooks.journalEnd(0, true);
      return error;
    }
    // A trap: every call in progress failed; their ext changes are undone (the journal
    // lives here, in JS, so the dead instance is not needed for that).
    this._hooks.journalEnd(0, true);
    const message = `wasm trap (${e && e.message}): ${CRASHED}`;
    // Formatting the stack now drops the frames V8 keeps until then, which hold the
    // dead instance (and so its memory) for as long as the error lives.
    if (e !== null && typeof e === 'object') void e.stack;
    this._crash = { error: e, message, saved: false };
    this._ended = { kind: 'crashed', message };
    this._chunks.clear();
    this._impl.discard(this._vm);
    this._vm = null;
    return this._crashed();
  }

  _crashed() {
    return new LuaError({ kind: 'crashed', message: this._crash.message, cause: this._crash.error });
  }

  _code(code) {
    if (typeof code !== 'string') throw new TypeError('Lua code must be a string');
    return code;
  }

  /** A chunk name is a C string inside Lua: a number or a NUL would reach the backend's
   * argument conversion (on wasm a panic, which loses the VM). */
  _chunkName(opts) {
    const name = opts ? opts.chunkName : undefined;
    if (name === undefined || name === null) return undefined;
    if (typeof name !== 'string' || name.includes('\0')) throw new TypeError('chunkName must be a string without NUL characters');
    return name;
  }

  _timeout(opts) {
    if (!opts || opts.timeout === undefined) return undefined;
    const t = opts.timeout;
    if (t === Infinity || t === 0) return 0;
    if (typeof t !== 'number' || !(t > 0)) throw new TypeError('timeout must be a positive number of milliseconds');
    return t;
  }

  /** Runs a chunk, its arguments checked by the caller (`_code`, `_chunkName`,
   * `_timeout`: TypeErrors, also from run), through the compiled-chunk cache.
   * mode: 0 first value, 1 all, 2 run report. */
  _exec(src, name, timeout, mode, echo) {
    return this._call(() => {
      const id = this._compiled(src, name);
      return id === undefined
        ? this._vm.exec(this._hooks, src, name, timeout, mode, echo)
        : this._vm.callRef(this._hooks, id, [], timeout, mode, echo);
    });
  }

  /** The cached function id for this source, compiling it on first sight; undefined when
   * it is not cacheable or does not compile (exec then reports the error its usual way). */
  _compiled(src, name) {
    if (src.length > CHUNK_CACHE_MAX_LENGTH) return undefined;
    const key = name === undefined ? src : `${name}\0${src}`;
    const chunks = this._chunks;
    let id = chunks.get(key);
    // First in, first out: refreshing an entry on every hit (delete + set) costs more
    // than recompiling the rare hot source that ages out.
    if (id !== undefined) return id;
    if (src.includes('_ENV')) return undefined;
    try {
      id = this._vm.compile(this._hooks, src, name);
    } catch (e) {
      if (this._impl.isTrap(this._vm, e)) throw e;
      return undefined;
    }
    chunks.set(key, id);
    if (chunks.size > CHUNK_CACHE_ENTRIES) {
      const [oldest, oldId] = chunks.entries().next().value;
      chunks.delete(oldest);
      this._vm.releaseRef(oldId);
    }
    return id;
  }

  /** Runs code; returns its first result. Throws LuaError. */
  eval(code, opts) {
    return this._exec(this._code(code), this._chunkName(opts), this._timeout(opts), 0, true);
  }

  /** Runs code; returns all its results as an array. Throws LuaError. */
  evalAll(code, opts) {
    return this._exec(this._code(code), this._chunkName(opts), this._timeout(opts), 1, true);
  }

  /** Runs code; returns a Promise of its first result. A JS function the code calls may
   * return a Promise: the Lua code waits for it (see docs/api.md "Async calls"). */
  evalAsync(code, opts) {
    const src = this._code(code);
    const name = this._chunkName(opts);
    const timeout = this._timeout(opts);
    return this._async(0, () => this._vm.startAsync(this._hooks, 0, src, name, [], timeout, 0, true));
  }

  /** As `run`, waiting for the Promises JS functions return: a Promise of the report. */
  runAsync(code, opts) {
    const src = this._code(code);
    const name = this._chunkName(opts);
    const timeout = this._timeout(opts);
    return this._async(2, () => this._vm.startAsync(this._hooks, 0, src, name, [], timeout, 2, this._echoInRun));
  }

  /** As `call`, waiting for the Promises JS functions return: a Promise of the first result. */
  callAsync(name, ...args) {
    if (typeof name !== 'string') throw new TypeError('function name must be a string');
    return this._async(0, () => this._vm.startAsync(this._hooks, 1, name, undefined, args, undefined, 0, true));
  }

  /**
   * Runs an async call (see `_steps`; the core's engine/awaits.rs). Async calls on one
   * VM run one after another; the persistence sees the call once it ended (it is one
   * transaction).
   */
  _async(mode, start) {
    const run = () => (this._persist.shared ? this._sharedCall(mode, start) : this._steps(mode, start));
    // Idle, the call starts now (a sync call right after it finds the VM busy);
    // otherwise after the ones before it.
    const p = this._asyncRunning === 0 ? run() : this._asyncQueue.then(run);
    this._asyncRunning++;
    const settled = () => {
      this._asyncRunning--;
    };
    this._asyncQueue = p.then(settled, settled);
    return p;
  }

  /**
   * An async call on a shared store (lib/shared-store.js): it starts from the latest
   * committed state and commits when it returns; when another VM changed what it read,
   * its changes are undone and it runs again, up to the store's `retries`.
   */
  async _sharedCall(mode, start) {
    const store = this._persist;
    // runAsync never throws for the call's failures: a store that cannot serve it is one.
    const failed = (error, result) => {
      if (mode !== 2) throw error;
      return { ...(result || { output: '', stats: {} }), ok: false, values: [], error };
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await store.begin();
      } catch (e) {
        return failed(e);
      }
      let result;
      try {
        result = await this._steps(mode, start);
      } catch (e) {
        store.abort();
        throw e;
      }
      if (mode === 2 && !result.ok) {
        store.abort();
        return result;
      }
      let error;
      try {
        if ((await store.commit()) === 'done') return result;
        if (attempt < store.retries) {
          await store.backoff(attempt);
          continue;
        }
        error = store.conflictError(attempt + 1);
      } catch (e) {
        error = e;
      }
      return failed(error, result);
    }
  }

  /** Runs an async call's steps: starts it, then awaits each Promise Lua waits for and
   * resumes it with the outcome. */
  async _steps(mode, start) {
    let step = this._asyncStep(mode, start);
    while (step && 'pending' in step) {
      let fulfilled = true;
      let value;
      let message = '';
      try {
        value = await this._waitFor(step.pending);
      } catch (e) {
        if (e === CANCELLED) throw new LuaError(this._cancelled);
        fulfilled = false;
        value = e;
        message = rejectionText(e);
      }
      step = this._asyncStep(mode, () => this._vm.resumeAsync(this._hooks, fulfilled, value, message, mode));
    }
    return step.done;
  }

  /** One step of an async call, through the usual guard; its end is a call's end for the
   * persistence. A run report's error becomes a LuaError, as in `run`. */
  _asyncStep(mode, fn) {
    let step;
    try {
      step = this._guard(fn);
    } catch (e) {
      this._persist.afterCall();
      if (mode !== 2) throw e;
      const error = e instanceof LuaError ? e : new LuaError({ kind: 'runtime', message: String((e && e.message) || e) });
      return { done: { ok: false, values: [], output: '', error, stats: {} } };
    }
    if ('done' in step) {
      this._persist.afterCall();
      if (mode === 2) {
        const r = step.done;
        if (r.error) r.error = new LuaError(r.error);
        else delete r.error;
      }
    }
    return step;
  }

  /** `promise`, or a rejection with CANCELLED when close() or reset() ends the wait. */
  _waitFor(promise) {
    return new Promise((resolve, reject) => {
      this._cancelWait = () => reject(CANCELLED);
      Promise.resolve(promise).then(resolve, reject);
    }).finally(() => {
      this._cancelWait = null;
    });
  }

  /** Ends a waiting async call (its ext changes undone) before close() or reset(). */
  _cancelAsync(kind, message) {
    if (!this._cancelWait) return;
    this._cancelled = { kind, message };
    try {
      this._vm.cancelAsync(this._hooks);
    } catch {
      // the VM is gone: nothing to undo there
    }
    this._cancelWait();
  }

  /** Runs code and never throws: { ok, values, output, error?, stats }. */
  run(code, opts) {
    // Invalid arguments throw, as in eval.
    const src = this._code(code);
    const name = this._chunkName(opts);
    const timeout = this._timeout(opts);
    let r;
    try {
      r = this._exec(src, name, timeout, 2, this._echoInRun);
    } catch (e) {
      const error = e instanceof LuaError ? e : new LuaError({ kind: 'runtime', message: String((e && e.message) || e) });
      return { ok: false, values: [], output: '', error, stats: {} };
    }
    if (r.error) r.error = new LuaError(r.error);
    else delete r.error;
    return r;
  }

  setGlobal(name, value) {
    if (typeof name !== 'string') throw new TypeError('global name must be a string');
    this._guard(() => this._vm.setGlobal(this._hooks, name, value));
  }

  getGlobal(name) {
    if (typeof name !== 'string') throw new TypeError('global name must be a string');
    return this._guard(() => this._vm.getGlobal(this._hooks, name));
  }

  /** Gives the VM the `modules` option's modules (after create and reset). A source
   * that does not compile throws its LuaError (kind 'syntax'). */
  _defineModules() {
    for (const [name, value] of this._modules) {
      this._guard(() => this._vm.defineModule(this._hooks, name, value, typeof value === 'string'));
    }
  }

  /**
   * Calls a Lua function, the global `name` or one Lua handed to JS, and returns all its
   * results as an array (`call` and the function itself return the first).
   */
  callAll(target, ...args) {
    if (typeof target === 'string') return this._call(() => this._vm.callGlobal(this._hooks, target, args, 1, true));
    const id = typeof target === 'function' ? target[LUA_FUNCTION] : undefined;
    if (id === undefined) throw new TypeError('callAll: expected the name of a global Lua function or a Lua function this VM handed to JS');
    return this._call(() => this._vm.callRef(this._hooks, id, args, undefined, 1, true));
  }

  /** Calls the global Lua function `name`; returns its first result. */
  call(name, ...args) {
    if (typeof name !== 'string') throw new TypeError('function name must be a string');
    return this._call(() => this._vm.callGlobal(this._hooks, name, args, 0, true));
  }

  /** The external tables as one snapshot blob (postcard, checksummed). After a crash
   * too: the ext Maps are intact, and a fresh module instance encodes them. */
  snapshot() {
    if (this._crash !== null && !this._closed) return this._rescueSnapshot();
    return this._guard(() => this._vm.snapshot(this._hooks));
  }

  _rescueSnapshot() {
    try {
      return this._impl.snapshot(this._hooks, this._options);
    } catch (e) {
      throw toError(e);
    }
  }

  /** Replaces every external table with a snapshot's contents; a bad blob changes nothing. */
  restore(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('restore() expects a Uint8Array');
    if (this._persist.shared) throw new LuaError({ kind: 'storage', message: 'lua-persistent: restore() would replace only this VM\'s copy of a shared store\'s tables; write them with an async call instead' });
    this._guard(() => this._vm.restore(this._hooks, bytes));
  }

  /**
   * Writes the external tables to storage now (after any save in progress; saves never
   * interleave). Unchanged data is not written again. 'memory' storage keeps the bytes.
   */
  save() {
    // An async call in flight is a transaction not yet ended: save what it leaves.
    if (this._asyncRunning > 0) return this._asyncQueue.then(() => this.save());
    try {
      return this._persist.save();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  memory() {
    return this._guard(() => this._vm.memory(this._hooks));
  }

  gc() {
    this._guard(() => this._vm.gc(this._hooks));
  }

  reset() {
    this._cancelAsync('runtime', 'the VM was reset while this async call waited for a Promise; its ext changes were undone');
    this._chunks.clear();
    this._guard(() => this._vm.reset(this._hooks));
    this._defineModules();
  }

  /**
   * Frees the VM. Returns a promise that resolves once pending autosaves are done and the
   * storage is released (a directory store's lock), also when the last save failed (that
   * failure goes to onSaveError, see lib/persist.js); later calls throw kind 'closed'.
   */
  close() {
    if (this._closed) return this._closing;
    this._cancelAsync('closed', 'the VM was closed while this async call waited for a Promise; its ext changes were undone');
    // The last snapshot (through a fresh instance if a wasm trap lost the VM): a
    // failure is reported, never thrown, since the store must still be released.
    this._persist.saveAtClose();
    this._closed = true;
    if (this._ended === null) {
      try {
        this._vm.close();
      } catch (e) {
        this._failure(e); // a trap while Lua's finalizers ran: nothing left to close
      }
      if (this._vm !== null) this._impl.discard(this._vm);
    }
    this._ended = { kind: 'closed', message: CLOSED };
    this._vm = null;
    this._chunks.clear();
    this._closing = this._persist.close();
    return this._closing;
  }
}

/** `modules`: { name: luaSource | jsValue } -> [name, value] pairs. */
function modulesOption(modules) {
  if (modules === undefined) return [];
  if (modules === null || typeof modules !== 'object' || Array.isArray(modules)) {
    throw new TypeError('createLua: modules must be an object { name: luaSource | jsValue }');
  }
  const entries = Object.entries(modules);
  for (const [name] of entries) {
    if (name === '' || name.includes('\0')) throw new TypeError('createLua: module names must be non-empty strings without NUL characters');
  }
  return entries;
}

/**
 * A VM's storage bookkeeping (lib/persist.js). With 'memory' storage and no autosave
 * option there is nothing to load, write or schedule, so a stand-in serves until the
 * first save() swaps in the real one: cold start skips loading that module.
 */
function persistence(lua, { storage, autosave, onSaveError }) {
  if (storage !== null && typeof storage === 'object' && storage.shared === true) {
    const { SharedStore } = require('./shared-store');
    return new SharedStore(lua, storage);
  }
  if (storage !== 'memory' || autosave !== undefined) {
    const { Persistence, autosaveMode } = persist();
    return new Persistence(lua, storage, autosaveMode(autosave, storage), onSaveError);
  }
  return {
    recovery: null,
    open() {},
    afterCall() {},
    saveAtClose() {},
    close: () => Promise.resolve(),
    save() {
      lua._persist = new (persist().Persistence)(lua, storage, false, onSaveError);
      return lua._persist.save();
    },
  };
}

module.exports = { Lua };
