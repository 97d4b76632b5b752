'use strict';
// The one JS API over either backend. Backends are thin: they expose a `Vm` class
// whose methods take and return plain JS values, with errors thrown as plain info
// objects that this module turns into `LuaError`s. Every rule about Lua values lives
// in the Rust core; this file only holds what is JavaScript by nature (classes,
// promises, option parsing, finalization).

// lib/persist.js is required on first need only (see `persistence`): a VM with the
// default 'memory' storage never loads it unless save() is called.
const persist = () => require('./persist');

const KINDS = ['syntax', 'runtime', 'memory', 'timeout', 'instructions', 'ext', 'closed', 'interrupted'];

class LuaError extends Error {
  constructor(info) {
    super(info.message, info.cause !== undefined ? { cause: info.cause } : undefined);
    this.name = 'LuaError';
    /** @type {'syntax'|'runtime'|'memory'|'timeout'|'instructions'|'ext'|'closed'|'interrupted'} */
    this.kind = info.kind;
    this.luaMessage = info.message;
    this.chunkName = info.chunkName;
    this.line = info.line;
    this.traceback = info.traceback;
    /** Set when the script called os.exit (stdlib 'all'): the status it asked for. */
    if (info.exitCode !== undefined) this.exitCode = info.exitCode;
  }
}

/** Integral floats written by Lua are tagged on their Map under this symbol. */
const AUX = Symbol.for('lua-persistent.floats');

const DEFAULTS = Object.freeze({
  memoryLimit: 256 * 1024 * 1024,
  timeout: 10000,
  instructionLimit: 0,
  stdlib: 'safe',
});

function isInfo(e) {
  return e !== null && typeof e === 'object' && !(e instanceof Error) && KINDS.includes(e.kind);
}

/** Backend errors arrive as info objects; anything else is a bug surfaced as-is. */
function toError(e) {
  if (isInfo(e)) return new LuaError(e);
  if (typeof e === 'string') return new LuaError({ kind: 'runtime', message: e });
  return e;
}

function limitOption(options, name) {
  const v = options[name] === undefined ? DEFAULTS[name] : options[name];
  if (v === Infinity || v === null || v === false) return 0;
  if (typeof v !== 'number' || !(v >= 0)) {
    throw new TypeError(`createLua: ${name} must be a non-negative number of ${name === 'memoryLimit' ? 'bytes' : name === 'timeout' ? 'milliseconds' : 'instructions'} (0 or Infinity for none)`);
  }
  return v;
}

/**
 * `interruptBuffer`: an Int32Array (normally over a SharedArrayBuffer) whose element 0
 * another thread sets to non-zero with `Atomics.store` to stop the running call.
 */
function interruptOption(options) {
  const b = options.interruptBuffer;
  if (b === undefined) return undefined;
  if (!(b instanceof Int32Array) || b.length < 1) {
    throw new TypeError('createLua: interruptBuffer must be a non-empty Int32Array (over a SharedArrayBuffer)');
  }
  return b;
}

function mapEntries(m) {
  const out = [];
  for (const [k, v] of m) out.push(k, v);
  return out;
}

/**
 * A loaded backend: `create(hooks, options)` makes a VM. `alive` turns false when a
 * wasm instance trapped: its VMs are gone and the loader makes a fresh instance for
 * the next createLua. `isTrap(e)` tells such a failure from ordinary errors.
 */
function nativeInstance(Vm) {
  const create = (hooks, options) => {
    const vm = new Vm(hooks, options);
    // The addon's raw N-API callRef (the hot path of a cached eval), bound to this VM.
    vm.callRef = vm.fastCallRef();
    return vm;
  };
  return { alive: true, create, isTrap: () => false, trap() {} };
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

const TRAPPED = 'the wasm module trapped and was reset: this VM is gone (create a new one)';

class Lua {
  constructor(instance, backend, options) {
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
    this._closed = false;
    const self = this;
    const registry = new FinalizationRegistry((id) => {
      if (!self._closed && self._instance.alive) self._vm.releaseRef(id);
    });
    this._hooks = {
      Map,
      ext: new Map(),
      slots: [],
      auxSymbol: AUX,
      mapEntries,
      interruptBuffer,
      print: userPrint || ((text) => console.log(text)),
      makeFunction(id) {
        const f = (...args) => self._call(() => self._vm.callRef(self._hooks, id, args, undefined, 0, true));
        registry.register(f, id);
        return f;
      },
    };
    this._echoInRun = userPrint !== undefined;
    /** source (prefixed by chunk name) -> compiled function id; see CHUNK_CACHE_ENTRIES. */
    this._chunks = new Map();
    this._instance = instance;
    this._vm = instance.create(this._hooks, {
      stdlib,
      memoryLimit: limitOption(options, 'memoryLimit'),
      timeout: limitOption(options, 'timeout'),
      instructionLimit: limitOption(options, 'instructionLimit'),
      interruptBuffer,
    });
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

  _takeDirty() {
    return this._instance.alive && !this._closed && this._vm.takeDirty();
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

  _guard(fn) {
    const instance = this._instance;
    if (!instance.alive) throw new LuaError({ kind: 'closed', message: TRAPPED });
    try {
      return fn();
    } catch (e) {
      if (instance.isTrap(e)) {
        instance.trap(e);
        throw new LuaError({ kind: 'runtime', message: `wasm trap (${e.message}); ${TRAPPED}`, cause: e });
      }
      throw toError(e);
    }
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
      if (this._instance.isTrap(e)) throw e;
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

  /** Calls the global Lua function `name`; returns its first result. */
  call(name, ...args) {
    if (typeof name !== 'string') throw new TypeError('function name must be a string');
    return this._call(() => this._vm.callGlobal(this._hooks, name, args, 0, true));
  }

  /** The external tables as one snapshot blob (postcard, checksummed). */
  snapshot() {
    return this._guard(() => this._vm.snapshot(this._hooks));
  }

  /** Replaces every external table with a snapshot's contents; a bad blob changes nothing. */
  restore(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('restore() expects a Uint8Array');
    this._guard(() => this._vm.restore(this._hooks, bytes));
  }

  /**
   * Writes the external tables to storage now (after any save in progress; saves never
   * interleave). Unchanged data is not written again. 'memory' storage keeps the bytes.
   */
  save() {
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
    this._chunks.clear();
    this._guard(() => this._vm.reset(this._hooks));
  }

  /**
   * Frees the VM. Returns a promise that resolves once pending autosaves are done and the
   * storage is released (a directory store's lock), also when the last save failed (that
   * failure goes to onSaveError, see lib/persist.js); later calls throw kind 'closed'.
   */
  close() {
    if (this._closed) return this._closing;
    const alive = this._instance.alive;
    // The last snapshot needs the VM; a failure is reported, never thrown (the store
    // must still be released).
    this._persist.saveAtClose(alive);
    this._closed = true;
    if (alive) this._vm.close();
    this._closing = this._persist.close();
    return this._closing;
  }
}

/**
 * A VM's storage bookkeeping (lib/persist.js). With 'memory' storage and no autosave
 * option there is nothing to load, write or schedule, so a stand-in serves until the
 * first save() swaps in the real one: cold start skips loading that module.
 */
function persistence(lua, { storage, autosave, onSaveError }) {
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

/**
 * Backend loaders, in the order 'auto' tries them. Each returns the backend's Vm class
 * or throws why it cannot load.
 */
function makeCreateLua(loaders, autoOrder, pathStorage) {
  return async function createLua(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('createLua: options must be an object');
    const requested = options.backend === undefined ? 'auto' : options.backend;
    if (requested !== 'auto' && !(requested in loaders)) {
      throw new TypeError(`createLua: backend must be 'auto', ${Object.keys(loaders).map((k) => `'${k}'`).join(', ')}`);
    }
    let storage = options.storage === undefined ? 'memory' : options.storage;
    if (typeof storage === 'string' && storage !== 'memory') {
      if (storage === '') throw new TypeError("createLua: storage must be 'memory' or a non-empty directory path");
      if (!pathStorage) throw new TypeError('createLua: a storage path needs Node (use an adapter object in browsers)');
      storage = pathStorage(storage);
    }
    if (storage !== 'memory' && !(storage && typeof storage === 'object' && typeof storage.save === 'function' && typeof storage.load === 'function')) {
      throw new TypeError("createLua: storage must be 'memory', a directory path (Node) or an adapter { load(), save(bytes) }");
    }
    if (options.autosave !== undefined) persist().autosaveMode(options.autosave, storage);
    const order = requested === 'auto' ? autoOrder : [requested];
    const failures = [];
    for (const name of order) {
      let instance;
      try {
        const loaded = await loaders[name]();
        instance = typeof loaded === 'function' ? nativeInstance(loaded) : loaded;
      } catch (e) {
        failures.push(`${name}: ${e && e.message}`);
        continue;
      }
      const lua = new Lua(instance, name, { ...options, storage });
      try {
        await lua._persist.open();
      } catch (e) {
        lua._persist.adapter = null;
        lua.close();
        throw toError(e);
      }
      return lua;
    }
    throw new Error(`lua-persistent: no backend could be loaded (${failures.join('; ')})`);
  };
}

/**
 * Tracks the VMs of one wasm instance so that, after a trap, their wasm-bindgen wrappers
 * are detached (their finalizers must not free memory in a dead or new instance) and
 * `reload` can build a fresh instance. Shared by the Node and browser loaders.
 */
function wasmInstance(Vm, onDead) {
  const vms = new Set();
  let sweepAt = 256;
  const instance = {
    alive: true,
    create(hooks, options) {
      const vm = new Vm(hooks, options);
      vms.add(new WeakRef(vm));
      // Forget collected VMs now and then, so create/close cycles do not grow the set.
      if (vms.size >= sweepAt) {
        for (const ref of vms) if (ref.deref() === undefined) vms.delete(ref);
        sweepAt = Math.max(256, vms.size * 2);
      }
      return vm;
    },
    isTrap(e) {
      // A trap (unreachable, out-of-bounds) or a JS stack overflow unwinding through
      // wasm frames: either leaves the instance's memory in an unknown state.
      return e != null && typeof e === 'object' && (e.name === 'RuntimeError' || e.name === 'RangeError');
    },
    trap() {
      if (!instance.alive) return;
      instance.alive = false;
      for (const ref of vms) {
        const vm = ref.deref();
        if (vm && typeof vm.__destroy_into_raw === 'function') vm.__destroy_into_raw();
      }
      vms.clear();
      onDead();
    },
  };
  return instance;
}

module.exports = { Lua, LuaError, makeCreateLua, wasmInstance, DEFAULTS };
