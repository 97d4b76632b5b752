'use strict';
// backend 'auto' in Node: the native addon when it loads, the wasm module when it does
// not. The failure is simulated the way it happens to users: loading a .node file throws
// (wrong platform, missing build), in a child process so this process is unaffected.
const path = require('path');
const { execFileSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const NO_ADDONS = path.join(__dirname, 'fixtures', 'no-addons.js');

function autoBackend(preload) {
  const code = `require(${JSON.stringify(ROOT)}).createLua().then((lua) => {
    process.stdout.write(JSON.stringify([lua.backend, lua.eval('return _VERSION .. " " .. 6 * 7')]));
  });`;
  const args = [...(preload ? ['-r', preload] : []), '-e', code];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
}

test("'auto' picks the native addon when it loads", () => {
  expect(autoBackend(null)).toEqual(['native', 'Lua 5.4 42']);
});

test("'auto' falls back to wasm when the addon cannot load", () => {
  expect(autoBackend(NO_ADDONS)).toEqual(['wasm', 'Lua 5.4 42']);
});

test("'native' alone reports why the addon could not load", () => {
  const code = `require(${JSON.stringify(ROOT)}).createLua({ backend: 'native' }).then(
    () => process.stdout.write('loaded'), (e) => process.stdout.write(e.message));`;
  const out = execFileSync(process.execPath, ['-r', NO_ADDONS, '-e', code], { encoding: 'utf8' });
  expect(out).toMatch(/no backend could be loaded \(native: .*native addons are disabled/);
});
