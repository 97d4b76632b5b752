'use strict';
// Properties of the wasm module itself: nothing to import from the outside world, and a
// trap inside it never leaves the JS API silently broken.
const fs = require('fs');
const path = require('path');
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
