'use strict';
// Shared test helpers (not a suite).
//
// Values built by a native addon live in Node's main realm, while Jest runs each test
// file in its own vm context: a Map made by the addon is a real Map but fails
// `instanceof Map` and Jest's toEqual against a Map literal here. `local()` rebuilds a
// value with this realm's Map/Array/Object (keeping shared references and cycles) so
// deep comparisons are meaningful; `isMap` checks the brand, not the prototype.
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');
const { createLua, LuaError } = require('..');

const ROOT = path.resolve(__dirname, '..');

const tag = (v) => Object.prototype.toString.call(v);
const isMap = (v) => tag(v) === '[object Map]';
const isArray = (v) => Array.isArray(v);
const isPlainObject = (v) => v !== null && typeof v === 'object' && tag(v) === '[object Object]';

function local(v, seen = new Map()) {
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (isMap(v)) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(local(k, seen), local(x, seen));
    return m;
  }
  if (isArray(v)) {
    const a = [];
    seen.set(v, a);
    for (let i = 0; i < v.length; i++) a[i] = local(v[i], seen);
    return a;
  }
  if (isPlainObject(v)) {
    const o = {};
    seen.set(v, o);
    for (const k of Object.keys(v)) o[k] = local(v[k], seen);
    return o;
  }
  if (v instanceof Uint8Array || tag(v) === '[object Uint8Array]') return new Uint8Array(v);
  return v;
}

/**
 * Creates VMs for one backend and closes every one of them after each test.
 * Usage: const make = vms(backend); ... const lua = await make({ timeout: 100 });
 */
function vms(backend) {
  const open = [];
  afterEach(() => {
    while (open.length) {
      const lua = open.pop();
      try {
        lua.close();
      } catch {
        // closing twice or after a failed test must not hide the real failure
      }
    }
  });
  return async (opts = {}) => {
    const lua = await createLua({ backend, ...opts });
    open.push(lua);
    return lua;
  };
}

/** Calls fn and returns what it threw (fails the test if it did not throw). */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw, but it returned normally');
}

/**
 * Runs `body` (the text of an async function body with `lua` in scope) in a separate
 * Node process, for cases that might abort the process instead of throwing. Returns
 * { status, signal, stdout, stderr }; stdout is the JSON of body's return value.
 */
function runIsolated(backend, body, opts = {}) {
  const code = `
    const { createLua } = require(${JSON.stringify(ROOT)});
    (async () => {
      const lua = await createLua({ backend: ${JSON.stringify(backend)}, ...${JSON.stringify(opts)} });
      const out = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify(out === undefined ? null : out));
      lua.close();
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** CRC-32 (IEEE), to forge snapshots with a valid checksum in tests. */
function crc32(bytes) {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** Runs the CLI (bin/lua-persistent.js); `input` is piped to stdin. -> { status, stdout, stderr }. */
function runCli(args, { input = '', env = {}, cwd = ROOT, timeout = 60000 } = {}) {
  const bin = path.join(ROOT, 'bin', 'lua-persistent.js');
  const r = spawnSync(process.execPath, [bin, ...args], { input, cwd, encoding: 'utf8', timeout, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What the reference interpreter `lua5.4` prints for `__tests__/<file>` (run from this
 * folder, so chunk names match), or null when lua5.4 is not installed.
 */
function luaReference(file, encoding = 'utf8') {
  try {
    return execFileSync('lua5.4', [file], { cwd: __dirname, encoding });
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

module.exports = { createLua, LuaError, isMap, local, vms, thrown, runIsolated, runCli, crc32, luaReference, ROOT };
