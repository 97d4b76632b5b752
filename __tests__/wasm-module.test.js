'use strict';
// Properties of the wasm module itself: nothing to import from the outside world, and a
// trap inside it never leaves the JS API silently broken.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { createLua, LuaError } = require('..');

const DIST = path.join(__dirname, '..', 'dist');

test('the package holds one copy of the module, which both glues load', () => {
  expect(fs.existsSync(path.join(DIST, 'wasm-node', 'lua_persistent_bg.wasm'))).toBe(false);
  expect(fs.readFileSync(path.join(DIST, 'wasm-node', 'lua_persistent.js'), 'utf8')).toContain('/../wasm-web/lua_persistent_bg.wasm');
});

test.each([['wasm-web', './lua_persistent_bg.js']])(
  'the %s module imports only from its own wasm-bindgen glue',
  (dir, glueModule) => {
    const bytes = fs.readFileSync(path.join(DIST, dir, 'lua_persistent_bg.wasm'));
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    expect(imports.length).toBeGreaterThan(0);
    const foreign = imports.filter((i) => i.module !== glueModule);
    expect(foreign).toEqual([]);
    expect(imports.map((i) => i.name).join(' ')).not.toMatch(/wasi|fd_write|proc_exit/);
  },
);

test('no export returns several values (V8 would compile a wrapper for each such signature)', () => {
  // scripts/build-wasm.js `withoutMultivalue`: ~1.7 ms of every cold start in Node 20.
  const { exportResults } = require('../scripts/wasm-sections');
  const exported = exportResults(fs.readFileSync(path.join(DIST, 'wasm-web', 'lua_persistent_bg.wasm')));
  expect(exported.map((e) => e.name)).toEqual(expect.arrayContaining(['vm_new', 'vm_compile', 'vm_callRef']));
  expect(exported.filter((e) => e.results > 1)).toEqual([]);
});

test('the module carries a prepared VM, which a VM with the safe stdlib starts from', async () => {
  // scripts/preinit.js: without it every VM is made at run time, correct but slower.
  const { MARK } = require('../scripts/preinit');
  const bytes = fs.readFileSync(path.join(DIST, 'wasm-web', 'lua_persistent_bg.wasm'));
  expect(WebAssembly.Module.customSections(new WebAssembly.Module(bytes), MARK)).toHaveLength(1);
  const lua = await createLua({ backend: 'wasm', memoryLimit: 64 * 1024 });
  try {
    expect(lua.memory().limit).toBe(64 * 1024);
    expect(lua.run("return ('x'):rep(1 << 20)").error.kind).toBe('memory');
    expect(lua.eval('return 1 + 1')).toBe(2);
  } finally {
    lua.close();
  }
});

test("in Node, a wasm VM's clock loads no perf_hooks (0.7 ms of a cold start) and still times calls", () => {
  // A fresh process: Jest itself has loaded perf_hooks long before.
  const script = `
const { createLua } = require(${JSON.stringify(path.join(__dirname, '..'))});
createLua({ backend: 'wasm', timeout: 2000 }).then((lua) => {
  const quick = lua.run('return 1 + 1');
  const busy = lua.run('local t = os.clock() + 0.05 while os.clock() < t do end return 2');
  const late = lua.run('while true do end');
  const loaded = process.moduleLoadList.filter((m) => /perf_hooks|internal\\/perf\\/performance$/.test(m));
  process.stdout.write(JSON.stringify({ quick: quick.values[0], busy: busy.stats.durationMs, late: late.error.kind, lateMs: late.stats.durationMs, loaded }));
});`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout);
  expect(out.loaded).toEqual([]);
  expect(out.quick).toBe(2);
  expect(out.busy).toBeGreaterThanOrEqual(45);
  expect(out.late).toBe('timeout');
  expect(out.lateMs).toBeGreaterThanOrEqual(1900);
});

describe('trap recovery', () => {
  test('a trap loses that VM only (kind crashed), its ext tables are kept, and the next createLua works', async () => {
    const a = await createLua({ backend: 'wasm' });
    const b = await createLua({ backend: 'wasm' });
    a.eval('ext.table("kept").v = 7');
    b.eval('x = 1');

    let err;
    try {
      a._guard(() => a._vm.__trapForTests());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LuaError);
    expect(err.kind).toBe('crashed');
    expect(err.message).toMatch(/wasm trap/);

    expect(() => a.eval('return 1')).toThrow(expect.objectContaining({ kind: 'crashed' }));
    expect(a.run('return 1')).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'crashed' }) });
    expect(b.eval('return x + 1')).toBe(2); // each VM has its own module instance
    // ext data lives in JS: it survives the trap and can seed a new VM.
    expect(a.ext.get('kept').get('v')).toBe(7);
    expect(() => a.close()).not.toThrow();
    b.close();

    const c = await createLua({ backend: 'wasm' });
    expect(c.eval('return 40 + 2')).toBe(42);
    for (const [name, table] of a.ext) c.ext.set(name, table);
    expect(c.eval('return ext.table("kept").v')).toBe(7);
    c.close();
  });

  test('the native backend has no traps to recover from', async () => {
    const lua = await createLua({ backend: 'native' });
    expect(lua._impl.isTrap(lua._vm, new Error('x'))).toBe(false);
    expect(lua._impl.isTrap(lua._vm, new WebAssembly.RuntimeError('unreachable'))).toBe(false);
    lua.close();
  });
});
