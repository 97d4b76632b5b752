'use strict';
// createLua's VM options: their defaults and their checks. The default limits are the
// core's (crates/core/src/options.rs DEFAULT_*); a core test
// (crates/core/tests/engine.rs `default_limits_match_the_js_defaults`) compares them.

const DEFAULTS = Object.freeze({
  memoryLimit: 256 * 1024 * 1024,
  storageLimit: 256 * 1024 * 1024,
  timeout: 10000,
  instructionLimit: 0,
  stdlib: 'safe',
});

function limitOption(options, name) {
  const v = options[name] === undefined ? DEFAULTS[name] : options[name];
  if (v === Infinity || v === null || v === false) return 0;
  if (typeof v !== 'number' || !(v >= 0)) {
    throw new TypeError(`createLua: ${name} must be a non-negative number of ${name === 'memoryLimit' || name === 'storageLimit' ? 'bytes' : name === 'timeout' ? 'milliseconds' : 'instructions'} (0 or Infinity for none)`);
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

/** `durability` of the built-in stores (docs/storage.md "Durability"): 'os' (default)
 * or 'fsync'. */
function durabilityOption(options) {
  const d = options.durability === undefined ? 'os' : options.durability;
  if (d !== 'os' && d !== 'fsync') throw new TypeError("createLua: durability must be 'os' or 'fsync'");
  return d;
}

module.exports = { DEFAULTS, limitOption, interruptOption, durabilityOption };
