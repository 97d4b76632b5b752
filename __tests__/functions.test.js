'use strict';
// JS functions called from Lua, Lua functions called from JS, lua.call.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, local } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make();
  });

  describe('JS functions called from Lua', () => {
    test('receive converted arguments', () => {
      const calls = [];
      lua.setGlobal('probe', (...args) => {
        calls.push(args);
      });
      lua.eval('probe(1, 2.5, "s", true, nil, {1, 2}, {x = 1}, "\\xff", math.maxinteger)');
      expect(calls).toHaveLength(1);
      const [a] = calls;
      expect(a.slice(0, 4)).toEqual([1, 2.5, 's', true]);
      expect(a[4]).toBeUndefined();
      expect(local(a[5])).toEqual([1, 2]);
      expect(local(a[6])).toEqual({ x: 1 });
      expect(Array.from(a[7])).toEqual([255]);
      expect(a[8]).toBe(9223372036854775807n);
    });

    test('results are converted back to Lua', () => {
      lua.setGlobal('mk', () => ({ list: [1, 2, 3], name: 'n', f: 1.5, i: 2 }));
      expect(lua.evalAll('local r = mk() return #r.list, r.list[3], r.name, math.type(r.f), math.type(r.i)')).toEqual([
        3, 3, 'n', 'float', 'integer',
      ]);
    });

    test('returning undefined gives nil', () => {
      lua.setGlobal('nothing', () => undefined);
      expect(lua.eval('return nothing() == nil')).toBe(true);
    });

    test('are callable many times and keep their closure', () => {
      let n = 0;
      lua.setGlobal('inc', () => ++n);
      expect(lua.eval('local s = 0 for i = 1, 100 do s = s + inc() end return s')).toBe(5050);
      expect(n).toBe(100);
    });

    test('JS functions inside objects are callable as methods', () => {
      lua.setGlobal('api', { add: (a, b) => a + b, nested: { hello: (n) => `hello ${n}` } });
      expect(lua.evalAll('return api.add(2, 3), api.nested.hello("lua")')).toEqual([5, 'hello lua']);
    });

    test('a Lua function passed to JS can be called back by JS', () => {
      lua.setGlobal('apply', (fn, x) => fn(x) * 10);
      expect(lua.eval('return apply(function(v) return v + 1 end, 4)')).toBe(50);
    });

    test('a JS function that throws is catchable by pcall in Lua', () => {
      lua.setGlobal('fail', () => {
        throw new Error('js went wrong');
      });
      const [ok, msg, t] = lua.evalAll('local ok, e = pcall(fail) return ok, e, type(e)');
      expect(ok).toBe(false);
      expect(t).toBe('string');
      expect(msg).toContain('js went wrong');
    });

    test('the caught message is a plain string Lua can concatenate', () => {
      lua.setGlobal('fail', () => {
        throw new Error('oops');
      });
      expect(lua.eval('local ok, e = pcall(fail) return "failed: " .. e')).toMatch(/^failed: .*oops/);
    });

    test('an uncaught JS exception surfaces as a LuaError whose cause is the original Error', () => {
      const original = new TypeError('js went wrong');
      lua.setGlobal('fail', () => {
        throw original;
      });
      const e = thrown(() => lua.eval('local x = 1\nfail()'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e).toBeInstanceOf(Error);
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain('js went wrong');
      expect(e.cause).toBe(original);
      expect(e.line).toBe(2);
    });

    test('the cause is kept when the caught error is re-raised by Lua', () => {
      const original = new Error('again');
      lua.setGlobal('fail', () => {
        throw original;
      });
      const e = thrown(() => lua.eval('local ok, err = pcall(fail) error(err, 0)'));
      expect(e.message).toContain('again');
      expect(e.cause).toBe(original);
    });

    test('each uncaught exception has its own cause', () => {
      const thrownErrors = [];
      lua.setGlobal('fail', () => {
        const err = new Error('same message');
        thrownErrors.push(err);
        throw err;
      });
      const e1 = thrown(() => lua.eval('fail()'));
      const e2 = thrown(() => lua.eval('fail()'));
      expect(e1.cause).toBe(thrownErrors[0]);
      expect(e2.cause).toBe(thrownErrors[1]);
    });

    test('a later Lua-raised error with the same text does not inherit a stale cause', () => {
      const original = new Error('same');
      lua.setGlobal('fail', () => {
        throw original;
      });
      expect(lua.evalAll('return pcall(fail)')).toEqual([false, 'same']);
      const e = thrown(() => lua.eval('error("same", 0)'));
      expect(e.message).toBe('same');
      expect(e.cause).toBeUndefined();
    });

    test('a thrown non-Error value still gives a LuaError with its text', () => {
      lua.setGlobal('fail', () => {
        // eslint-disable-next-line no-throw-literal
        throw 'plain string';
      });
      const e = thrown(() => lua.eval('fail()'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain('plain string');
    });

    test('the VM keeps working after a JS exception', () => {
      lua.eval('keep = "yes"');
      lua.setGlobal('fail', () => {
        throw new Error('x');
      });
      expect(() => lua.eval('fail()')).toThrow(LuaError);
      expect(lua.eval('return keep')).toBe('yes');
    });
  });

  describe('Lua functions in JS', () => {
    test('are callable and return the first result', () => {
      const f = lua.eval('return function(a, b) return a * b, "second" end');
      expect(f(6, 7)).toBe(42);
    });

    test('receive converted JS arguments', () => {
      const f = lua.eval('return function(t) return t.x * 2, math.type(t.x) end');
      expect(f({ x: 21 })).toBe(42);
      const g = lua.eval('return function(a) return #a end');
      expect(g([1, 2, 3])).toBe(3);
    });

    test('keep their upvalues and the VM globals', () => {
      const counter = lua.eval('local n = 0 return function() n = n + 1 total = (total or 0) + 1 return n end');
      counter();
      counter();
      expect(counter()).toBe(3);
      expect(lua.getGlobal('total')).toBe(3);
    });

    test('getGlobal of a Lua function gives a callable function', () => {
      lua.eval('function square(x) return x * x end');
      const sq = lua.getGlobal('square');
      expect(typeof sq).toBe('function');
      expect(sq(9)).toBe(81);
    });

    test('a Lua error inside them throws a LuaError', () => {
      const f = lua.eval('return function()\n  error("in lua fn")\nend');
      const e = thrown(() => f());
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain('in lua fn');
    });

    test('after close they throw a LuaError of kind closed', async () => {
      const other = await make();
      const f = other.eval('return function() return 1 end');
      other.close();
      const e = thrown(() => f());
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('closed');
    });

    test('after reset they throw a LuaError instead of crashing', () => {
      const f = lua.eval('return function() return 1 end');
      lua.reset();
      expect(() => f()).toThrow(LuaError);
    });
  });

  describe('lua.call', () => {
    test('calls a global function with converted args, returns the first result', () => {
      lua.eval('function add(a, b) return a + b, "second" end');
      expect(lua.call('add', 2, 3)).toBe(5);
      lua.eval('function sum(t) local s = 0 for _, v in ipairs(t) do s = s + v end return s end');
      expect(lua.call('sum', [1, 2, 3, 4])).toBe(10);
    });

    test('with no arguments, and with a function returning nothing', () => {
      lua.eval('function nothing() end function answer() return 42 end');
      expect(lua.call('nothing')).toBeUndefined();
      expect(lua.call('answer')).toBe(42);
    });

    test('calls a JS function registered as a global', () => {
      lua.setGlobal('jsfn', (a) => a + 1);
      expect(lua.call('jsfn', 1)).toBe(2);
    });

    test('a Lua error in the called function gives a LuaError', () => {
      lua.eval('function bad() error("nope") end');
      const e = thrown(() => lua.call('bad'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toContain('nope');
    });

    test('calling a missing or non-function global gives a LuaError', () => {
      const missing = thrown(() => lua.call('doesNotExist'));
      expect(missing).toBeInstanceOf(LuaError);
      expect(missing.message).toContain('doesNotExist');
      lua.eval('notAFunction = 5');
      const notFn = thrown(() => lua.call('notAFunction'));
      expect(notFn).toBeInstanceOf(LuaError);
      expect(notFn.message).toContain('notAFunction');
    });

    test('a non-string name is a TypeError', () => {
      expect(() => lua.call(42)).toThrow(TypeError);
    });
  });
});
