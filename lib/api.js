'use strict';
// The one JS API over either backend. Backends are thin: they expose a `Vm` class
// whose methods take and return plain JS values, with errors thrown as plain info
// objects that this module turns into `LuaError`s. Every rule about Lua values lives
// in the Rust core; this file only holds what is JavaScript by nature (classes,
// promises, option parsing, finalization).

const KINDS = ['syntax', 'runtime', 'memory', 'timeout', 'instructions', 'ext', 'closed'];

class LuaError extends Error {
  constructor(info) {
    super(info.message, info.cause !== undefined ? { cause: info.cause } : undefined);
    this.name = 'LuaError';
    /** @type {'syntax'|'runtime'|'memory'|'timeout'|'instructions'|'ext'|'closed'} */
    this.kind = info.kind;
    this.luaMessage = info.message;
    this.chunkName = info.chunkName;
    this.line = info.line;
    this.traceback = info.traceback;
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

function mapEntries(m) {
  const out = [];
  for (const [k, v] of m) out.push(k, v);
  return out;
}

class Lua {
  constructor(Vm, backend, options) {
    const stdlib = options.stdlib === undefined ? DEFAULTS.stdlib : options.stdlib;
    if (stdlib !== 'safe' && stdlib !== 'all') {
      throw new TypeError("createLua: stdlib must be 'safe' or 'all'");
    }
    if (options.print !== undefined && typeof options.print !== 'function') {
      throw new TypeError('createLua: print must be a function');
    }
    const userPrint = options.print;
    /** The live external tables: Map<tableName, Map>. */
    this.ext = new Map();
    this._backend = backend;
    this._closed = false;
    const self = this;
    const registry = new FinalizationRegistry((id) => {
      if (!self._closed) self._vm.releaseRef(id);
    });
    this._hooks = {
      Map,
      ext: this.ext,
      slots: [],
      auxSymbol: AUX,
      mapEntries,
      print: userPrint || ((text) => console.log(text)),
      makeFunction(id) {
        const f = (...args) => self._guard(() => self._vm.callRef(self._hooks, id, args, true));
        registry.register(f, id);
        return f;
      },
    };
    this._echoInRun = userPrint !== undefined;
    this._vm = new Vm(this._hooks, {
      stdlib,
      memoryLimit: limitOption(options, 'memoryLimit'),
      timeout: limitOption(options, 'timeout'),
      instructionLimit: limitOption(options, 'instructionLimit'),
    });
    this._storage = options.storage;
  }

  /** 'native' or 'wasm'. */
  get backend() {
    return this._backend;
  }

  _guard(fn) {
    try {
      return fn();
    } catch (e) {
      throw toError(e);
    }
  }

  _code(code) {
    if (typeof code !== 'string') throw new TypeError('Lua code must be a string');
    return code;
  }

  _timeout(opts) {
    if (!opts || opts.timeout === undefined) return undefined;
    const t = opts.timeout;
    if (t === Infinity || t === 0) return 0;
    if (typeof t !== 'number' || !(t > 0)) throw new TypeError('timeout must be a positive number of milliseconds');
    return t;
  }

  /** Runs code; returns its first result. Throws LuaError. */
  eval(code, opts) {
    const src = this._code(code);
    return this._guard(() => this._vm.exec(this._hooks, src, opts && opts.chunkName, this._timeout(opts), 0, true));
  }

  /** Runs code; returns all its results as an array. Throws LuaError. */
  evalAll(code, opts) {
    const src = this._code(code);
    return this._guard(() => this._vm.exec(this._hooks, src, opts && opts.chunkName, this._timeout(opts), 1, true));
  }

  /** Runs code and never throws: { ok, values, output, error?, stats }. */
  run(code, opts) {
    let r;
    try {
      r = this._vm.exec(this._hooks, this._code(code), opts && opts.chunkName, this._timeout(opts), 2, this._echoInRun);
    } catch (e) {
      const err = toError(e);
      return { ok: false, values: [], output: '', error: err instanceof LuaError ? err : new LuaError({ kind: 'runtime', message: String(err && err.message || err) }), stats: {} };
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
    return this._guard(() => this._vm.callGlobal(this._hooks, name, args, 0, true));
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

  /** Writes the external tables to storage ('memory': keeps the last snapshot). */
  async save() {
    const bytes = this.snapshot();
    if (this._storage && typeof this._storage === 'object') {
      await this._storage.save(bytes);
    } else {
      this._saved = bytes;
    }
  }

  memory() {
    return this._guard(() => this._vm.memory(this._hooks));
  }

  gc() {
    this._guard(() => this._vm.gc(this._hooks));
  }

  reset() {
    this._guard(() => this._vm.reset(this._hooks));
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    this._vm.close();
  }
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
      if (!pathStorage) throw new TypeError('createLua: a storage path needs Node (use an adapter object in browsers)');
      storage = pathStorage(storage);
    }
    if (storage !== 'memory' && !(storage && typeof storage === 'object' && typeof storage.save === 'function' && typeof storage.load === 'function')) {
      throw new TypeError("createLua: storage must be 'memory', a directory path (Node) or an adapter { load(), save(bytes) }");
    }
    const order = requested === 'auto' ? autoOrder : [requested];
    const failures = [];
    for (const name of order) {
      let Vm;
      try {
        Vm = await loaders[name]();
      } catch (e) {
        failures.push(`${name}: ${e && e.message}`);
        continue;
      }
      const lua = new Lua(Vm, name, { ...options, storage });
      if (storage !== 'memory' && typeof storage.load === 'function') {
        const bytes = await storage.load();
        if (bytes) lua.restore(bytes);
      }
      return lua;
    }
    throw new Error(`lua-persistent: no backend could be loaded (${failures.join('; ')})`);
  };
}

module.exports = { Lua, LuaError, makeCreateLua, DEFAULTS };
