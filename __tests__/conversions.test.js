'use strict';
// JS values beyond the plain ones, converted to Lua (docs/design.md "Values";
// crates/core/src/convert.rs, lib/kinds.js): Sets, typed arrays, ArrayBuffers, Errors
// and class instances convert; Dates, DataViews, RegExps, Weak* objects and boxed
// primitives are refused with an error that says what to pass instead. Every value is
// tried in every position a JS value reaches Lua from, and inside lua.ext.
const vm = require('vm');
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, isMap, local } = require('./helpers');

/**
 * `describe(x)`: a Lua value as text that keeps what the JS side cannot see: integers
 * print bare, floats with an `f`, strings quoted (%q), tables as their sorted entries.
 */
const DESCRIBE = String.raw`
function describe(x)
  if type(x) == 'table' then
    local parts = {}
    for k, v in pairs(x) do parts[#parts + 1] = '[' .. describe(k) .. ']=' .. describe(v) end
    table.sort(parts)
    return '{' .. table.concat(parts, ',') .. '}'
  elseif type(x) == 'string' then
    return (string.format('%q', x):gsub('[\128-\255]', function(c) return '\\' .. c:byte() end))
  elseif math.type(x) == 'float' then
    return string.format('%.17g', x) .. 'f'
  end
  return tostring(x)
end
function inner(o) return describe(o.inner) end
function first(a) return describe(a[1]) end
function entry(m) return describe(m.k) end
`;

/**
 * Each way a JS value reaches Lua: name -> (lua, value) => describe(value as Lua got it).
 * A callback's result that cannot convert is an error at the Lua call's position.
 */
const AT_CALL = 'eval:1: ';
const POSITIONS = {
  'an argument': (lua, v) => lua.call('describe', v),
  'an argument of a Lua function called from JS': (lua, v) => lua.eval('return describe')(v),
  'a global': (lua, v) => {
    lua.setGlobal('g', v);
    return lua.eval('return describe(g)');
  },
  "a callback's result": (lua, v) => {
    lua.setGlobal('give', () => v);
    return lua.eval('return describe(give())');
  },
  'a property of an object': (lua, v) => lua.call('inner', { inner: v }),
  'an element of an array': (lua, v) => lua.call('first', [v]),
  'a value of a Map': (lua, v) => lua.call('entry', new Map([['k', v]])),
};

class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }

  norm() {
    return Math.hypot(this.x, this.y);
  }
}

const bytes = (...b) => new Uint8Array(b);

/** [name, () => value, describe(the Lua value)]. */
const CONVERTED = [
  ['a Set of scalars', () => new Set(['a', 1, 2.5, true, 3n, bytes(255)]), '{["\\255"]=true,["a"]=true,[1]=true,[2.5f]=true,[3]=true,[true]=true}'],
  ['an empty Set', () => new Set(), '{}'],
  ['a Set subclass', () => new (class Tags extends Set {})(['x']), '{["x"]=true}'],
  ['an Int8Array', () => new Int8Array([-128, 127]), '{[1]=-128,[2]=127}'],
  ['a Uint8ClampedArray', () => new Uint8ClampedArray([0, 300]), '{[1]=0,[2]=255}'],
  ['an Int16Array', () => new Int16Array([-32768, 7]), '{[1]=-32768,[2]=7}'],
  ['a Uint16Array', () => new Uint16Array([65535]), '{[1]=65535}'],
  ['an Int32Array', () => new Int32Array([-2147483648, 1]), '{[1]=-2147483648,[2]=1}'],
  ['a Uint32Array', () => new Uint32Array([4294967295]), '{[1]=4294967295}'],
  ['a Float32Array', () => new Float32Array([1, 0.5, -0]), '{[1]=1,[2]=0.5f,[3]=-0f}'],
  ['a Float64Array', () => new Float64Array([3, 0.1, 2 ** 53]), '{[1]=3,[2]=0.10000000000000001f,[3]=9007199254740992f}'],
  ['a BigInt64Array', () => new BigInt64Array([-(2n ** 63n), 5n]), '{[1]=-9223372036854775808,[2]=5}'],
  ['a BigUint64Array within 64-bit signed', () => new BigUint64Array([2n ** 63n - 1n]), '{[1]=9223372036854775807}'],
  ['a typed array viewing part of a buffer', () => new Int16Array(new Int16Array([1, 2, 3]).buffer, 2, 1), '{[1]=2}'],
  ['an empty typed array', () => new Float64Array(0), '{}'],
  ['an ArrayBuffer', () => bytes(104, 0, 255).buffer, '"h\\0\\255"'],
  ['an empty ArrayBuffer', () => new ArrayBuffer(0), '""'],
  ['a Uint8Array (unchanged)', () => bytes(104, 105), '"hi"'],
  ['an Error', () => Object.assign(new TypeError('boom'), { code: 'E_X' }), '{["code"]="E_X",["message"]="boom",["name"]="TypeError"}'],
  ['an Error subclass', () => new (class AppError extends Error {})('x'), '{["message"]="x",["name"]="Error"}'],
  ['a class instance (own fields, no methods)', () => new Point(1, 2), '{["x"]=1,["y"]=2}'],
  ['an array with a hole', () => [1, , 3], '{[1]=1,[3]=3}'], // eslint-disable-line no-sparse-arrays
  ['an array with undefined', () => [1, undefined, null], '{[1]=1}'],
];

const DATE = 'cannot pass a JS Date to Lua: pass date.getTime() (milliseconds since 1970) or date.toISOString() instead';
const BOXED = 'cannot pass a JS boxed primitive to Lua: pass its primitive value (x.valueOf()) instead';
const SET_KEY = ', which cannot be a Lua key (members must be strings, numbers, BigInts, booleans or Uint8Arrays)';

/** [name, () => value, the error's exact message]. */
const REFUSED = [
  ['a Date', () => new Date(0), DATE],
  ['an invalid Date', () => new Date(NaN), DATE],
  ['a Date subclass', () => new (class Day extends Date {})(0), DATE],
  ['a DataView', () => new DataView(new ArrayBuffer(2)), 'cannot pass a JS DataView to Lua: pass new Uint8Array(view.buffer, view.byteOffset, view.byteLength) for its bytes instead'],
  ['a SharedArrayBuffer', () => new SharedArrayBuffer(2), 'cannot pass a JS SharedArrayBuffer to Lua: pass new Uint8Array(buffer) for a copy of its bytes instead'],
  ['a RegExp', () => /a+/g, 'cannot pass a JS RegExp to Lua: pass regexp.source instead (Lua patterns are not JS regular expressions)'],
  ['a WeakMap', () => new WeakMap(), 'cannot pass a JS WeakMap to Lua: its entries cannot be listed (pass a Map or a Set)'],
  ['a WeakSet', () => new WeakSet(), 'cannot pass a JS WeakSet to Lua: its entries cannot be listed (pass a Map or a Set)'],
  ['a WeakRef', () => new WeakRef({}), 'cannot pass a JS WeakRef to Lua: pass ref.deref() instead'],
  ['a FinalizationRegistry', () => new FinalizationRegistry(() => {}), 'cannot pass a JS FinalizationRegistry to Lua'],
  ['a Number object', () => new Number(1), BOXED], // eslint-disable-line no-new-wrappers
  ['a String object', () => new String('s'), BOXED], // eslint-disable-line no-new-wrappers
  ['a Boolean object', () => new Boolean(false), BOXED], // eslint-disable-line no-new-wrappers
  ['a BigInt object', () => Object(1n), BOXED],
  ['a Symbol object', () => Object(Symbol('s')), BOXED],
  ['a Set holding an object', () => new Set([{}]), `a JS Set holds an object${SET_KEY}`],
  ['a Set holding an array', () => new Set([[1]]), `a JS Set holds an Array${SET_KEY}`],
  ['a Set holding undefined', () => new Set([undefined]), `a JS Set holds undefined${SET_KEY}`],
  ['a Set holding a Date', () => new Set([new Date(0)]), `a JS Set holds a Date${SET_KEY}`],
  ['a Set holding NaN', () => new Set([NaN]), 'a JS Set holds NaN, which cannot be a Lua table key'],
  ['a BigUint64Array beyond 2^63-1', () => new BigUint64Array([2n ** 64n - 1n]), 'a BigUint64Array element out of range for a Lua integer (64-bit)'],
];

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make();
    lua.eval(DESCRIBE);
  });

  describe.each(Object.entries(POSITIONS))('as %s', (position, reach) => {
    const at = position === "a callback's result" ? AT_CALL : '';
    test.each(CONVERTED)('%s converts', (name, value, expected) => {
      expect(reach(lua, value())).toBe(expected);
    });

    test.each(REFUSED)('%s is refused, and the VM stays usable', (name, value, message) => {
      const e = thrown(() => reach(lua, value()));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toBe(at + message);
      expect(lua.eval('return 1 + 1')).toBe(2);
      expect(reach(lua, 'still fine')).toBe('"still fine"');
    });
  });

  describe('refused as a callback result', () => {
    test.each(REFUSED)('%s: a Lua error pcall catches', (name, value, message) => {
      lua.setGlobal('give', () => value());
      expect(lua.evalAll('return pcall(give)')).toEqual([false, message]);
      expect(lua.eval('local ok, e = pcall(function() local v = give() end) return e')).toBe(AT_CALL + message);
    });
  });

  describe('detection by brand, not by prototype', () => {
    test('values of another realm convert and are refused alike', () => {
      const other = vm.runInNewContext(`({
        set: new Set(['a']), map: new Map([[1, 2]]), ints: new Int16Array([3]), buffer: new Uint8Array([104]).buffer,
        error: new RangeError('far'), date: new Date(0), regexp: /x/, boxed: new Number(1), plain: { p: 1 },
      })`);
      expect(lua.call('describe', other.set)).toBe('{["a"]=true}');
      expect(lua.call('describe', other.map)).toBe('{[1]=2}');
      expect(lua.call('describe', other.ints)).toBe('{[1]=3}');
      expect(lua.call('describe', other.buffer)).toBe('"h"');
      expect(lua.call('describe', other.error)).toBe('{["message"]="far",["name"]="RangeError"}');
      expect(lua.call('describe', other.plain)).toBe('{["p"]=1}');
      expect(thrown(() => lua.call('describe', other.date)).message).toBe(DATE);
      expect(thrown(() => lua.call('describe', other.regexp)).message).toMatch(/^cannot pass a JS RegExp/);
      expect(thrown(() => lua.call('describe', other.boxed)).message).toBe(BOXED);
    });

    test('Dates, Errors, boxed primitives and views whose prototype was changed are still what they are', () => {
      const date = Object.setPrototypeOf(new Date(0), Object.prototype);
      expect(thrown(() => lua.call('describe', date)).message).toBe(DATE);
      const error = Object.setPrototypeOf(new Error('e'), null);
      expect(lua.call('describe', error)).toBe('{["message"]="e"}');
      const boxed = Object.setPrototypeOf(new Number(1), Object.prototype); // eslint-disable-line no-new-wrappers
      expect(thrown(() => lua.call('describe', boxed)).message).toBe(BOXED);
      const ints = Object.setPrototypeOf(new Int32Array([5]), Object.prototype);
      expect(lua.call('describe', ints)).toBe('{[1]=5}');
    });

    test('look-alikes are plain objects: forged tags, Proxies of builtins', () => {
      expect(lua.call('describe', { [Symbol.toStringTag]: 'Date', a: 1 })).toBe('{["a"]=1}');
      expect(lua.call('describe', { [Symbol.toStringTag]: 'Set' })).toBe('{}');
      expect(lua.call('describe', Object.create(Set.prototype))).toBe('{}');
      expect(lua.call('describe', new Proxy(new Date(0), {}))).toBe('{}');
      expect(lua.call('describe', new Proxy(new Set([1]), {}))).toBe('{}');
      // A Proxy of an array is an array, as Array.isArray says.
      expect(lua.call('describe', new Proxy([7, 8], {}))).toBe('{[1]=7,[2]=8}');
    });

    test('a throwing Symbol.toStringTag getter fails the conversion, with its exception as cause', () => {
      const boom = new Error('tag boom');
      const hostile = new (class Hostile {
        get [Symbol.toStringTag]() {
          throw boom;
        }
      })();
      const e = thrown(() => lua.call('describe', hostile));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toMatch(/tag boom/);
      expect(lua.eval('return 1 + 1')).toBe(2);
    });
  });

  describe('array holes and #', () => {
    test('a hole or undefined element is nil; # is the JS length only when the last element is set', () => {
      lua.setGlobal('a', [1, , 3]); // eslint-disable-line no-sparse-arrays
      lua.setGlobal('b', [1, 2, undefined]);
      expect(lua.evalAll('return a[2], #a, #b')).toEqual([undefined, 3, 2]);
    });
  });

  describe('back from Lua: what a round trip gives', () => {
    const roundTrip = (v) => {
      lua.setGlobal('rt', v);
      return local(lua.getGlobal('rt'));
    };

    test('a Set of strings comes back as an object of trues, other Sets as Maps', () => {
      expect(roundTrip(new Set(['a', 'b']))).toEqual({ a: true, b: true });
      const back = roundTrip(new Set([10, 20]));
      expect(isMap(back)).toBe(true);
      expect(back).toEqual(new Map([[10, true], [20, true]]));
      // Members 1..n make a sequence, which comes back as an Array.
      expect(roundTrip(new Set([2, 1]))).toEqual([true, true]);
    });

    test('typed arrays come back as Arrays, ArrayBuffers as strings or Uint8Arrays', () => {
      expect(roundTrip(new Int16Array([1, -2]))).toEqual([1, -2]);
      expect(roundTrip(bytes(104, 105).buffer)).toBe('hi');
      expect(Array.from(roundTrip(bytes(255).buffer))).toEqual([255]);
    });

    test('an Error comes back as a plain object; an array with holes as a Map', () => {
      expect(roundTrip(new TypeError('x'))).toEqual({ name: 'TypeError', message: 'x' });
      expect(roundTrip([1, , 3])).toEqual(new Map([[1, 1], [3, 3]])); // eslint-disable-line no-sparse-arrays
    });
  });

  describe('inside lua.ext', () => {
    const UNSTORABLE = [
      ['Date', () => new Date(0)],
      ['Set', () => new Set([1])],
      ['Int32Array', () => new Int32Array([1])],
      ['Float64Array', () => new Float64Array([1])],
      ['ArrayBuffer', () => new ArrayBuffer(1)],
      ['DataView', () => new DataView(new ArrayBuffer(1))],
      ['Error', () => new Error('x')],
      ['RegExp', () => /x/],
      ['boxed primitive', () => new String('x')], // eslint-disable-line no-new-wrappers
    ];

    test.each(UNSTORABLE)('a %s put there by JS: reads and snapshots fail with an ext error', (name, value) => {
      lua.ext.set('host', new Map([['v', value()], ['ok', 1]]));
      const read = thrown(() => lua.eval("return ext.table('host').v"));
      expect(read).toBeInstanceOf(LuaError);
      expect(read.kind).toBe('ext');
      expect(read.message).toBe(`eval:1: ext: table 'host' holds an unsupported JS ${name} at key "v"`);
      expect(lua.evalAll("return pcall(function() return ext.table('host').v end)")).toEqual([false, expect.stringContaining(`unsupported JS ${name}`)]);
      const snap = thrown(() => lua.snapshot());
      expect(snap.kind).toBe('ext');
      expect(snap.message).toBe(`snapshot: table 'host' holds an unsupported JS ${name} at key "v"`);
      // The rest of the table, and the VM, are fine.
      expect(lua.eval("return ext.table('host').ok")).toBe(1);
      lua.ext.get('host').delete('v');
      expect(lua.snapshot()).toBeInstanceOf(Uint8Array);
    });

    test('as a key, or as a whole table', () => {
      lua.ext.set('host', new Map([[new Date(0), 1]]));
      expect(thrown(() => lua.snapshot()).message).toBe("snapshot: table 'host' has a key of unsupported type (Date)");
      lua.ext.set('host', new Set());
      const e = thrown(() => lua.eval("return ext.table('host')"));
      expect(e.kind).toBe('ext');
      expect(e.message).toBe("ext: lua.ext holds a Set under 'host', not a Map");
      lua.ext.delete('host');
      expect(lua.eval('return 1 + 1')).toBe(2);
    });
  });
});
