'use strict';
// Hostile JS callbacks and hostile JS values (functions.test.js covers the ordinary
// cases): throwing anything, returning what Lua cannot hold, re-entering the same VM,
// closing or resetting it mid-call, getters and Proxies that throw. Every case must end
// in a clear error or a documented value, and the VM must stay sound: checked by
// `expectSound`, which also repeats the case many times (state leaks from a bad unwind,
// such as the C-call counter, show up only after a few hundred repetitions).
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, local } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make({ timeout: 2000 });
    lua.eval('keep = {1, 2, 3} ext.table("t").n = 0');
  });

  /** Globals, ext data, deep calls, pcall and memory all still work. */
  function expectSound(vm = lua) {
    expect(vm.eval('ext.table("t").n = ext.table("t").n + 1 return #keep')).toBe(3);
    expect(vm.eval('local function r(n) if n == 0 then return 0 end return 1 + r(n - 1) end return r(150)')).toBe(150);
    expect(vm.evalAll('return pcall(error, "x")')).toEqual([false, 'x']);
    expect(vm.memory().used).toBeLessThan(2 * 1024 * 1024);
  }

  /** Runs `fn` `times` times, each expected to throw; returns the last error. */
  function repeatThrown(fn, times = 300) {
    let last;
    for (let i = 0; i < times; i++) last = thrown(fn);
    return last;
  }

  describe('callbacks that throw', () => {
    const VALUES = {
      'a number': 42,
      null: null,
      'a plain object': { code: 1 },
      'a null-prototype object': Object.create(null),
      'a symbol': Symbol('s'),
      'a BigInt': 10n,
      'a frozen Error subclass': Object.freeze(new (class MyError extends Error {})('mine')),
    };

    test.each(Object.keys(VALUES))('throwing %s: a runtime LuaError whose cause is the thrown value', (name) => {
      const value = VALUES[name];
      lua.setGlobal('fail', () => {
        throw value;
      });
      const e = repeatThrown(() => lua.eval('fail()'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toMatch(/^eval:1: ./);
      expect(e.cause).toBe(value);
      expect(lua.evalAll('local ok, e = pcall(fail) return ok, type(e)')).toEqual([false, 'string']);
      expectSound();
    });

    // The message comes from the thrown value's `message` or its string form; when
    // reading either throws, the host clears that second exception and says so plainly.
    test.each([
      ['a symbol', () => Symbol('s')],
      ['a Proxy whose get trap throws', () => new Proxy({}, { get() { throw new Error('trap'); } })],
    ])('throwing %s, which cannot be described: "a JavaScript exception"', (name, make) => {
      const value = make();
      lua.setGlobal('fail', () => {
        throw value;
      });
      const e = repeatThrown(() => lua.eval('fail()'));
      expect(e.message).toBe('eval:1: a JavaScript exception');
      expect(e.cause).toBe(value);
      expect(lua.evalAll('local ok, e = pcall(fail) return ok, e')).toEqual([false, 'a JavaScript exception']);
      expectSound();
    });

    // Both backends describe a thrown value alike: its string `message`, else String(v).
    test.each([
      ['an object with a non-string message', () => ({ message: 42, toString: () => 'obj42' }), 'obj42'],
      ['a number', () => 7, '7'],
      ['a Proxy whose getPrototypeOf trap throws', () => new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }), '[object Object]'],
    ])('throwing %s: described as String(value), and the VM lives on', (name, make, text) => {
      const value = make();
      lua.setGlobal('fail', () => {
        throw value;
      });
      const e = repeatThrown(() => lua.eval('fail()'), 50);
      expect(e.kind).toBe('runtime');
      expect(e.message).toBe(`eval:1: ${text}`);
      expect(lua.evalAll('return pcall(fail)')).toEqual([false, text]);
      expectSound();
    });

    test('throwing undefined: a runtime LuaError', () => {
      lua.setGlobal('fail', () => {
        throw undefined; // eslint-disable-line no-throw-literal
      });
      const e = thrown(() => lua.eval('fail()'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expectSound();
    });

    test('an Error whose toString throws: a runtime LuaError, cause kept', () => {
      const evil = { toString() { throw new Error('toString boom'); } };
      lua.setGlobal('fail', () => {
        throw evil;
      });
      const e = repeatThrown(() => lua.eval('fail()'));
      expect(e.kind).toBe('runtime');
      expect(e.cause).toBe(evil);
      expectSound();
    });

    // Was a wasm bug (fixed in 0d89211): the getter's exception unwound through the
    // wasm frames, past Lua's error handling.
    test('an Error whose message getter throws: a runtime LuaError', () => {
      const e = new Error('x');
      Object.defineProperty(e, 'message', { get() { throw new Error('getter'); } });
      lua.setGlobal('fail', () => {
        throw e;
      });
      const err = repeatThrown(() => lua.eval('fail()'));
      expect(err).toBeInstanceOf(LuaError);
      expect(err.cause).toBe(e);
      expectSound();
    });
  });

  describe('callbacks returning what Lua cannot hold', () => {
    const returning = (v) => lua.setGlobal('give', () => v);

    test.each([
      ['a symbol', Symbol('s'), /cannot pass a JS symbol/],
      ['a BigInt beyond 64 bits', 2n ** 70n, /BigInt out of range/],
      ['a cyclic array', (() => { const a = []; a.push(a); return a; })(), /nested deeper than 200/],
      ['a Map with a NaN key', new Map([[NaN, 1]]), /NaN cannot be a Lua table key/],
      ['a 100000-deep array', (() => { let a = []; for (let i = 0; i < 1e5; i++) a = [a]; return a; })(), /nested deeper than 200/],
    ])('%s: a runtime LuaError, catchable by pcall', (_, value, message) => {
      returning(value);
      const e = repeatThrown(() => lua.eval('local v = give()'), 50);
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toMatch(message);
      expect(lua.evalAll('return pcall(give)')).toEqual([false, expect.stringMatching(message)]);
      // caught in Lua, the message is a plain string at the call's position
      expect(lua.eval('local ok, e = pcall(function() local v = give() end) return e')).toMatch(/^eval:1: /);
      expectSound();
    });

    test('class instances: tables of their own enumerable properties; Dates, RegExps, WeakMaps: refused', () => {
      class Point {
        constructor() {
          this.x = 1;
        }

        norm() {
          return 0;
        }
      }
      lua.setGlobal('give', (what) => ({ point: new Point(), date: new Date(0), regexp: /x/, weak: new WeakMap() })[what]);
      const dump = "local ks = {} for k, v in pairs(give(...)) do ks[#ks + 1] = k .. '=' .. tostring(v) end return table.concat(ks, ',')";
      lua.eval(`function dump(...) ${dump} end`);
      expect(lua.call('dump', 'point')).toBe('x=1');
      expect(['date', 'regexp', 'weak'].map((w) => thrown(() => lua.call('dump', w)).message)).toEqual([
        expect.stringContaining('cannot pass a JS Date to Lua'),
        expect.stringContaining('cannot pass a JS RegExp to Lua'),
        expect.stringContaining('cannot pass a JS WeakMap to Lua'),
      ]);
    });

    test('functions returning functions returning functions are callable from Lua', () => {
      lua.setGlobal('curry', (a) => (b) => (c) => a + b + c);
      expect(lua.eval('return curry(1)(2)(3)')).toBe(6);
      lua.setGlobal('self', function self() { return self; });
      expect(lua.eval('return type(self()()()())')).toBe('function');
    });

    test('sparse arrays, arrays with extra properties, Buffers, -0 and NaN', () => {
      lua.setGlobal('give', (w) => ({ sparse: [1, , 3], props: Object.assign([1, 2], { x: 1 }), buf: Buffer.from('hi'), neg0: -0, nan: NaN })[w]); // eslint-disable-line no-sparse-arrays
      expect(lua.evalAll(`local s, p = give("sparse"), give("props")
        return s[1], s[2], s[3], #p, p.x, give("buf"), 1 / give("neg0"), give("nan") ~= give("nan")`)).toEqual([1, undefined, 3, 2, undefined, 'hi', -Infinity, true]);
    });

    // The backends used to disagree here (wasm built a table with string keys "0", "1"...).
    test('an Int32Array is a sequence of integers on both backends', () => {
      returning(new Int32Array([1, -2]));
      expect(lua.evalAll('local t = give() return #t, t[1], t[2], math.type(t[2])')).toEqual([2, 1, -2, 'integer']);
    });

    test('an async callback is a catchable error in a synchronous call: nothing is awaited', () => {
      lua.setGlobal('later', async () => 5);
      expect(lua.evalAll('return pcall(later)')).toEqual([false, expect.stringMatching(/cannot pass a Promise to Lua/)]);
      lua.setGlobal('thenable', () => ({ then() {} }));
      expect(thrown(() => lua.eval('return thenable()')).message).toMatch(/cannot pass a Promise to Lua/);
    });
  });

  describe('getters and Proxies that throw', () => {
    const hostile = {
      'an own getter that throws': () => ({ get x() { throw new Error('getter boom'); } }),
      'a Proxy whose ownKeys trap throws': () => new Proxy({}, { ownKeys() { throw new Error('ownKeys boom'); } }),
      'a revoked Proxy': () => {
        const r = Proxy.revocable({}, {});
        r.revoke();
        return r.proxy;
      },
      'a Proxy of an array whose get trap throws': () => new Proxy([1, 2], { get(t, k) { if (k === '0') throw new Error('get boom'); return Reflect.get(t, k); } }),
    };

    // Native used to see a Proxy of an array as an object with string keys (fixed).
    test('a Proxy with harmless traps converts like its target (traps run)', () => {
      lua.setGlobal('p', new Proxy({ a: 1 }, { get: () => 'trapped' }));
      lua.setGlobal('arr', new Proxy([1, 2, 3], {}));
      expect(lua.evalAll('return p.a, #arr, arr[3]')).toEqual(['trapped', 3, 3]);
    });

    test.each(Object.keys(hostile))('setGlobal of %s throws (the JS error or a LuaError); the VM stays sound', (name) => {
      const e = repeatThrown(() => lua.setGlobal('x', hostile[name]()));
      expect(e).toBeInstanceOf(Error);
      expect(e.message).toMatch(/boom|revoked/);
      expectSound();
    });

    // 300 rounds: on wasm these exceptions used to unwind through Lua's C frames and
    // leave its C-call counter raised, until every call failed with "C stack overflow"
    // (fixed in 0d89211: the wasm host catches every JS call that can throw).
    test.each(Object.keys(hostile))('a callback returning %s: the eval throws, 300 times, and the VM stays sound', (name) => {
      lua.setGlobal('give', hostile[name]);
      const e = repeatThrown(() => lua.eval('local v = give()'));
      expect(e).toBeInstanceOf(Error);
      expectSound();
    });

    // A JS exception while converting a callback's result is a Lua error like one the
    // callback threw: catchable by pcall, reaching JS as a LuaError with the exception as
    // cause (Host::take_exception). Native once let it escape raw, past pcall.
    test('a callback result whose conversion throws is catchable by pcall', () => {
      for (const make of Object.values(hostile)) {
        lua.setGlobal('give', make);
        expect(lua.evalAll('local ok, e = pcall(give) return ok, type(e)')).toEqual([false, 'string']);
        const e = thrown(() => lua.eval('give()'));
        expect(e).toBeInstanceOf(LuaError);
        expect(e.cause).toBeInstanceOf(Error);
        expect(e.message).toBe(`eval:1: ${e.cause.message}`);
        expectSound();
      }
    });
  });

  describe('re-entering the VM from inside a callback', () => {
    test('eval, call, setGlobal, getGlobal, run, snapshot/restore, gc and memory all work re-entrantly', () => {
      lua.eval('function twice(x) return x * 2 end');
      lua.setGlobal('host', {
        eval: (code) => lua.eval(code),
        call: (name, x) => lua.call(name, x),
        set: (v) => lua.setGlobal('g', v),
        get: () => lua.getGlobal('g'),
        run: (code) => lua.run(code).ok,
        snap: () => {
          lua.restore(lua.snapshot());
          return lua.ext.get('t').get('n');
        },
        gc: () => {
          lua.gc();
          return lua.memory().used > 0;
        },
      });
      expect(lua.evalAll(`
        local a = host.eval("return 1 + 1")
        local b = host.call("twice", 21)
        host.set(41) local c = g + 1
        g = "from lua" local d = host.get()
        local e = host.run("while false do end")
        ext.table("t").n = 7 local f = host.snap()
        local h = host.gc()
        return a, b, c, d, e, f, h, host.eval("return host.eval('return 3')")`)).toEqual([2, 42, 42, 'from lua', true, 7, true, 3]);
      expectSound();
    });

    test('a nested eval that fails or times out: a LuaError inside, catchable by pcall, outer call unharmed', () => {
      lua.setGlobal('inner', (code) => lua.eval(code, { timeout: 50 }));
      const e = thrown(() => lua.eval('inner("error(\'nested\')")'));
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain('nested');
      expect(e.cause).toBeInstanceOf(LuaError);
      expect(lua.evalAll('return pcall(inner, "while true do end")')).toEqual([false, expect.stringContaining('timeout')]);
      expect(lua.eval('return 7')).toBe(7);
      expectSound();
    });

    test('nested errors leave no trace in later calls (300 rounds)', () => {
      lua.setGlobal('inner', (code) => lua.eval(code));
      for (let i = 0; i < 300; i++) expect(lua.evalAll('return pcall(inner, "error(1)")')[0]).toBe(false);
      expectSound();
    });
  });

  describe('closing or resetting the VM from inside a callback', () => {
    test('close() mid-call: the running chunk finishes, every later call throws kind closed', () => {
      lua.setGlobal('die', () => {
        lua.close();
        return 'closed';
      });
      lua.setGlobal('after', () => 'after');
      expect(lua.eval('local a = die() local t = {} for i = 1, 1e4 do t[i] = {i} end return a .. after() .. #t')).toBe('closedafter10000');
      for (const call of [() => lua.eval('return 1'), () => lua.snapshot(), () => lua.setGlobal('x', 1), () => lua.memory()]) {
        expect(thrown(call).kind).toBe('closed');
      }
    });

    test('close() from a nested eval two levels deep, then a Lua function kept by JS', () => {
      let kept;
      lua.setGlobal('keep', (f) => {
        kept = f;
      });
      lua.setGlobal('inner', (code) => lua.eval(code));
      lua.setGlobal('die', () => {
        lua.close();
      });
      expect(lua.eval('keep(function() return 9 end) return inner("die() return 5")')).toBe(5);
      expect(thrown(() => kept()).kind).toBe('closed');
    });

    test('close() mid-call returns a promise that settles; closing again is the same promise', async () => {
      let p;
      lua.setGlobal('die', () => {
        p = lua.close();
      });
      lua.eval('die()');
      await expect(p).resolves.toBeUndefined();
      expect(lua.close()).toBe(p);
    });

    test('reset() mid-call: the running chunk finishes on the old state, later calls see a fresh one', () => {
      lua.eval('g = 1');
      lua.setGlobal('re', () => {
        lua.reset();
        return 'reset';
      });
      expect(lua.eval('local a = re() g = g + 10 return a .. g')).toBe('reset11');
      expect(lua.evalAll('return g, re')).toEqual([undefined, undefined]);
      expect(lua.ext.get('t').get('n')).toBe(0);
      lua.eval('keep = {1, 2, 3}');
      expectSound();
    });

    test('a Lua function that resets its own VM: works once, then says it belongs to a reset VM', () => {
      lua.setGlobal('re', () => lua.reset());
      const f = lua.eval('return function() re() return 1 end');
      expect(f()).toBe(1);
      const e = thrown(() => f());
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toMatch(/reset or closed/);
      lua.eval('keep = {1, 2, 3}');
      expectSound();
    });
  });

  describe('deeply nested and large arguments', () => {
    test('deep arrays, Maps and objects passed in: a clear error at 200 levels, no stack overflow', () => {
      const deep = (wrap) => {
        let v = 1;
        for (let i = 0; i < 1e5; i++) v = wrap(v);
        return v;
      };
      for (const v of [deep((x) => [x]), deep((x) => new Map([[1, x]])), deep((x) => ({ x }))]) {
        expect(thrown(() => lua.setGlobal('d', v)).message).toMatch(/nested deeper than 200/);
        expect(thrown(() => lua.call('type', v)).message).toMatch(/nested deeper than 200/);
      }
      let ok = 1;
      for (let i = 0; i < 199; i++) ok = [ok];
      lua.setGlobal('d', ok);
      expect(lua.eval('local t, n = d, 0 while type(t) == "table" do t, n = t[1], n + 1 end return n')).toBe(199);
      expectSound();
    });

    test('a 200,000-element array and a 100,000-key object pass through', () => {
      lua.setGlobal('big', Array.from({ length: 2e5 }, (_, i) => i));
      expect(lua.eval('return #big + big[200000]')).toBe(2e5 + 199999);
      const obj = Object.fromEntries(Array.from({ length: 1e5 }, (_, i) => [`k${i}`, i]));
      lua.eval('function pairsCount(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end');
      expect(lua.call('pairsCount', obj)).toBe(1e5);
      expect(Object.keys(local(lua.eval('return {a = {b = {c = 1}}}')).a.b)).toEqual(['c']);
      lua.eval('big = nil');
      lua.gc();
      expectSound();
    });
  });
});
