'use strict';
// LuaError: class, fields, kinds, line numbers.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');
const pkg = require('..');

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make();
  });

  describe('the LuaError class', () => {
    test('is exported and extends Error', () => {
      expect(typeof pkg.LuaError).toBe('function');
      expect(new pkg.LuaError({ kind: 'runtime', message: 'm' })).toBeInstanceOf(Error);
    });

    test('thrown errors are LuaError and Error, named LuaError, with the fields', () => {
      const e = thrown(() => lua.eval('error("boom")'));
      expect(e).toBeInstanceOf(pkg.LuaError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('LuaError');
      expect(e.kind).toBe('runtime');
      expect(e.message).toBe('eval:1: boom');
      expect(e.luaMessage).toBe('eval:1: boom');
      expect(e.chunkName).toBe('eval');
      expect(e.line).toBe(1);
      expect(typeof e.traceback).toBe('string');
      expect(e.traceback).toMatch(/^stack traceback:/);
      expect(typeof e.stack).toBe('string');
    });

    test('the traceback names the functions on the Lua stack', () => {
      lua.eval('function outer() inner() end\nfunction inner() error("deep") end', { chunkName: 'lib' });
      const e = thrown(() => lua.eval('outer()', { chunkName: 'main' }));
      expect(e.traceback).toMatch(/inner/);
      expect(e.traceback).toMatch(/outer/);
      expect(e.traceback).toMatch(/main:1/);
    });
  });

  describe('syntax errors', () => {
    test('kind "syntax" with the line of the bad line in a multi-line chunk', () => {
      const e = thrown(() => lua.eval('local a = 1\nlocal b = 2\nlocal c = = 3\nreturn a', { chunkName: 'multi' }));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('syntax');
      expect(e.line).toBe(3);
      expect(e.chunkName).toBe('multi');
      expect(e.message).toMatch(/^multi:3: /);
      expect(e.message).toMatch(/near '='/);
    });

    test('an unclosed block reports the end of the chunk', () => {
      const e = thrown(() => lua.eval('if x then\n  local y = 1\n'));
      expect(e.kind).toBe('syntax');
      expect(e.line).toBe(3);
      expect(e.message).toMatch(/'end' expected/);
    });

    test('a syntax error runs nothing of the chunk', () => {
      expect(() => lua.eval('ran = true\nthis is not lua')).toThrow(LuaError);
      expect(lua.eval('return ran')).toBeUndefined();
    });

    test('syntax errors from load() inside Lua are ordinary values, not thrown', () => {
      expect(lua.evalAll('return load("x = = 1")')).toEqual([undefined, expect.stringMatching(/unexpected symbol/)]);
    });
  });

  describe('runtime errors', () => {
    test('report the line where the error happened', () => {
      const e = thrown(() => lua.eval('local function boom()\n  local x = nil\n  return x.field\nend\n\nreturn boom()'));
      expect(e.kind).toBe('runtime');
      expect(e.line).toBe(3);
      expect(e.message).toBe("eval:3: attempt to index a nil value (local 'x')");
    });

    test('error(msg, 2) blames the caller line', () => {
      const e = thrown(() => lua.eval('function check(v)\n  if not v then error("bad value", 2) end\nend\n\ncheck(false)'));
      expect(e.line).toBe(5);
      expect(e.message).toBe('eval:5: bad value');
    });

    test('arithmetic on nil, calling nil, bad arguments', () => {
      expect(thrown(() => lua.eval('return 1 + nil')).message).toMatch(/attempt to perform arithmetic/);
      expect(thrown(() => lua.eval('undefinedFn()')).message).toMatch(/attempt to call a nil value \(global 'undefinedFn'\)/);
      expect(thrown(() => lua.eval('string.rep()')).message).toMatch(/bad argument #1 to 'rep'/);
    });

    test('error({code=1}) (a table error value) still gives a LuaError', () => {
      const e = thrown(() => lua.eval('error({code = 1})'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e).toBeInstanceOf(Error);
      expect(e.kind).toBe('runtime');
      expect(typeof e.message).toBe('string');
    });

    test('error with a table that has __tostring uses it', () => {
      const e = thrown(() => lua.eval('error(setmetatable({}, {__tostring = function() return "custom error" end}))'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toContain('custom error');
    });

    test('error(42), error(nil), error() still give LuaErrors', () => {
      for (const code of ['error(42)', 'error(nil)', 'error()', 'error(true)']) {
        const e = thrown(() => lua.eval(code));
        expect(e).toBeInstanceOf(LuaError);
        expect(e.kind).toBe('runtime');
        expect(typeof e.message).toBe('string');
      }
      expect(thrown(() => lua.eval('error(42)')).message).toContain('42');
    });

    test('error("msg", 0) has no position', () => {
      const e = thrown(() => lua.eval('error("plain", 0)'));
      expect(e.message).toBe('plain');
    });

    test('errors inside coroutines propagate through coroutine.wrap', () => {
      const e = thrown(() => lua.eval('local co = coroutine.wrap(function()\n  error("in co")\nend)\nco()'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toMatch(/in co/);
    });
  });

  describe('every kind is one of the documented ones', () => {
    test('kinds seen in practice', async () => {
      const limited = await make({ timeout: 50, instructionLimit: 0, memoryLimit: 8 * 1024 * 1024 });
      const counted = await make({ instructionLimit: 1000 });
      const kinds = [
        thrown(() => lua.eval('x = = 1')).kind,
        thrown(() => lua.eval('error("x")')).kind,
        thrown(() => limited.eval('return string.rep("x", 1e8)')).kind,
        thrown(() => limited.eval('while true do end')).kind,
        thrown(() => counted.eval('while true do end')).kind,
        thrown(() => lua.eval('ext.table("t").f = print')).kind,
      ];
      expect(kinds).toEqual(['syntax', 'runtime', 'memory', 'timeout', 'instructions', 'ext']);
      lua.close();
      expect(thrown(() => lua.eval('return 1')).kind).toBe('closed');
    });
  });
});
