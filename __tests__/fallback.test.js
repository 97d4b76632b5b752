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

/** Runs `code` in a child with the addon made unloadable; its stdout and stderr. */
function withoutAddon(code, env = {}) {
  const { spawnSync } = require('child_process');
  const r = spawnSync(process.execPath, ['-r', NO_ADDONS, '-e', code], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { stdout: r.stdout, stderr: r.stderr };
}

test("a fallback is loud: lua.fallbackReason says why, and the process is warned once", () => {
  const code = `const { createLua } = require(${JSON.stringify(ROOT)});
    (async () => { const a = await createLua(); const b = await createLua(); const c = await createLua({ backend: 'wasm' });
      process.stdout.write(JSON.stringify([a.backend, a.fallbackReason, b.fallbackReason, c.fallbackReason === undefined])); })();`;
  const { stdout, stderr } = withoutAddon(code);
  const [backend, reason, again, explicit] = JSON.parse(stdout);
  expect(backend).toBe('wasm');
  expect(reason).toMatch(/^native: .*native addons are disabled/);
  expect(again).toBe(reason);
  expect(explicit).toBe(true);
  expect(stderr.match(/LUA_PERSISTENT_FALLBACK/g)).toHaveLength(1);
  expect(stderr).toMatch(/using the wasm backend, the faster native addon did not load/);
  // Silenced on request; and a native VM has no reason.
  expect(withoutAddon(code, { LUA_PERSISTENT_QUIET: '1' }).stderr).not.toMatch(/LUA_PERSISTENT_FALLBACK/);
  const native = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(ROOT)}).createLua().then((l) => process.stdout.write(String(l.fallbackReason)))`], { encoding: 'utf8' });
  expect(native).toBe('undefined');
});

test('every export is a named import in Node ESM', () => {
  const fs = require('fs');
  const os = require('os');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lp-esm-')), 'named.mjs');
  const names = Object.keys(require(ROOT));
  fs.writeFileSync(file, `import { ${names.join(', ')} } from ${JSON.stringify(path.join(ROOT, 'dist', 'node.js'))};\nprocess.stdout.write(JSON.stringify([${names.map((n) => `typeof ${n}`).join(', ')}]));\n`);
  const out = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' }));
  expect(out).toEqual(names.map(() => 'function'));
  expect(names.sort()).toEqual(['Lua', 'LuaError', 'createLua', 'indexedDBStorage', 'localStorageStorage', 'multi', 'ref']);
});
