'use strict';
// eval / evalAll / run: results, persistent globals, isolation between VMs, print
// capture, chunk names.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, runIsolated } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);

  describe('eval', () => {
    test('returns the first result of the chunk', async () => {
      const lua = await make();
      expect(lua.eval('return 1 + 1')).toBe(2);
      expect(lua.eval('return "a", "b"')).toBe('a');
      expect(lua.eval('return 10 // 3, 99')).toBe(3);
    });

    test('a chunk returning nothing gives undefined', async () => {
      const lua = await make();
      expect(lua.eval('local x = 1')).toBeUndefined();
      expect(lua.eval('return nil')).toBeUndefined();
    });

    test('runs real Lua 5.4 (integer division, bit ops, goto, utf8, integer/float types)', async () => {
      const lua = await make();
      expect(lua.eval('return _VERSION')).toBe('Lua 5.4');
      expect(lua.eval('return 7 // 2')).toBe(3);
      expect(lua.eval('return 0xF0 | 0x0F')).toBe(255);
      expect(lua.eval('return 1 << 62 == math.maxinteger // 2 + 1')).toBe(true);
      expect(lua.eval('return math.type(3 / 1)')).toBe('float');
      expect(lua.eval('return utf8.char(8364)')).toBe('€');
      expect(lua.eval('local i = 0 ::top:: i = i + 1 if i < 5 then goto top end return i')).toBe(5);
    });

    test('rejects non-string code with a TypeError', async () => {
      const lua = await make();
      expect(() => lua.eval(42)).toThrow(TypeError);
      expect(() => lua.evalAll(undefined)).toThrow(TypeError);
    });
  });

  describe('evalAll', () => {
    test('returns every result, nils in the middle kept as undefined', async () => {
      const lua = await make();
      expect(lua.evalAll('return 1, "a", nil, true')).toEqual([1, 'a', undefined, true]);
      expect(lua.evalAll('return 1, "a", nil, true')).toHaveLength(4);
    });

    test('returns an empty array when nothing is returned', async () => {
      const lua = await make();
      expect(lua.evalAll('local x = 1')).toEqual([]);
    });

    test('returns varargs of a function call', async () => {
      const lua = await make();
      expect(lua.evalAll('return table.unpack({3, 2, 1})')).toEqual([3, 2, 1]);
    });
  });

  describe('persistent globals', () => {
    test('globals survive between evals', async () => {
      const lua = await make();
      lua.eval('counter = 0');
      lua.eval('counter = counter + 1');
      lua.eval('counter = counter + 1');
      expect(lua.eval('return counter')).toBe(2);
    });

    test('functions defined in one eval are callable in the next', async () => {
      const lua = await make();
      lua.eval('function greet(n) return "hi " .. n end');
      expect(lua.eval('return greet("bob")')).toBe('hi bob');
    });

    test('locals do not leak between evals', async () => {
      const lua = await make();
      lua.eval('local secret = 1');
      expect(lua.eval('return secret')).toBeUndefined();
    });

    test('a failing eval keeps the globals set before the error', async () => {
      const lua = await make();
      expect(() => lua.eval('before = 1 error("x") after = 2')).toThrow(LuaError);
      expect(lua.evalAll('return before, after')).toEqual([1, undefined]);
    });

    test('many independent VMs do not share globals or ext tables', async () => {
      const vmsList = [];
      for (let i = 0; i < 8; i++) vmsList.push(await make());
      vmsList.forEach((lua, i) => lua.eval(`id = ${i} ext.table("t").id = ${i}`));
      vmsList.forEach((lua, i) => {
        expect(lua.eval('return id')).toBe(i);
        expect(lua.eval('return ext.table("t").id')).toBe(i);
        expect(lua.ext.get('t').get('id')).toBe(i);
      });
      vmsList[0].eval('onlyHere = true');
      expect(vmsList[1].eval('return onlyHere')).toBeUndefined();
    });
  });

  describe('many results (run in a child process: the failure mode is an abort)', () => {
    const strings = Array.from({ length: 30 }, (_, i) => `"s${i}"`).join(', ');
    const expectOk = (r, stdout) => {
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(r.stdout).toBe(stdout);
    };

    test('30 number results are fine', () => {
      const nums = Array.from({ length: 30 }, (_, i) => i).join(', ');
      expectOk(runIsolated(backend, `return lua.evalAll('return ${nums}').length`), '30');
    });

    test('evalAll returning 30 strings', () => {
      expectOk(runIsolated(backend, `return lua.evalAll('return ${strings}').length`), '30');
    });

    test('eval (first result only) of a chunk returning 30 strings', () => {
      expectOk(runIsolated(backend, `return lua.eval('return ${strings}')`), '"s0"');
    });

    test('run returning 30 tables', () => {
      expectOk(runIsolated(backend, `return lua.run('local t = {} return ' + Array(30).fill('t').join(', ')).values.length`), '30');
    });

    test('lua.call of a function returning 30 strings', () => {
      expectOk(runIsolated(backend, `lua.eval('function many() return ${strings} end'); return lua.call('many')`), '"s0"');
    });

    test('a Lua function called from JS returning 30 strings', () => {
      expectOk(runIsolated(backend, `const f = lua.eval('return function() return ${strings} end'); return f()`), '"s0"');
    });

    test('30 string arguments to a JS function are fine', () => {
      expectOk(runIsolated(backend, `lua.setGlobal('cb', (...a) => a.length); return lua.eval('return cb(${strings})')`), '30');
    });
  });

  describe('run', () => {
    test('success: { ok: true, values, output, stats } and no error key', async () => {
      const lua = await make();
      const r = lua.run('x = 3 return x, 4');
      expect(r.ok).toBe(true);
      expect(r.values).toEqual([3, 4]);
      expect(r.output).toBe('');
      expect('error' in r).toBe(false);
      expect(r.stats).toEqual(expect.any(Object));
      expect(lua.eval('return x')).toBe(3);
    });

    test('stats carries numbers (duration, memory)', async () => {
      const lua = await make();
      const r = lua.run('local t = {} for i = 1, 1000 do t[i] = i end return #t');
      expect(r.values).toEqual([1000]);
      expect(typeof r.stats.durationMs).toBe('number');
      expect(r.stats.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof r.stats.memoryUsed).toBe('number');
      expect(r.stats.memoryUsed).toBeGreaterThan(0);
    });

    test('durationMs comes from a monotonic sub-millisecond clock on both backends', async () => {
      const lua = await make();
      const times = Array.from({ length: 20 }, () => lua.run('return 1').stats.durationMs);
      // A millisecond wall clock (Date.now) would give 0 for most of these calls.
      expect(Math.min(...times)).toBeGreaterThan(0);
      expect(Math.min(...times)).toBeLessThan(1);
    });

    test('captures print output exactly as Lua formats it', async () => {
      const lua = await make();
      expect(lua.run('print(1, nil, true, 1.5)').output).toBe('1\tnil\ttrue\t1.5\n');
      expect(lua.run('print("a") print() print("b\\nc")').output).toBe('a\n\nb\nc\n');
      expect(lua.run('print(2^63, -0.0, 10 // 1, 1e100)').output).toBe('9.2233720368548e+18\t-0.0\t10\t1e+100\n');
      expect(lua.run('print(setmetatable({}, {__tostring = function() return "custom" end}))').output).toBe('custom\n');
    });

    test('output is per call, not accumulated', async () => {
      const lua = await make();
      expect(lua.run('print("one")').output).toBe('one\n');
      expect(lua.run('print("two")').output).toBe('two\n');
    });

    test('never throws: runtime error -> ok false with a LuaError, output kept', async () => {
      const lua = await make();
      let r;
      expect(() => { r = lua.run('print("before") error("boom")'); }).not.toThrow();
      expect(r.ok).toBe(false);
      expect(r.values).toEqual([]);
      expect(r.output).toBe('before\n');
      expect(r.error).toBeInstanceOf(LuaError);
      expect(r.error.kind).toBe('runtime');
      expect(r.error.message).toBe('eval:1: boom');
      expect(r.stats).toEqual(expect.any(Object));
    });

    test('never throws: syntax error -> ok false, kind syntax', async () => {
      const lua = await make();
      const r = lua.run('x = = 1');
      expect(r.ok).toBe(false);
      expect(r.error).toBeInstanceOf(LuaError);
      expect(r.error.kind).toBe('syntax');
    });

    test('never throws: timeout -> ok false, kind timeout', async () => {
      const lua = await make();
      const r = lua.run('while true do end', { timeout: 50 });
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe('timeout');
    });
  });

  describe('print option', () => {
    test('receives each line live, while the chunk is still running', async () => {
      const lines = [];
      const lua = await make({ print: (t) => lines.push(t) });
      lua.setGlobal('seen', () => lines.length);
      const [n1, n2] = lua.evalAll('print("a") local n1 = seen() print("b", 2) return n1, seen()');
      expect(n1).toBe(1);
      expect(n2).toBe(2);
      expect(lines).toEqual(['a', 'b\t2']);
    });

    test('still gets lines from run(), which also captures them', async () => {
      const lines = [];
      const lua = await make({ print: (t) => lines.push(t) });
      const r = lua.run('print("x", nil)');
      expect(r.output).toBe('x\tnil\n');
      expect(lines).toEqual(['x\tnil']);
    });

    test('a print sink that throws fails that print call, like a throwing JS function', async () => {
      const sinkError = new Error('sink closed');
      const lua = await make({ print: () => { throw sinkError; } });
      const e = thrown(() => lua.eval('local x = 1\nprint("x")'));
      expect([e.kind, e.message, e.line, e.cause]).toEqual(['runtime', 'eval:2: sink closed', 2, sinkError]);
      expect(lua.evalAll('return pcall(print, "y")')).toEqual([false, 'sink closed']);
      const r = lua.run('print("z") return 1');
      expect([r.ok, r.output]).toEqual([false, 'z\n']); // captured all the same
      expect(lua.eval('return 1 + 1')).toBe(2);
    });

    test('a non-function print option is rejected', async () => {
      await expect(make({ print: 'nope' })).rejects.toThrow(TypeError);
    });
  });

  describe('chunk names', () => {
    test('default chunk name is "eval"', async () => {
      const lua = await make();
      const e = thrown(() => lua.eval('error("boom")'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toBe('eval:1: boom');
      expect(e.chunkName).toBe('eval');
    });

    test('chunkName option appears in runtime and syntax errors', async () => {
      const lua = await make();
      const e = thrown(() => lua.eval('\n\nerror("boom")', { chunkName: 'my/script.lua' }));
      expect(e.message).toBe('my/script.lua:3: boom');
      expect(e.chunkName).toBe('my/script.lua');
      expect(e.line).toBe(3);
      const s = thrown(() => lua.eval('x = = 1', { chunkName: 'broken.lua' }));
      expect(s.kind).toBe('syntax');
      expect(s.message).toMatch(/^broken\.lua:1: /);
    });

    test('chunkName applies to evalAll and run too', async () => {
      const lua = await make();
      expect(thrown(() => lua.evalAll('error("e")', { chunkName: 'all' })).message).toBe('all:1: e');
      expect(lua.run('error("e")', { chunkName: 'repl' }).error.message).toBe('repl:1: e');
    });

    test('functions keep the chunk name they were defined in', async () => {
      const lua = await make();
      lua.eval('function fail()\n  error("inside")\nend', { chunkName: 'lib.lua' });
      const e = thrown(() => lua.eval('fail()', { chunkName: 'main.lua' }));
      expect(e.message).toBe('lib.lua:2: inside');
    });
  });
});
