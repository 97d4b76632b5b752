'use strict';
// Lua's own semantics where the engine stands in for the reference interpreter: print is
// a C function, finalizers run by close() meet a clean error instead of a crash (a wasm
// trap took every VM of the process), tracebacks have lua5.4's shape.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { forEachBackend } = require('./backends');
const { createLua, vms, thrown } = require('./helpers');

/** lua5.4's stderr for `source` run as the script file `name`, or null without lua5.4. */
function referenceRun(name, source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-semantics-'));
  try {
    fs.writeFileSync(path.join(dir, name), source);
    execFileSync('lua5.4', [name], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    throw new Error(`lua5.4 ran ${name} without an error`);
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    if (typeof e.stderr !== 'string') throw e;
    return e.stderr;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Scripts that fail, with the traceback lua5.4 prints for them (checked against the
// installed lua5.4 too, when there is one).
const TRACEBACKS = [
  ['main.lua', 'error("boom")\n', ["[C]: in function 'error'", 'main.lua:1: in main chunk', '[C]: in ?']],
  [
    'nested.lua',
    'local function f() error("deep") end\nlocal function g() f() end\ng()\n',
    ["[C]: in function 'error'", "nested.lua:1: in upvalue 'f'", "nested.lua:2: in local 'g'", 'nested.lua:3: in main chunk', '[C]: in ?'],
  ],
  ['index.lua', 'local t = {}\nreturn t.x.y\n', ['index.lua:2: in main chunk', '[C]: in ?']],
  [
    'tail.lua',
    'local function inner(x)\n  return x.y.z\nend\nlocal function outer() return inner({}) end\nouter()\n',
    ['tail.lua:2: in function <tail.lua:1>', '(...tail calls...)', 'tail.lua:5: in main chunk', '[C]: in ?'],
  ],
  ['lib.lua', 'print(string.rep())\n', ["[C]: in function 'string.rep'", 'lib.lua:1: in main chunk', '[C]: in ?']],
  ['co.lua', 'local co = coroutine.wrap(function() error("in co") end)\nco()\n', ["[C]: in local 'co'", 'co.lua:2: in main chunk', '[C]: in ?']],
];

const frames = (traceback) => traceback.split('\n').slice(1).map((l) => l.trim());

forEachBackend((backend) => {
  const make = vms(backend);

  describe('print is a C function', () => {
    test('string.dump refuses it, debug.getinfo says C, debug.upvaluejoin refuses it', async () => {
      const lua = await make({ stdlib: 'all' });
      expect(lua.evalAll('return pcall(string.dump, print)')).toEqual([false, 'unable to dump given function']);
      expect(lua.evalAll('local i = debug.getinfo(print) return i.what, i.short_src, i.source')).toEqual(['C', '[C]', '=[C]']);
      const [ok, message] = lua.evalAll('return pcall(debug.upvaluejoin, print, 1, function() return print end, 1)');
      expect(ok).toBe(false);
      expect(message).toMatch(/Lua function expected/);
    });

    test('formats as luaB_print: tostring of each argument, tabs, __tostring, __name', async () => {
      const lua = await make();
      const r = lua.run(`
        print(1, nil, true, 2.5, 2^63, 'a\\0b')
        print()
        print(setmetatable({}, { __tostring = function() return 'T' end }), setmetatable({}, { __name = 'Thing' }) ~= nil)
        local ok, e = pcall(print, setmetatable({}, { __tostring = function() return {} end }))
        print(ok, e)`);
      expect(r.ok).toBe(true);
      expect(r.output).toBe("1\tnil\ttrue\t2.5\t9.2233720368548e+18\ta\0b\n\nT\ttrue\nfalse\t'__tostring' must return a string\n");
    });

    test('the global tostring is not consulted (as in lua5.4)', async () => {
      const lua = await make();
      expect(lua.run('tostring = function() return "X" end print(1, "a")').output).toBe('1\ta\n');
    });

    test('a throwing print sink still fails the print call, at its line, with the cause', async () => {
      const boom = new Error('sink broke');
      const lua = await make({ print: () => { throw boom; } });
      const e = thrown(() => lua.eval('\nprint("x")'));
      expect(e.kind).toBe('runtime');
      expect(e.message).toBe('eval:2: sink broke');
      expect(e.cause).toBe(boom);
      expect(lua.eval('local ok, m = pcall(function() print("y") end) return m')).toBe('eval:1: sink broke');
    });

    test('the sink behind print ignores what is not two strings', async () => {
      const lua = await make({ stdlib: 'all' });
      const r = lua.run('local _, sink = debug.getupvalue(print, 1) sink({}, 1) sink() sink("direct", "") print("after")');
      expect(r.ok).toBe(true);
      expect(r.output).toBe('direct\nafter\n');
    });
  });

  describe('finalizers run by close()', () => {
    test('many finalizers that print: close resolves, output is dropped, VMs still work', async () => {
      const other = await make();
      other.eval('x = 41');
      const lines = [];
      const lua = await createLua({ backend, stdlib: 'all', print: (t) => lines.push(t) });
      lua.eval("keep = setmetatable({}, { __gc = function() print('bye') end })");
      lua.eval("for i = 1, 500 do setmetatable({}, { __gc = function() print('bye', i) end }) end keep2 = {}");
      lines.length = 0;
      await lua.close();
      expect(lines).toEqual([]);
      expect(thrown(() => lua.eval('return 1')).kind).toBe('closed');
      expect(other.eval('return x + 1')).toBe(42);
      const fresh = await make();
      expect(fresh.eval('return 2')).toBe(2);
    });

    test.each([
      ['ext.table', "ext.table('x').k = 1"],
      ['ext.tables', 'ext.tables()'],
      ['ext.drop', "ext.drop('x')"],
      ['a JS function', 'jsf(1)'],
      ['os.exit', 'os.exit(3)'],
      ['error', "error('boom')"],
      ['an ext proxy', 'print(#proxy, proxy.a, tostring(proxy), proxy == proxy); for k in pairs(proxy) do end; proxy.b = 2'],
    ])('a finalizer calling %s fails cleanly', async (_, call) => {
      const other = await make();
      const lua = await createLua({ backend, stdlib: 'all' });
      let called = 0;
      lua.setGlobal('jsf', () => { called += 1; });
      lua.eval(`proxy = ext.table('p') proxy.a = 1
        local proxy = proxy
        keep = setmetatable({}, { __gc = function() ${call} end })`);
      await lua.close();
      expect(called).toBe(0);
      expect(thrown(() => lua.eval('return 1')).kind).toBe('closed');
      expect(lua.ext.get('p').get('a')).toBe(1);
      expect(other.eval('return 1 + 1')).toBe(2);
    });

    if (backend === 'native') {
      // Natively io works: the finalizer can tell what it met, in a file.
      test('the core functions raise the plain error "the Lua VM is closing"', async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lua-closing-')), 'out.txt');
        const lua = await createLua({ backend, stdlib: 'all' });
        lua.setGlobal('jsf', () => 1);
        lua.setGlobal('file', file);
        lua.eval(`local file, t = file, ext.table('t')
          keep = setmetatable({}, { __gc = function()
            local out = {}
            for _, f in ipairs({ ext.table, ext.tables, jsf, os.exit, function() return #t end }) do
              local ok, e = pcall(f)
              out[#out + 1] = tostring(ok) .. ' ' .. type(e) .. ' ' .. tostring(e)
            end
            local h = io.open(file, 'w') h:write(table.concat(out, '\\n')) h:close()
          end })`);
        await lua.close();
        const seen = fs.readFileSync(file, 'utf8').split('\n');
        expect(seen).toEqual(Array(5).fill('false string the Lua VM is closing'));
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      });
    }

    test('a finalizer that loops at close is still stopped by the timeout', async () => {
      const lua = await createLua({ backend, stdlib: 'all', timeout: 100 });
      lua.eval("keep = setmetatable({}, { __gc = function() print('x') while true do end end })");
      const t0 = Date.now();
      await lua.close();
      expect(Date.now() - t0).toBeLessThan(5000);
      const fresh = await make();
      expect(fresh.eval('return 3')).toBe(3);
    });
  });

  describe('tracebacks have lua5.4 shape', () => {
    test.each(TRACEBACKS)('%s', async (name, source, expected) => {
      const lua = await make();
      const r = lua.run(source, { chunkName: name });
      expect(r.ok).toBe(false);
      expect(r.error.traceback.split('\n')[0]).toBe('stack traceback:');
      expect(frames(r.error.traceback)).toEqual(expected);
      const reference = referenceRun(name, source);
      if (reference !== null) {
        const tb = reference.slice(reference.indexOf('stack traceback:'));
        expect(frames(tb.trimEnd())).toEqual(expected);
      }
    });

    test('a function called from JS ends with the host frame too', async () => {
      const lua = await make();
      lua.eval('function gf() error("g") end');
      const e = thrown(() => lua.call('gf'));
      expect(frames(e.traceback)).toEqual(["[C]: in function 'error'", 'eval:1: in function \'gf\'', '[C]: in ?']);
    });

    test('a throwing JS function shows no frames of the engine', async () => {
      const lua = await make();
      lua.setGlobal('cb', () => { throw new Error('js'); });
      const r = lua.run('local function f() cb() end\nf()', { chunkName: 'j.lua' });
      expect(frames(r.error.traceback)).toEqual(["j.lua:1: in local 'f'", 'j.lua:2: in main chunk', '[C]: in ?']);
    });
  });
});
