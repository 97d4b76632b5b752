'use strict';
// Property tests (fast-check): random Lua values survive ext tables and snapshots
// unchanged, on both backends and across them.
//
// Values are generated as a small model (below), rendered as Lua source, written into
// an ext table by Lua and compared by Lua itself against the value the source builds
// (types, integer vs float, sign of zero, NaN, byte-exact strings, every key). The
// snapshot of that table is then restored into a fresh VM of the same backend and of
// the other one, and compared again (Lua side, JS side, and byte for byte).
//
//   PROPERTY_RUNS=2000 npx jest __tests__/property.test.js    more inputs (default 150)
//   PROPERTY_SEED=123 ...                                     replay a failing seed
//
// The ext rules these tests pin down (docs/guide.md "External tables"):
// - allowed values: booleans, integers (all of i64), floats (all of them, NaN, inf and
//   -0.0 included), byte strings (valid UTF-8 or not), tables of those;
// - allowed keys: UTF-8 strings, integers, floats except NaN (integral floats become
//   integers, as in Lua), booleans;
// - refused with kind 'ext', nothing written: functions, coroutines, userdata, cyclic
//   tables, NaN keys, non-UTF-8 string keys, tables nested deeper than 200 levels.
// - JS strings are UTF-16: a lone surrogate has no UTF-8 form and becomes U+FFFD (what
//   TextEncoder does); see the last test.
const fc = require('fast-check');
const { forEachBackend, backends } = require('./backends');
const { LuaError, vms, thrown, local } = require('./helpers');

const isMapLike = (v) => Object.prototype.toString.call(v) === '[object Map]';

const RUNS = Number(process.env.PROPERTY_RUNS) || 150;
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined;
const params = (numRuns = RUNS) => ({ numRuns, seed: SEED });

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------- the model
// { t: 'int', v: BigInt } | { t: 'float', v: number } | { t: 'str', v: Uint8Array }
// | { t: 'bool', v } | { t: 'table', v: [[key, value], ...] }  (keys: int/float/str/bool)

const utf8 = new TextEncoder();
const validUtf8 = (bytes) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

const int = fc
  .oneof(
    fc.constantFrom(I64_MIN, I64_MAX, 0n, -1n, 1n, 2n ** 53n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, -(2n ** 53n)),
    fc.bigInt({ min: I64_MIN, max: I64_MAX }),
    fc.integer().map(BigInt),
  )
  .map((v) => ({ t: 'int', v }));

const float = fc
  .oneof(
    fc.double(), // includes NaN, +-inf, -0, subnormals
    fc.constantFrom(2.0, -0.0, 0.0, 0.1, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 64, Infinity, -Infinity, NaN),
    fc.integer({ min: -1e6, max: 1e6 }), // integral floats like 2.0 must stay floats
  )
  .map((v) => ({ t: 'float', v }));

const text = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => utf8.encode(s));
const bytes = fc.uint8Array({ maxLength: 16 }); // \0, invalid UTF-8, anything
const str = fc.oneof(text, bytes, fc.constantFrom(new Uint8Array([0]), new Uint8Array([0xff, 0xfe]), new Uint8Array([0xc3]))).map((v) => ({ t: 'str', v }));
const bool = fc.boolean().map((v) => ({ t: 'bool', v }));

const keyFloat = fc.double({ noNaN: true }).map((v) => ({ t: 'float', v }));
const key = fc.oneof(int, keyFloat, text.map((v) => ({ t: 'str', v })), bool);

/** What Lua makes of a key: integral floats that fit are integers; a canonical id. */
function keyId(k) {
  if (k.t === 'float' && Number.isInteger(k.v) && k.v >= -(2 ** 63) && k.v < 2 ** 63) return `int:${BigInt(k.v)}`;
  if (k.t === 'str') return `str:${Array.from(k.v).join(',')}`;
  return `${k.t}:${Object.is(k.v, -0) ? '0' : String(k.v)}`;
}

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, int, float, str, bool, tie('table')),
  table: fc
    .uniqueArray(fc.tuple(key, tie('value')), { maxLength: 6, selector: ([k]) => keyId(k) })
    .map((v) => ({ t: 'table', v })),
}));

// ---------------------------------------------------------------- model -> Lua source

function luaFloat(f) {
  if (Number.isNaN(f)) return '(0/0)';
  if (f === Infinity) return 'math.huge';
  if (f === -Infinity) return '(-math.huge)';
  if (Object.is(f, -0)) return '(-0.0)';
  // JS prints the shortest decimal that reads back to the same double; Lua's reader
  // (strtod) is exact. Add '.0' only when the text would otherwise read as an integer.
  const s = String(f);
  return `(${/[.e]/.test(s) ? s : `${s}.0`})`;
}

function luaInt(i) {
  // -9223372036854775808 would lex as a float (the literal overflows before negation).
  return i === I64_MIN ? 'math.mininteger' : `(${i})`;
}

const luaString = (b) => `"${Array.from(b, (x) => `\\x${x.toString(16).padStart(2, '0')}`).join('')}"`;

function toLua(m) {
  switch (m.t) {
    case 'int':
      return luaInt(m.v);
    case 'float':
      return luaFloat(m.v);
    case 'str':
      return luaString(m.v);
    case 'bool':
      return String(m.v);
    default:
      return `{${m.v.map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`).join(', ')}}`;
  }
}

// ---------------------------------------------------------------- model -> JS view

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const jsInt = (i) => (i >= -SAFE && i <= SAFE ? Number(i) : i);

function jsKey(k) {
  if (k.t === 'float' && Number.isInteger(k.v) && k.v >= -(2 ** 63) && k.v < 2 ** 63) return jsInt(BigInt(k.v));
  return jsValue(k);
}

/** What `lua.ext` holds for a stored model value (docs/api.md "Values", docs/guide.md "External tables"). */
function jsValue(m) {
  switch (m.t) {
    case 'int':
      return jsInt(m.v);
    case 'float':
    case 'bool':
      return m.v;
    case 'str':
      return validUtf8(m.v) ? new TextDecoder().decode(m.v) : new Uint8Array(m.v);
    default:
      return new Map(m.v.map(([k, v]) => [jsKey(k), jsValue(v)]));
  }
}



// ---------------------------------------------------------------- Lua-side comparison

// same(a, b): a is the plain Lua value, b what was read back from an ext table.
// Returns true, or false and where they differ. Keys are compared by type and exact
// value (%q prints floats in hex, integers in decimal).
const SAME = `
local function id(k) return type(k) .. ':' .. string.format('%q', k) end
local function same(a, b, path)
  if type(a) == 'table' then
    if type(b) ~= 'userdata' then return false, path .. ': a table read back as ' .. type(b) end
    local keys = {}
    for k, v in pairs(a) do
      keys[id(k)] = true
      local ok, why = same(v, b[k], path .. '[' .. id(k) .. ']')
      if not ok then return false, why end
    end
    for k in pairs(b) do
      if not keys[id(k)] then return false, path .. ': extra key ' .. id(k) end
      keys[id(k)] = nil
    end
    if next(keys) then return false, path .. ': missing key ' .. next(keys) end
    return true
  end
  if type(a) ~= type(b) then return false, path .. ': ' .. type(a) .. ' read back as ' .. type(b) end
  if type(a) == 'number' then
    if math.type(a) ~= math.type(b) then return false, path .. ': ' .. math.type(a) .. ' read back as ' .. math.type(b) end
    if a ~= a then return b ~= b, path .. ': NaN read back as ' .. tostring(b) end
    if a == 0 and 1 / a ~= 1 / b then return false, path .. ': the sign of zero changed' end
  end
  return a == b, path .. ': ' .. string.format('%q', a) .. ' read back as ' .. string.format('%q', b)
end
_G.same = same
`;

/** true, or where the ext copy differs from the value `src` builds. */
const check = (lua, src) => lua.eval(`local ok, why = same(${src}, ext.table('p').v, 'v') return ok or why`);

// ---------------------------------------------------------------- the suites

forEachBackend((backend) => {
  const make = vms(backend);
  const other = backends.find((b) => b !== backend) || backend;
  const makeOther = vms(other);

  async function trio() {
    const a = await make();
    const b = await make();
    const c = await makeOther();
    for (const lua of [a, b, c]) lua.eval(SAME);
    return [a, b, c];
  }

  test('random Lua values written to an ext table read back identical (Lua and JS views)', async () => {
    const [lua] = await trio();
    fc.assert(
      fc.property(value, (m) => {
        const src = toLua(m);
        lua.eval(`ext.table('p').v = ${src}`);
        expect(check(lua, src)).toBe(true);
        expect(local(lua.ext.get('p').get('v'))).toEqual(jsValue(m));
      }),
      params(),
    );
  });

  test(`snapshot -> restore on ${backend} and on ${other} gives the same data (and the same bytes)`, async () => {
    const [lua, same, cross] = await trio();
    fc.assert(
      fc.property(value, (m) => {
        const src = toLua(m);
        lua.eval(`ext.drop('p') ext.table('p').v = ${src}`);
        const snap = lua.snapshot();
        for (const dst of [same, cross]) {
          dst.restore(snap);
          expect(check(dst, src)).toBe(true);
          expect(local(dst.ext.get('p'))).toEqual(local(lua.ext.get('p')));
          expect(Buffer.from(dst.snapshot()).equals(Buffer.from(snap))).toBe(true);
        }
      }),
      params(),
    );
  });

  test('random values written from JS into lua.ext survive Lua reads, Lua copies and snapshots', async () => {
    const [lua, , cross] = await trio();
    fc.assert(
      fc.property(value, (m) => {
        const js = jsValue(m);
        lua.ext.set('j', new Map([['v', js]]));
        // Lua copies the JS data into another table (validating every key and value)...
        lua.eval("ext.table('copy').v = ext.table('j').v");
        expect(local(lua.ext.get('copy').get('v'))).toEqual(js);
        // ...and a snapshot of it restores the same on both backends.
        lua.restore(lua.snapshot());
        cross.restore(lua.snapshot());
        expect(local(cross.ext.get('j'))).toEqual(local(lua.ext.get('j')));
        lua.eval('ext.drop("j") ext.drop("copy")');
      }),
      params(),
    );
  });

  // Issue 25: a JS 5n and a Lua [5] in one Map were saved, and the next open refused the
  // store ("key 5 twice") and quarantined all of it.
  test('whatever JS and Lua put into ext tables is saved and loads back, or is refused', async () => {
    const ints = fc.integer({ min: -2, max: 3 });
    // Keys from JS: numbers and BigInts of the same small values (so they collide), and
    // floats, strings, booleans, plus keys no store can hold.
    const jsKey = fc.oneof(
      { arbitrary: ints, weight: 4 },
      { arbitrary: ints.map(BigInt), weight: 4 },
      { arbitrary: fc.constantFrom(2.5, -0, 2 ** 53, 2 ** 63, 'a', '', true), weight: 2 },
      { arbitrary: fc.constantFrom(NaN, 2n ** 64n, Symbol.for('k'), null), weight: 1 },
    );
    // Values from JS: mostly storable ones; now and then one no store can hold.
    const unstorable = fc.constantFrom('date', 'object', 'function', 'array', 'huge').map((k) => ({ date: new Date(0), object: {}, function: () => 1, array: [1], huge: 2n ** 64n })[k]);
    const jsLeaf = fc.oneof(
      { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.string({ maxLength: 4 }), fc.boolean()), weight: 8 },
      { arbitrary: fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.constantFrom(null, undefined, 2 ** 60)), weight: 2 },
      { arbitrary: unstorable, weight: 1 },
    );
    const { jsValue: jsTree } = fc.letrec((tie) => ({
      jsValue: fc.oneof({ depthSize: 'small' }, jsLeaf, tie('map')),
      map: fc.array(fc.tuple(jsKey, tie('jsValue')), { maxLength: 4 }).map((entries) => new Map(entries)),
    }));
    const luaKey = fc.oneof(int.filter((k) => k.v >= -2n && k.v <= 3n), ints.map((v) => ({ t: 'float', v: v + 0.5 })), fc.constantFrom({ t: 'str', v: utf8.encode('a') }, { t: 'bool', v: true }));
    // An operation: JS sets key k of table p (or of a Map inside it), or Lua assigns it.
    const op = fc.oneof(
      fc.record({ side: fc.constant('js'), inner: fc.boolean(), key: jsKey, value: jsTree }),
      fc.record({ side: fc.constant('lua'), inner: fc.boolean(), key: luaKey, value }),
    );
    const [lua, , cross] = await trio();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        lua.ext.clear();
        lua.eval("ext.table('p').inner = {}");
        for (const o of ops) {
          if (o.side === 'js') {
            const p = lua.ext.get('p');
            const target = o.inner && isMapLike(p.get('inner')) ? p.get('inner') : p;
            target.set(o.key, o.value);
          } else {
            const at = o.inner ? "(type(ext.table('p').inner) == 'userdata' and ext.table('p').inner or ext.table('p'))" : "ext.table('p')";
            try {
              lua.eval(`local t = ${at} t[${toLua(o.key)}] = ${toLua(o.value)}`);
            } catch (e) {
              // Refused at write time: only because of what JS put there before.
              expect(e).toBeInstanceOf(LuaError);
              expect(e.kind).toBe('ext');
            }
          }
        }
        let bytes;
        try {
          bytes = lua.snapshot();
        } catch (e) {
          // Refused at save time: a clear 'ext' error naming the table.
          expect(e).toBeInstanceOf(LuaError);
          expect(e.kind).toBe('ext');
          expect(e.message).toMatch(/^snapshot: (table '|lua\.ext)/);
          return;
        }
        // Written: both backends read it back, and it is the same data (same bytes).
        for (const dst of [lua, cross]) {
          dst.restore(bytes);
          expect(Buffer.from(dst.snapshot()).equals(Buffer.from(bytes))).toBe(true);
        }
      }),
      params(),
    );
    // The collision itself is always refused, never written.
    lua.ext.clear();
    lua.ext.set('p', new Map([[3n, 'js'], [3, 'lua']]));
    expect(thrown(() => lua.snapshot()).message).toMatch(/table 'p' has the key 3 twice/);
  });

  describe('values the ext rules refuse: kind ext, nothing written', () => {
    const BAD = {
      'a function': 'print',
      'a Lua closure': 'function() end',
      'a coroutine': 'coroutine.create(print)',
      'a cyclic table': '(function() local c = {} c.c = c return c end)()',
      'a non-UTF-8 string key': '{["\\xff"] = 1}',
      'a table key': '{[{}] = 1}',
      'a function key': '{[print] = 1}',
    };
    const bad = fc.constantFrom(...Object.entries(BAD));

    /** Puts `poison` at a random place inside the random table `m`. */
    const plant = (m, poison, where) => {
      if (m.t !== 'table' || m.v.length === 0) return `{[1] = ${toLua(m)}, bad = ${poison}}`;
      const i = where % m.v.length;
      const entries = m.v.map(([k, v], j) => `[${toLua(k)}] = ${j === i ? plant(v, poison, Math.floor(where / 7)) : toLua(v)}`);
      return `{${entries.join(', ')}}`;
    };

    test('a bad value planted anywhere in a random table: nothing of it is written', async () => {
      const [lua] = await trio();
      lua.eval("ext.table('p').v = {kept = 1}");
      const before = lua.snapshot();
      fc.assert(
        fc.property(value, bad, fc.nat(), (m, [, poison], where) => {
          const e = thrown(() => lua.eval(`ext.table('p').v = ${plant(m, poison, where)}`));
          expect(e).toBeInstanceOf(LuaError);
          expect(e.kind).toBe('ext');
          expect(e.message).toMatch(/^eval:1: ext: /);
          expect(Buffer.from(lua.snapshot()).equals(Buffer.from(before))).toBe(true);
        }),
        params(Math.max(50, RUNS / 2)),
      );
    });

    test.each(Object.keys(BAD))('%s, with a message naming what and where', async (what) => {
      const lua = await make();
      const e = thrown(() => lua.eval(`ext.table('p').v = {inner = ${BAD[what]}}`));
      expect(e.kind).toBe('ext');
      expect(e.message).toMatch(/cannot store|cannot be a key|must be|keys must be|cyclic/);
      // The failed call is undone, down to the table it made.
      expect(lua.ext.has('p')).toBe(false);
    });

    test('a NaN key (only a proxy can be given one: a Lua table cannot hold it)', async () => {
      const lua = await make();
      lua.eval("ext.table('p').v = {}");
      const e = thrown(() => lua.eval("ext.table('p').v[0/0] = 1"));
      expect(e.kind).toBe('ext');
      expect(e.message).toMatch(/NaN cannot be a key/);
      expect(lua.ext.get('p').get('v').size).toBe(0);
    });

    test('tables nested deeper than 200 levels', async () => {
      const lua = await make();
      const e = thrown(() => lua.eval("local t = {} for i = 1, 250 do t = {t} end ext.table('p').v = t"));
      expect(e.kind).toBe('ext');
      expect(e.message).toMatch(/deeper than 200/);
      lua.eval("local t = 1 for i = 1, 150 do t = {t} end ext.table('p').v = t");
      expect(lua.eval("local t = ext.table('p').v for i = 1, 150 do t = t[1] end return t")).toBe(1);
    });
  });

  test('NaN values are kept (as NaN) through Lua, JS and snapshots on both backends', async () => {
    const [lua, same, cross] = await trio();
    lua.eval("ext.table('p').v = {0/0, -(0/0), x = 0/0}");
    for (const dst of [same, cross]) {
      dst.restore(lua.snapshot());
      expect(dst.evalAll("local t = ext.table('p').v return t[1] ~= t[1], t[2] ~= t[2], t.x ~= t.x, math.type(t.x)")).toEqual([true, true, true, 'float']);
    }
  });

  // 0/0 is -NaN in both VMs; the native value crosses V8 (which drops a NaN's sign) and
  // the wasm one does not.
  // Fixed: the core stores every NaN as the one quiet NaN (ext.rs canonical_nan).
  if (other !== backend) test(`0/0 stored on ${backend} and on ${other} gives the same snapshot bytes`, async () => {
    const [lua, , cross] = await trio();
    for (const vm of [lua, cross]) vm.eval("ext.table('p').v = 0/0");
    expect(Buffer.from(lua.snapshot()).equals(Buffer.from(cross.snapshot()))).toBe(true);
  });

  // Found by this suite, fixed: an untagged integral JS number beyond +-(2^53-1) used to
  // read as a Lua integer and came back from a restore as a BigInt.
  test('a JS number 2^60 written into lua.ext stays a number through restore', async () => {
    const lua = await make();
    lua.ext.set('p', new Map([['n', 2 ** 60]]));
    expect(lua.eval("return math.type(ext.table('p').n)")).toBe('float');
    lua.restore(lua.snapshot());
    expect(lua.ext.get('p').get('n')).toBe(2 ** 60);
  });

  test('a JS string with a lone surrogate becomes U+FFFD (it has no UTF-8 form)', async () => {
    const lua = await make();
    lua.ext.set('p', new Map([['s', 'a\uD800b'], ['\uDC00', 1]]));
    expect(lua.eval("return ext.table('p').s")).toBe('a\uFFFDb');
    lua.restore(lua.snapshot());
    expect([...lua.ext.get('p')]).toEqual([['s', 'a\uFFFDb'], ['\uFFFD', 1]]);
  });
});
