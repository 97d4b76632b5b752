'use strict';
// stdlib 'safe' (default) vs 'all' (docs/design.md "Safety by default").
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);

  describe("stdlib 'safe' (default)", () => {
    let lua;
    beforeEach(async () => {
      lua = await make();
    });

    test.each([
      'io',
      'os.execute',
      'os.exit',
      'os.getenv',
      'os.remove',
      'os.rename',
      'os.tmpname',
      'os.setlocale',
      'dofile',
      'loadfile',
      'require',
      'package',
      'string.dump',
      'debug.getinfo',
      'debug.sethook',
      'debug.gethook',
      'debug.getlocal',
      'debug.setupvalue',
      'debug.getregistry',
      'debug.setmetatable',
    ])('%s is absent', (name) => {
      expect(lua.eval(`return ${name} == nil`)).toBe(true);
    });

    test('calling an absent function is a runtime error, not an escape', () => {
      const e = thrown(() => lua.eval('os.execute("echo hi")'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(() => lua.eval('io.open("/etc/passwd")')).toThrow(LuaError);
    });

    test('the absent functions are not reachable through string metatables or _G', () => {
      expect(lua.eval('return ("").dump == nil')).toBe(true);
      expect(lua.eval('return _G.io == nil and _G.require == nil and _ENV.dofile == nil')).toBe(true);
    });

    test('debug.traceback works', () => {
      const tb = lua.eval('return debug.traceback("hello")');
      expect(typeof tb).toBe('string');
      expect(tb).toMatch(/^hello\nstack traceback:/);
    });

    test('os.time, os.clock, os.date, os.difftime work', () => {
      const [time, clock, year, diff, fixed] = lua.evalAll(
        'return os.time(), os.clock(), os.date("*t").year, os.difftime(10, 4), os.date("!%Y-%m-%d", 0)',
      );
      expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(120);
      // Processor time as lua5.4's: seconds the program has run (on wasm, since the VM
      // was made), never a date's worth (it once read the epoch's seconds on wasm).
      expect(clock).toBeGreaterThanOrEqual(0);
      expect(clock).toBeLessThan(1e5);
      expect(year).toBeGreaterThanOrEqual(2024);
      expect(diff).toBe(6);
      expect(fixed).toBe('1970-01-01');
      expect(lua.eval('return os.time({year = 2000, month = 1, day = 1, hour = 12})')).toEqual(expect.any(Number));
    });

    test('base, string, table, math, utf8, coroutine libraries are there', () => {
      expect(lua.evalAll(`return
        type(print), type(pairs), type(pcall), type(setmetatable), type(tostring), type(select),
        type(string.format), type(table.concat), type(math.floor), type(utf8.char), type(coroutine.wrap)`)).toEqual(
        Array(11).fill('function'),
      );
      expect(lua.eval('return string.format("%5.2f|%d|%s", 3.14159, 42, "x")')).toBe(' 3.14|42|x');
      expect(lua.eval('local co = coroutine.wrap(function() coroutine.yield(1) return 2 end) return co() + co()')).toBe(3);
    });

    test('load of a text chunk works (with a name, and with an env table)', () => {
      expect(lua.eval('return load("return 1 + 2")()')).toBe(3);
      expect(lua.evalAll('return load("return x", "chunk", "t", {x = "from env"})()')).toEqual(['from env']);
      expect(lua.evalAll('local f, err = load("return +", "=named") return f, err')).toEqual([undefined, expect.stringMatching(/^named:1:/)]);
    });

    test('load of a text chunk from a reader function works', () => {
      expect(lua.eval('local parts = {"return ", "4", "2"} local i = 0 return load(function() i = i + 1 return parts[i] end)()')).toBe(42);
    });

    test('load refuses a string that starts with the binary signature', () => {
      const [f, err] = lua.evalAll('return load("\\27Lua\\x54\\0")');
      expect(f).toBeUndefined();
      expect(err).toMatch(/binary/);
    });

    test('load refuses a real precompiled chunk (mode forced to text)', async () => {
      const trusted = await make({ stdlib: 'all' });
      const bytecode = trusted.eval('return string.dump(function() return 1234 end)');
      expect(bytecode).toBeInstanceOf(Uint8Array);
      lua.setGlobal('bytecode', bytecode);
      for (const call of ['load(bytecode)', 'load(bytecode, "x", "b")', 'load(bytecode, "x", "bt")']) {
        const [f, err] = lua.evalAll(`return ${call}`);
        expect(f).toBeUndefined();
        expect(err).toMatch(/attempt to load a binary chunk/);
      }
    });

    test("load forces text mode: a text chunk loads even when mode 'b' is asked for", () => {
      // with the mode forced to 't', a text chunk loads even when 'b' is asked for
      expect(lua.eval('return load("return 5", "x", "b")()')).toBe(5);
    });

    test("collectgarbage('count') and collect work", () => {
      const kb = lua.eval('return collectgarbage("count")');
      expect(typeof kb).toBe('number');
      expect(kb).toBeGreaterThan(0);
      expect(lua.eval('return collectgarbage()')).toBe(0);
      expect(lua.eval('return collectgarbage("collect")')).toBe(0);
    });

    test.each(['stop', 'restart', 'incremental', 'generational', 'setpause'])("collectgarbage('%s') errors", (opt) => {
      const e = thrown(() => lua.eval(`collectgarbage("${opt}")`));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain(opt);
    });

    test('the collector is still running after a refused stop', () => {
      expect(() => lua.eval('collectgarbage("stop")')).toThrow(LuaError);
      expect(lua.eval('return collectgarbage("isrunning")')).toBe(true);
    });

    test("the safe load and collectgarbage name themselves in argument errors, as Lua's own do", () => {
      expect(lua.evalAll('return pcall(load, {})')).toEqual([false, "bad argument #1 to 'load' (function expected, got table)"]);
      expect(lua.evalAll('return pcall(load, "return 1", {})')).toEqual([false, "bad argument #2 to 'load' (string expected, got table)"]);
      expect(lua.evalAll('return pcall(collectgarbage, "step", "x")')).toEqual([false, "bad argument #2 to 'collectgarbage' (number expected, got string)"]);
      // a refused option points at the calling line, like error(msg, 2) would
      expect(thrown(() => lua.eval('\ncollectgarbage(123)', { chunkName: 'gc' })).message).toMatch(/^gc:2: collectgarbage\('123'\) is not available/);
    });

    test('the safe collectgarbage passes every result of the allowed options through', () => {
      expect(lua.evalAll('return collectgarbage("step"), collectgarbage("isrunning"), select("#", collectgarbage())')).toEqual([true, true, 1]);
      expect(lua.evalAll('return collectgarbage(nil), collectgarbage("count", "ignored") > 0')).toEqual([0, true]);
    });

    test('the sandbox survives reset()', () => {
      lua.reset();
      expect(lua.eval('return io == nil and os.execute == nil and string.dump == nil')).toBe(true);
    });
  });

  describe("stdlib 'all'", () => {
    test('io, os.getenv and the full debug library exist', async () => {
      const lua = await make({ stdlib: 'all' });
      expect(lua.evalAll('return type(io), type(io.write), type(os.getenv), type(os.execute), type(debug.getinfo), type(string.dump), type(require)')).toEqual([
        'table', 'function', 'function', 'function', 'function', 'function', 'function',
      ]);
    });

    // The one documented difference between backends: 'all' gives the native backend
    // the real OS (environment, files, processes); the wasm module has none of them and
    // reports so through the ordinary Lua failure values.
    if (backend === 'native') {
      test('os.getenv reads the process environment', async () => {
        const lua = await make({ stdlib: 'all' });
        expect(lua.eval('return os.getenv("PATH")')).toBe(process.env.PATH);
      });
    } else {
      test('there is no OS behind io and os: failures, not crashes', async () => {
        const lua = await make({ stdlib: 'all' });
        expect(lua.eval('return os.getenv("PATH")')).toBeUndefined();
        expect(lua.evalAll('return io.open("/etc/hostname")')).toEqual([undefined, expect.stringContaining('/etc/hostname'), expect.any(Number)]);
        expect(lua.eval('return 1 + 1')).toBe(2);
      });
    }

    test('os.exit ends the call with exitCode, not the process; pcall cannot keep it running', async () => {
      const lua = await make({ stdlib: 'all', timeout: 0 });
      const code = (src) => thrown(() => lua.eval(src)).exitCode;
      expect(code('os.exit(5)')).toBe(5);
      expect([code('os.exit()'), code('os.exit(true)'), code('os.exit(false)'), code('os.exit("3")')]).toEqual([0, 0, 1, 3]);
      const e = thrown(() => lua.eval('ext.table("log").before = 1 os.exit(2) ext.table("log").after = 1'));
      expect([e.kind, e.exitCode, e.message]).toEqual(['runtime', 2, 'os.exit(2): the script asked the host to exit']);
      // A failing status undoes the call's ext changes (it is a failed call); a success
      // status ends it as a script ends, keeping them.
      expect(lua.ext.has('log')).toBe(false);
      expect(thrown(() => lua.eval('ext.table("log").kept = 1 os.exit(true)')).exitCode).toBe(0);
      expect([...lua.ext.get('log').keys()]).toEqual(['kept']);
      // Caught, the request still ends the call at the next loop iteration or call.
      expect(code('pcall(os.exit, 4) local n = 0 while true do n = n + 1 end')).toBe(4);
      expect(code('pcall(os.exit, 6) return "after"')).toBe(6);
      const bad = thrown(() => lua.eval('os.exit({})'));
      expect([bad.exitCode, bad.message]).toEqual([undefined, "bad argument #1 to 'exit' (number expected, got table)"]);
      expect(lua.eval('return "still here"')).toBe('still here');
      expect(thrown(() => lua.eval('os.exit(1)')).exitCode).toBe(1);
      expect(lua.run('os.exit(9)').error.exitCode).toBe(9);
    });

    test('ext and print are there too', async () => {
      const lua = await make({ stdlib: 'all' });
      expect(lua.run('ext.table("t").a = 1 print("ok")').output).toBe('ok\n');
      expect(lua.ext.get('t').get('a')).toBe(1);
    });
  });
});
