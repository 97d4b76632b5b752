'use strict';
// Escape attempts against stdlib 'safe' (docs/security.md). sandbox.test.js checks what
// the sandbox contains; this suite attacks it: binary chunks, the debug and os
// remnants, hostile arguments to every C library, metatable tricks, finalizers,
// collector abuse, a hostile global environment under the host API, and reading host
// objects beyond what was given. Each attempt must end in a clean LuaError (or a
// harmless value), the VM must stay usable and the host must not notice.
const { spawnSync } = require('child_process');
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, local, ROOT } = require('./helpers');

/** Exactly what a script sees in 'safe' (walked from _G; libraries one level deep). */
const SAFE_GLOBALS = `_VERSION:string assert collectgarbage coroutine.close coroutine.create
  coroutine.isyieldable coroutine.resume coroutine.running coroutine.status coroutine.wrap
  coroutine.yield debug.traceback error ext.drop ext.table ext.tables getmetatable ipairs load
  math.abs math.acos math.asin math.atan math.atan2 math.ceil math.cos math.cosh math.deg
  math.exp math.floor math.fmod math.frexp math.huge:number math.ldexp math.log math.log10
  math.max math.maxinteger:number math.min math.mininteger:number math.modf math.pi:number
  math.pow math.rad math.random math.randomseed math.sin math.sinh math.sqrt math.tan math.tanh
  math.tointeger math.type math.ult next os.clock os.date os.difftime os.time pairs pcall print
  rawequal rawget rawlen rawset select setmetatable string.byte string.char string.find
  string.format string.gmatch string.gsub string.len string.lower string.match string.pack
  string.packsize string.rep string.reverse string.sub string.unpack string.upper table.concat
  table.insert table.move table.pack table.remove table.sort table.unpack tonumber tostring
  type utf8.char utf8.charpattern:string utf8.codepoint utf8.codes utf8.len utf8.offset warn
  xpcall`.split(/\s+/).map((s) => (s.includes(':') ? s : `${s}:function`));

const WALK = `
  local out, seen = {}, {}
  local function walk(t, path)
    if seen[t] then return end
    seen[t] = true
    for k, v in pairs(t) do
      local p = path == '' and tostring(k) or path .. '.' .. tostring(k)
      if type(v) == 'table' then walk(v, p) else out[#out + 1] = p .. ':' .. type(v) end
    end
  end
  walk(_G, '')
  walk(getmetatable('').__index, 'string')
  table.sort(out)
  return out`;

/**
 * Hostile arguments to the C libraries: each is run under pcall. `null` means "may
 * succeed or fail, but must not crash"; a RegExp, that it must fail with that message.
 */
const HOSTILE = {
  'string.format("%d", 2^63)': /no integer representation/,
  'string.format("%", 1)': /invalid conversion/,
  'string.format("%100d", 1)': /invalid conversion/,
  'string.format("%q", {})': /bad argument/,
  'string.format(string.rep("%d", 1000))': /bad argument/,
  'string.pack("i17", 1)': /out of limits/,
  'string.pack("s1", string.rep("x", 300))': /does not fit/,
  'string.pack("!17i4", 1)': /out of limits/,
  'string.unpack("z", "abc")': /unfinished string/,
  'string.unpack("<i8", "abc")': /too short/,
  'string.unpack("i4", "abcd", 100)': /out of string/,
  'string.unpack("<i9", "\\0\\0\\0\\0\\0\\0\\0\\0\\1")': /does not fit/,
  'string.char(256)': /value out of range/,
  'string.byte("abc", math.mininteger, math.maxinteger)': null,
  'string.sub("abc", math.mininteger, math.maxinteger)': null,
  'string.rep("x", -1)': null,
  'string.rep("x", 1e10)': /not enough memory|too large/,
  'string.rep("ab", 2^31, ",")': /not enough memory|too large/,
  'string.find("x", "(x")': /unfinished capture/,
  'string.gsub("x", "x)", "")': /invalid pattern capture/,
  'string.find("x", "%")': /malformed pattern/,
  'string.match("aaaa", string.rep("(", 40) .. "a" .. string.rep(")", 40))': /too many captures/,
  'string.find("x", "%f")': /missing '\[' after '%f'/,
  'string.gsub("abc", "%w", "%9")': /invalid capture index/,
  'utf8.char(-1)': /value out of range/,
  'utf8.codepoint("\\xff")': /invalid UTF-8/,
  'utf8.offset("abc", 1, 10)': /out of bounds/,
  'utf8.len("abc", 10)': /out of bounds/,
  'table.concat({{}})': /invalid value/,
  'table.unpack({}, 1, 1e8)': /too many results/,
  'table.unpack({}, math.mininteger, math.maxinteger)': /too many results/,
  'table.move({}, 1, math.maxinteger, 2)': /wrap around|too many elements/,
  'table.move({}, math.mininteger, -1, 1)': /too many elements/,
  'table.insert({}, 5, 1)': /out of bounds/,
  'table.remove({}, 5)': /out of bounds/,
  '(function() local t = {} for i = 1, 100 do t[i] = i % 7 end table.sort(t, function() return true end) end)()': null,
  'select(-5, 1)': /out of range/,
  'math.random(3, 1)': /interval is empty/,
  'math.random(0)': null,
  'math.floor("x")': /number expected/,
  'tostring(setmetatable({}, {__tostring = function() return {} end}))': /'__tostring' must return a string/,
  'tostring(setmetatable({}, {__name = {}}))': null,
  'os.date("%Ez")': /invalid conversion specifier/,
  'os.date("%")': /invalid conversion specifier/,
  'os.date("*t", 2^60)': null,
  'os.date("%c", math.mininteger)': null,
  'os.time({year = 2^40, month = 1, day = 1})': /out-of-bound|cannot be represented/,
  'os.time({})': /field '\w+' missing/,
  'os.difftime("a")': /number expected/,
  'load(function() return {} end)': null,
  'coroutine.close(coroutine.running())': /cannot close/,
  'coroutine.resume(coroutine.running())': null,
  'setmetatable("x", {})': /table expected/,
  'setmetatable({}, 1)': /nil or table expected/,
  'rawset(ext.table("x"), 1, 2)': /table expected/,
  'rawlen(ext.table("x"))': /table or string expected/,
  'next(ext.table("x"), {})': /invalid key to 'next'/,
  'next(ext.table("x"), 0/0)': /invalid key to 'next'/,
  'next(io)': /table expected/,
  'ext.table({})': /bad argument #1 to 'ext.table' \(string expected, got table\)/,
  'ext.drop({})': /bad argument #1 to 'ext.drop' \(string expected, got table\)/,
  'ext.table("\\xff")': null,
  'collectgarbage("step", 1e15)': null,
  'collectgarbage("step", -5)': null,
  'collectgarbage(123)': /not available/,
  'collectgarbage("count", "x")': null,
};

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make({ timeout: 2000 });
  });

  /** The VM is still the same, usable VM. */
  function expectAlive(vm = lua) {
    vm.eval('alive = (alive or 0) + 1');
    expect(vm.eval('return alive + #string.rep("x", 10)')).toBeGreaterThan(10);
  }

  test('the global environment holds exactly the safe set, nothing more', () => {
    expect(lua.eval(WALK)).toEqual(SAFE_GLOBALS.slice().sort());
  });

  describe('binary chunks', () => {
    test('a binary signature delivered piecewise by a reader function is refused', () => {
      const [f, err] = lua.evalAll(`local parts = {"\\27", "Lua", "\\x54\\0"} local i = 0
        return load(function() i = i + 1 return parts[i] end)`);
      expect(f).toBeUndefined();
      expect(err).toMatch(/attempt to load a binary chunk/);
    });

    test('real bytecode delivered in one-byte pieces, with an env, with every mode, is refused', async () => {
      const trusted = await make({ stdlib: 'all' });
      lua.setGlobal('code', trusted.eval('return string.dump(function() return os.getenv end)'));
      for (const args of ['nil, nil', '"x", "b"', '"x", "bt", {}']) {
        const [f, err] = lua.evalAll(`local i = 0
          return load(function() i = i + 1 return code:sub(i, i) ~= "" and code:sub(i, i) or nil end, ${args})`);
        expect(f).toBeUndefined();
        expect(err).toMatch(/attempt to load a binary chunk/);
      }
    });

    test('string.dump is not reachable through any path (string metatable, load env, _ENV)', () => {
      expect(lua.evalAll(`return getmetatable("").__index.dump, ("").dump,
        load("return string.dump", "x", "t", {string = string})(), _ENV.string.dump`)).toEqual([undefined, undefined, undefined, undefined]);
    });

    test('a reader returning garbage types is an error value, not a crash', () => {
      expect(lua.evalAll('return load(function() return {} end)')).toEqual([undefined, expect.stringMatching(/reader function must return a string/)]);
      expect(lua.evalAll('return load(function() error("in reader") end)')).toEqual([undefined, expect.stringMatching(/in reader/)]);
    });
  });

  describe('debug and os remnants', () => {
    test('debug.traceback with hostile arguments', () => {
      const r = lua.evalAll(`local co = coroutine.create(function() coroutine.yield() end) coroutine.resume(co)
        return debug.traceback(co), debug.traceback(co, "m", math.maxinteger), debug.traceback({}) ~= nil,
          debug.traceback("m", math.mininteger), debug.traceback(nil)`);
      expect(r[0]).toMatch(/^stack traceback:/);
      expect(r[1]).toBe('m\nstack traceback:');
      expect(r.slice(2)).toEqual([true, expect.stringMatching(/^m\nstack traceback:/), expect.stringMatching(/^stack traceback:/)]);
    });

    test('the OS is unreachable: no environment, files, processes or libraries by any name', () => {
      expect(lua.evalAll(`return os.getenv, os.execute, os.remove, os.exit, io, package, require,
        dofile, loadfile, debug.getregistry, debug.sethook, getmetatable(_G), rawget(_G, "package")`)).toEqual(Array(13).fill(undefined));
    });
  });

  test.each(Object.entries(HOSTILE))('hostile C-library call: %s', (expr, expected) => {
    const [ok, msg] = lua.evalAll(`return pcall(function() return ${expr} end)`);
    if (expected) {
      expect(ok).toBe(false);
      expect(msg).toMatch(expected);
    } else {
      expect(typeof ok).toBe('boolean');
    }
    expectAlive();
  });

  describe('metatable tricks', () => {
    test('hijacking the string metatable stays inside this VM; the host API is unaffected', async () => {
      const other = await make();
      const lines = [];
      const vm = await make({ print: (t) => lines.push(t) });
      vm.eval(`local mt = getmetatable("")
        mt.__index = function() error("hijacked") end
        mt.__concat = function() error("hijacked") end
        mt.__metatable = "locked"
        string = nil  tostring = nil  table = nil  select = nil  error = nil  pcall = nil`);
      expect(thrown(() => vm.eval('return ("x"):upper()')).message).toMatch(/hijacked|attempt to call/);
      // The host's own machinery (print, result packing, errors, ext) captured what it needs.
      expect(vm.evalAll('print(1, "two") ext.table("t").v = 1 return 1, "a", {2}')).toEqual([1, 'a', [2]]);
      expect(lines).toEqual(['1\ttwo']);
      expect(thrown(() => vm.eval('local x = nil + 1')).kind).toBe('runtime');
      expect(vm.ext.get('t').get('v')).toBe(1);
      expect(other.eval('return ("x"):upper()')).toBe('X');
    });

    test('ext proxies hide their metatable: no __gc/__index to call or replace', () => {
      expect(lua.evalAll(`local p = ext.table("t") p.x = 1
        local ok, err = pcall(setmetatable, p, {})
        return getmetatable(p), ok, err, p.x`)).toEqual([false, false, expect.stringMatching(/table expected/), 1]);
    });

    test('a replaced debug.traceback or a hostile error object cannot take over error reporting', async () => {
      lua.eval('debug.traceback = function() while true do end end');
      expect(thrown(() => lua.eval('error("boom")')).message).toBe('eval:1: boom');
      const e = thrown(() => lua.eval('error(setmetatable({}, {__tostring = function() error("inner") end}))'));
      expect(e).toBeInstanceOf(LuaError);
      const limited = await make({ timeout: 100 });
      const loop = thrown(() => limited.eval('error(setmetatable({}, {__tostring = function() while true do end end}))'));
      expect(loop.kind).toBe('timeout');
      expectAlive(limited);
    });

    test('yielding across a JS callback is a clean error', () => {
      lua.setGlobal('cb', (f) => f());
      const e = thrown(() => lua.eval('local co = coroutine.wrap(function() cb(function() coroutine.yield(1) end) end) return co()'));
      expect(e.kind).toBe('runtime');
      expect(e.message).toMatch(/attempt to yield across a C-call boundary/);
      expectAlive();
    });
  });

  describe('finalizers and the collector', () => {
    // A __gc finalizer runs whenever the collector decides, also inside lua.gc(),
    // close(), reset() or a setGlobal that allocates, where no timeout is armed: 'safe'
    // refuses them (crates/lua-sys/csrc/luap_safe.c).
    test.each([
      ['a __gc function', 'setmetatable({}, {__gc = function() while true do end end})'],
      ['__gc = false (marks the object; a function could be put there later)', 'setmetatable({}, {__gc = false})'],
      ['a replaced type() cannot fool the check', 'type = function() return "number" end setmetatable({}, {__gc = print})'],
      // The check uses Lua's cached "no such metamethod" flag: writes must clear it.
      ['__gc added to a metatable already checked without one', 'local mt = {} setmetatable({}, mt) mt.__gc = print setmetatable({}, mt)'],
      ['__gc rawset into a checked metatable', 'local mt = {} setmetatable({}, mt) rawset(mt, "__gc", print) setmetatable({}, mt)'],
      ['__gc re-added after being removed', 'local mt = {__gc = false} mt.__gc = nil setmetatable({}, mt) mt.__gc = print setmetatable({}, mt)'],
    ])('safe refuses %s', (_, code) => {
      const e = thrown(() => lua.eval(code));
      expect(e.kind).toBe('runtime');
      expect(e.message).toMatch(/__gc metamethods are not available/);
      lua.gc();
      expectAlive();
    });

    test('metatables without __gc, and adding __gc later, are harmless', () => {
      expect(lua.eval(`local mt = {} local t = setmetatable({}, mt)
        mt.__gc = function() while true do end end  -- not marked: never runs
        t = nil collectgarbage() return getmetatable(setmetatable({}, {__index = {v = 5}})).__index.v`)).toBe(5);
      lua.gc();
      expectAlive();
    });

    test("'all' (trusted code) keeps finalizers", async () => {
      const trusted = await make({ stdlib: 'all' });
      trusted.eval('ran = 0 setmetatable({}, {__gc = function() ran = ran + 1 end})');
      trusted.gc();
      expect(trusted.eval('return ran')).toBe(1);
    });

    test('collector abuse: step storms and forced collections under a memory limit', async () => {
      const vm = await make({ memoryLimit: 4 * 1024 * 1024, timeout: 2000 });
      expect(vm.eval(`for i = 1, 200 do collectgarbage("step", 1e9) collectgarbage() end
        return collectgarbage("isrunning")`)).toBe(true);
      expect(thrown(() => vm.eval('collectgarbage("stop") ')).message).toMatch(/not available/);
      expect(thrown(() => vm.eval('local t = {} for i = 1, 1e7 do t[i] = {} end')).kind).toBe('memory');
      expectAlive(vm);
    });
  });

  describe('a hostile global environment under the host API', () => {
    test('erroring _G metamethods: Lua-side access errors, setGlobal/getGlobal are raw, the VM stays usable', () => {
      lua.eval(`setmetatable(_G, {__index = function(_, k) error("no global " .. tostring(k)) end,
        __newindex = function(_, k) error("read-only " .. tostring(k)) end})`);
      expect(thrown(() => lua.call('missing')).kind).toBe('runtime');
      expect(thrown(() => lua.eval('y = 1')).kind).toBe('runtime');
      lua.setGlobal('x', 1);
      expect(lua.getGlobal('x')).toBe(1);
      expect(lua.getGlobal('missing')).toBeUndefined();
      lua.eval('setmetatable(_G, nil)');
      expectAlive();
    });

    test('a looping __index under lua.call is stopped by the timeout', async () => {
      const vm = await make({ timeout: 100 });
      vm.eval('setmetatable(_G, {__index = function() while true do end end})');
      expect(thrown(() => vm.call('missing')).kind).toBe('timeout');
    });

    // setGlobal/getGlobal address the globals table itself (raw access, engine.rs):
    // a script's looping _G metamethods never run inside them. Child process + watchdog.
    test('a looping _G metamethod cannot hang setGlobal or getGlobal', () => {
      const body = `
        lua.eval('setmetatable(_G, {__index = function() while true do end end, __newindex = function() while true do end end})');
        lua.setGlobal('x', 1);
        return lua.getGlobal('x');`;
      const code = `const { createLua } = require(${JSON.stringify(ROOT)});
        createLua({ backend: ${JSON.stringify(backend)}, timeout: 200 }).then(async (lua) => {
          const out = await (async () => { ${body} })();
          process.stdout.write(JSON.stringify(out));
        });`;
      const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 2500 });
      expect({ signal: r.signal, stdout: r.stdout }).toEqual({ signal: null, stdout: '1' });
    });

    test('removing ext or print from Lua does not break lua.ext, snapshots or run output', () => {
      lua.eval('ext.table("kept").v = 1 ext = nil print = nil');
      expect(lua.ext.get('kept').get('v')).toBe(1);
      const snap = lua.snapshot();
      lua.restore(snap);
      expect(lua.run('return 1').ok).toBe(true);
      lua.reset();
      expect(lua.eval('return ext.table("kept").v')).toBe(1);
    });
  });

  describe('reading host objects beyond what was given', () => {
    class Account {
      constructor() {
        this.name = 'ada';
        Object.defineProperty(this, 'hidden', { value: 'secret', enumerable: false });
        this[Symbol('s')] = 'symbol-keyed';
      }

      get balance() {
        return 100;
      }

      withdraw() {
        return 'withdrawn';
      }
    }

    test('objects are copied: own enumerable string keys only, no prototype, no identity', () => {
      lua.setGlobal('acct', new Account());
      expect(lua.evalAll(`return acct.name, acct.hidden, acct.balance, acct.withdraw, acct.constructor,
        acct.__proto__, acct.toString, acct.hasOwnProperty, getmetatable(acct)`)).toEqual(['ada', ...Array(8).fill(undefined)]);
      const keys = lua.eval('local ks = {} for k in pairs(acct) do ks[#ks + 1] = k end return ks');
      expect(keys).toEqual(['name']);
    });

    test('writes to a passed object stay in Lua; the JS object is untouched', () => {
      const config = { mode: 'safe', list: [1] };
      lua.setGlobal('config', config);
      lua.eval('config.mode = "pwned" config.list[1] = 99 config.extra = true');
      expect(config).toEqual({ mode: 'safe', list: [1] });
    });

    test('JS functions are plain Lua functions: no properties, called with this === undefined', () => {
      const seen = [];
      lua.setGlobal('api', {
        probe() {
          seen.push(this);
          return 1;
        },
      });
      expect(lua.evalAll('local f = api.probe return type(f), api.probe(), api:probe(), pcall(function() return f.call end)'))
        .toEqual(['function', 1, 1, false, expect.stringMatching(/attempt to index a function value/)]);
      expect(seen).toEqual([undefined, undefined]);
    });

    test('a JS exception reaches Lua as a message string only, never the Error object', () => {
      const secret = new Error('boom');
      secret.token = 'do-not-leak';
      lua.setGlobal('fail', () => {
        throw secret;
      });
      expect(lua.evalAll('local ok, e = pcall(fail) return type(e), tostring(e):find("do%-not%-leak") == nil')).toEqual(['string', true]);
    });

    test('values returned to JS are fresh copies; Lua cannot reach back through them', () => {
      const t = lua.eval('secret = {v = 1} return secret');
      t.v = 2;
      expect(lua.eval('return secret.v')).toBe(1);
      expect(local(lua.eval('return {ext.table("t")}'))[0]).toBeInstanceOf(Map);
    });
  });
});
