'use strict';
// Which backends the suites run against, and the helper that parameterizes a suite by
// backend. Every suite is written once and run for each backend listed here.
//
//   npx jest                              both backends (a missing build fails loudly)
//   LUA_BACKENDS=wasm npx jest            only these backends
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

function detect() {
  const env = process.env.LUA_BACKENDS;
  if (env && env.trim()) {
    return env.split(',').map((s) => s.trim()).filter(Boolean);
  }
  return ['native', 'wasm'];
}

const backends = detect();

/** Runs `fn(backend)` inside `describe('<backend> backend')` for every backend. */
function forEachBackend(fn) {
  describe.each(backends)('%s backend', (backend) => fn(backend));
}

module.exports = { backends, forEachBackend, ROOT };
