'use strict';
// Which backends the suites run against, and the helper that parameterizes a suite by
// backend. Every suite is written once and run for each backend listed here.
//
//   LUA_BACKENDS=native,wasm npx jest     run exactly these backends
//   npx jest                              'native', plus 'wasm' if it can be created
//
// Jest collects tests synchronously, so the wasm probe (createLua is async) runs in a
// short child process.
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

function probe(backend) {
  const code = `
    require(${JSON.stringify(ROOT)}).createLua({ backend: ${JSON.stringify(backend)} })
      .then((lua) => { lua.close(); process.exit(0); }, () => process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', code], { stdio: 'ignore', timeout: 30000 });
    return true;
  } catch {
    return false;
  }
}

function detect() {
  const env = process.env.LUA_BACKENDS;
  if (env && env.trim()) {
    return env.split(',').map((s) => s.trim()).filter(Boolean);
  }
  const list = ['native'];
  if (probe('wasm')) list.push('wasm');
  return list;
}

const backends = detect();

/** Runs `fn(backend)` inside `describe('<backend> backend')` for every backend. */
function forEachBackend(fn) {
  describe.each(backends)('%s backend', (backend) => fn(backend));
}

module.exports = { backends, forEachBackend, ROOT };
