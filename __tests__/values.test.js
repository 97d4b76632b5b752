'use strict';
// Lua <-> JS value conversion (docs/design.md "Values"; crates/core/src/convert.rs).
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, isMap, local } = require('./helpers');

const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make();
  });

  describe('Lua -> JS scalars', () => {
    test('nil, booleans, integers, floats, strings', () => {
      expect(lua.evalAll('return nil, true, false, 42, -7, 1.5, "hi"')).toEqual([undefined, true, false, 42, -7, 1.5, 'hi']);
    });

    test('integers within +-(2^53-1) are numbers, beyond are BigInt', () => {
      const [a, b, c, d, e, f] = lua.evalAll(
        'return 9007199254740991, -9007199254740991, 9007199254740992, -9007199254740992, math.maxinteger, math.mininteger',
      );
      expect(a).toBe(MAX_SAFE);
      expect(b).toBe(-MAX_SAFE);
      expect(c).toBe(9007199254740992n);
      expect(d).toBe(-9007199254740992n);
      expect(e).toBe(9223372036854775807n);
      expect(f).toBe(-9223372036854775808n);
    });

    test('floats stay numbers even when huge or integral', () => {
      expect(lua.eval('return 2^53')).toBe(2 ** 53);
      expect(lua.eval('return 2^63')).toBe(2 ** 63);
      expect(lua.eval('return 3.0')).toBe(3);
      expect(lua.eval('return 1e300')).toBe(1e300);
    });

    test('-0.0 stays negative zero; inf and nan', () => {
      expect(Object.is(lua.eval('return -0.0'), -0)).toBe(true);
      expect(lua.eval('return 1/0')).toBe(Infinity);
      expect(lua.eval('return -1/0')).toBe(-Infinity);
      expect(Number.isNaN(lua.eval('return 0/0'))).toBe(true);
    });

    test('UTF-8 strings become JS strings', () => {
      expect(lua.eval('return "h\\u{E9}llo \\u{20AC} \\u{1F600}"')).toBe('héllo € 😀');
      expect(lua.eval('return ""')).toBe('');
      expect(lua.eval('return "a\\0b"')).toBe('a\0b');
    });

    test('non-UTF-8 byte strings become a byte-exact Uint8Array', () => {
      const b = lua.eval('return "\\xff\\0"');
      expect(b).toBeInstanceOf(Uint8Array);
      expect(Array.from(b)).toEqual([255, 0]);
      const all = lua.eval('local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end return table.concat(t)');
      expect(all).toBeInstanceOf(Uint8Array);
      expect(Array.from(all)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    });
  });

  describe('Lua -> JS tables', () => {
    test('sequences become arrays', () => {
      const a = lua.eval('return {1, "two", true, 4.5}');
      expect(Array.isArray(a)).toBe(true);
      expect(a).toEqual([1, 'two', true, 4.5]);
    });

    test('string-keyed tables become plain objects', () => {
      const o = lua.eval('return {a = 1, b = "x", c = false}');
      expect(Array.isArray(o)).toBe(false);
      expect(isMap(o)).toBe(false);
      expect(o).toEqual({ a: 1, b: 'x', c: false });
    });

    test('the empty table becomes {}', () => {
      const o = lua.eval('return {}');
      expect(Array.isArray(o)).toBe(false);
      expect(isMap(o)).toBe(false);
      expect(o).toEqual({});
    });

    test('other tables (holes, mixed keys, non-string keys) become Maps', () => {
      const [holes, mixed, boolKey, floatKey] = lua.evalAll(
        'return {[1] = 1, [3] = 3}, {1, x = 2}, {[true] = "t"}, {[1.5] = "f", [2] = "i"}',
      );
      for (const m of [holes, mixed, boolKey, floatKey]) expect(isMap(m)).toBe(true);
      expect(local(holes)).toEqual(new Map([[1, 1], [3, 3]]));
      expect(local(mixed)).toEqual(new Map([[1, 1], ['x', 2]]));
      expect(local(boolKey)).toEqual(new Map([[true, 't']]));
      expect(local(floatKey)).toEqual(new Map([[1.5, 'f'], [2, 'i']]));
    });

    test('nested tables convert recursively', () => {
      expect(local(lua.eval('return {user = {name = "bob", tags = {"a", "b"}}, list = {{x = 1}, {x = 2}}}'))).toEqual({
        user: { name: 'bob', tags: ['a', 'b'] },
        list: [{ x: 1 }, { x: 2 }],
      });
    });

    test('a subtable referenced twice keeps its identity', () => {
      const r = lua.eval('local s = {v = 1} return {a = s, b = s, list = {s, s}}');
      expect(r.a).toBe(r.b);
      expect(r.list[0]).toBe(r.a);
      expect(r.list[1]).toBe(r.a);
    });

    test('cycles become real JS cycles (object, array, Map)', () => {
      const o = lua.eval('local t = {name = "t"} t.self = t return t');
      expect(o.self).toBe(o);
      const a = lua.eval('local t = {} t[1] = t return t');
      expect(Array.isArray(a)).toBe(true);
      expect(a[0]).toBe(a);
      const m = lua.eval('local t = {} t[t] = true t[1.5] = t return t');
      expect(isMap(m)).toBe(true);
      expect(m.get(m)).toBe(true);
      expect(m.get(1.5)).toBe(m);
      const pair = lua.eval('local a, b = {}, {} a.b = b b.a = a return a');
      expect(pair.b.a).toBe(pair);
    });

    test('metatables are ignored (raw contents)', () => {
      expect(lua.eval('return setmetatable({x = 1}, {__index = function() return 99 end})')).toEqual({ x: 1 });
    });
  });

  describe('Lua -> JS functions and other types', () => {
    test('functions become callable JS functions returning the first result', () => {
      const f = lua.eval('return function(a, b) return a + b, "ignored" end');
      expect(typeof f).toBe('function');
      expect(f(2, 3)).toBe(5);
      expect(f(0.5, 1)).toBe(1.5);
    });

    test('functions nested in tables are callable too', () => {
      const o = lua.eval('local n = 0 return {inc = function() n = n + 1 return n end}');
      expect(o.inc()).toBe(1);
      expect(o.inc()).toBe(2);
    });

    test('coroutines become { luaType: "thread", description }', () => {
      const co = lua.eval('return coroutine.create(function() end)');
      expect(co).toEqual({ luaType: 'thread', description: expect.stringMatching(/^thread: /) });
    });
  });

  describe('JS -> Lua', () => {
    const mathType = (v) => {
      lua.setGlobal('v', v);
      return lua.eval('return math.type(v)');
    };

    test('math.type of JS numbers as seen from Lua', () => {
      expect(mathType(1)).toBe('integer');
      expect(mathType(0)).toBe('integer');
      expect(mathType(-5)).toBe('integer');
      expect(mathType(1.5)).toBe('float');
      expect(mathType(MAX_SAFE)).toBe('integer');
      expect(mathType(-MAX_SAFE)).toBe('integer');
      expect(mathType(2 ** 53)).toBe('float');
      expect(mathType(1e300)).toBe('float');
      expect(mathType(-0)).toBe('float');
      expect(mathType(Infinity)).toBe('float');
      expect(mathType(NaN)).toBe('float');
    });

    test('-0 stays a float negative zero', () => {
      lua.setGlobal('z', -0);
      expect(lua.evalAll('return tostring(z), 1/z')).toEqual(['-0.0', -Infinity]);
    });

    test('BigInt becomes a Lua integer within i64', () => {
      lua.setGlobal('n', 2n ** 63n - 1n);
      expect(lua.evalAll('return math.type(n), n == math.maxinteger')).toEqual(['integer', true]);
      lua.setGlobal('n', -(2n ** 63n));
      expect(lua.eval('return n == math.mininteger')).toBe(true);
      lua.setGlobal('n', 5n);
      expect(lua.evalAll('return math.type(n), n + 1')).toEqual(['integer', 6]);
    });

    test('BigInt out of i64 range is rejected with a LuaError', () => {
      for (const big of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 100n]) {
        const e = thrown(() => lua.setGlobal('n', big));
        expect(e).toBeInstanceOf(LuaError);
        expect(e.message).toMatch(/BigInt|range/i);
      }
    });

    test('undefined and null become nil', () => {
      lua.setGlobal('u', undefined);
      lua.setGlobal('n', null);
      expect(lua.evalAll('return u == nil, n == nil')).toEqual([true, true]);
    });

    test('strings are passed as UTF-8', () => {
      lua.setGlobal('s', 'héllo €');
      expect(lua.evalAll('return #s, utf8.len(s), s:sub(1, 1)')).toEqual([10, 7, 'h']);
    });

    test('Uint8Array becomes a byte-exact Lua string', () => {
      lua.setGlobal('b', new Uint8Array([255, 0, 1]));
      expect(lua.evalAll('return type(b), #b, b:byte(1), b:byte(2), b:byte(3)')).toEqual(['string', 3, 255, 0, 1]);
    });

    test('arrays become sequences, objects and Maps become tables', () => {
      lua.setGlobal('a', [10, 20, 30]);
      expect(lua.evalAll('return #a, a[1], a[3]')).toEqual([3, 10, 30]);
      lua.setGlobal('o', { name: 'x', nested: { n: 1 } });
      expect(lua.evalAll('return o.name, o.nested.n')).toEqual(['x', 1]);
    });

    test('a Map built in the caller\'s realm becomes a table with its entries', () => {
      lua.setGlobal('m', new Map([[1, 'one'], [true, 'yes'], ['k', 'v'], [2.5, 'f']]));
      expect(lua.evalAll('return m[1], m[true], m.k, m[2.5]')).toEqual(['one', 'yes', 'v', 'f']);
    });

    test('a Map from the addon\'s own realm becomes a table with its entries', () => {
      // Same conversion as above, with a Map that the addon made itself.
      const m = lua.eval('return {[1] = "one", [true] = "yes", k = "v", [2.5] = "f"}');
      lua.setGlobal('m', m);
      expect(lua.evalAll('return m[1], m[true], m.k, m[2.5]')).toEqual(['one', 'yes', 'v', 'f']);
    });

    test('JS cycles are rejected with an error (not a hang or crash)', () => {
      const o = { a: 1 };
      o.self = o;
      const e = thrown(() => lua.setGlobal('c', o));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toMatch(/cycl|deep/i);
      const arr = [];
      arr.push(arr);
      expect(() => lua.setGlobal('c', arr)).toThrow(LuaError);
      // the VM is still fine afterwards
      expect(lua.eval('return 1 + 1')).toBe(2);
    });

    test('JS values with no Lua equivalent (symbols) are rejected', () => {
      expect(() => lua.setGlobal('s', Symbol('x'))).toThrow(LuaError);
    });

    test('JS functions become callable Lua functions', () => {
      lua.setGlobal('double', (x) => x * 2);
      expect(lua.evalAll('return type(double), double(21)')).toEqual(['function', 42]);
    });
  });

  describe('realm', () => {
    test('Maps returned by Lua are instances of the caller\'s Map', () => {
      expect(lua.eval('return {[true] = 1}')).toBeInstanceOf(Map);
    });

    test('Maps returned by Lua compare equal to Map literals', () => {
      expect(lua.eval('return {[true] = 1}')).toEqual(new Map([[true, 1]]));
    });
  });

  describe('round trips via setGlobal / getGlobal', () => {
    const roundTrip = (v) => {
      lua.setGlobal('rt', v);
      return lua.getGlobal('rt');
    };

    test.each([
      ['integer', 42],
      ['negative', -42],
      ['float', 0.1],
      ['max safe', MAX_SAFE],
      ['string', 'text with \t and \n'],
      ['unicode', '日本語 🎉'],
      ['true', true],
      ['false', false],
      ['BigInt beyond 2^53', 2n ** 60n],
    ])('%s', (_, v) => {
      expect(roundTrip(v)).toEqual(v);
    });

    test('undefined and null come back as undefined', () => {
      expect(roundTrip(undefined)).toBeUndefined();
      expect(roundTrip(null)).toBeUndefined();
    });

    test('-0 comes back as -0', () => {
      expect(Object.is(roundTrip(-0), -0)).toBe(true);
    });

    test('byte strings come back byte-exact', () => {
      const back = roundTrip(new Uint8Array([0xff, 0x00, 0x80, 0x7f]));
      expect(back).toBeInstanceOf(Uint8Array);
      expect(Array.from(back)).toEqual([0xff, 0x00, 0x80, 0x7f]);
    });

    test('nested structures', () => {
      const v = { list: [1, 2.5, 'x', [true, false]], obj: { deep: { deeper: 'yes' } } };
      expect(local(roundTrip(v))).toEqual(v);
    });

    test('Maps with non-string keys stay Maps', () => {
      const m = new Map([[1, 'a'], [3, 'c'], [true, 'b'], [1.5, 'f']]);
      const back = roundTrip(m);
      expect(isMap(back)).toBe(true);
      expect(local(back)).toEqual(m);
    });

    test('a Lua value read with getGlobal keeps its conversion rules', () => {
      lua.eval('g = {seq = {1, 2}, big = math.maxinteger, bytes = "\\xfe", f = 2.0}');
      const g = lua.getGlobal('g');
      expect(g.seq).toEqual([1, 2]);
      expect(g.big).toBe(9223372036854775807n);
      expect(Array.from(g.bytes)).toEqual([0xfe]);
      expect(g.f).toBe(2);
    });

    test('missing globals read as undefined', () => {
      expect(lua.getGlobal('doesNotExist')).toBeUndefined();
    });
  });
});
