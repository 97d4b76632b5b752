'use strict';
// index.d.ts against TypeScript and against the runtime: a strict `tsc --noEmit` of
// __tests__/fixtures/types/usage.ts (the documented API, imported by the package's own
// name, under Node16 and bundler resolution; its @ts-expect-error lines must stay
// errors), and, per backend, every member the declarations give `Lua` exists on a VM.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { forEachBackend, ROOT } = require('./backends');
const { vms } = require('./helpers');

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const FIXTURE = path.join(__dirname, 'fixtures', 'types');

function tsc(config) {
  return spawnSync(process.execPath, [TSC, '-p', path.join(FIXTURE, config)], { encoding: 'utf8', timeout: 120000 });
}

/** The member names of `export class Lua { ... }` in index.d.ts. */
function declaredLuaMembers() {
  const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export class Lua {'));
  const block = body.slice(0, body.indexOf('\n}'));
  return [...block.matchAll(/^\s+(?:readonly\s+)?(\w+)[(?:]/gm)].map((m) => m[1]);
}

// Backend-independent (the declarations are one file): checked once.
test.each(['tsconfig.json', 'tsconfig.bundler.json'])('the usage example type-checks (%s)', (config) => {
  const r = tsc(config);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120000);

forEachBackend((backend) => {
  const make = vms(backend);

  test('every member index.d.ts declares on Lua exists on a VM', async () => {
    const lua = await make();
    const members = declaredLuaMembers();
    expect(members.sort()).toEqual(['backend', 'call', 'callAll', 'callAsync', 'close', 'eval', 'evalAll', 'evalAsync', 'ext', 'fallbackReason', 'gc', 'getGlobal', 'memory', 'recovery', 'reset', 'restore', 'run', 'runAsync', 'save', 'setGlobal', 'snapshot']);
    for (const m of members) expect([m, m in lua]).toEqual([m, true]);
    expect(lua.backend).toBe(backend);
  });

  test('the Node entry exports what index.d.ts declares; the browser adapters say where they work', () => {
    const api = require(ROOT);
    for (const name of ['createLua', 'Lua', 'LuaError', 'multi', 'ref', 'indexedDBStorage', 'localStorageStorage']) {
      expect([name, typeof api[name]]).toEqual([name, 'function']);
    }
    expect(() => api.indexedDBStorage()).toThrow(/for browsers.*directory path or an adapter/);
    expect(() => api.localStorageStorage('k')).toThrow(TypeError);
  });
});
