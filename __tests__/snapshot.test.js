'use strict';
// snapshot() / restore(): the postcard blob of every ext table.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, local } = require('./helpers');

const FILL = `
  local t = ext.table("s")
  t.int = 1
  t.neg = -42
  t.float = 2.0
  t.half = 0.5
  t.big = math.maxinteger
  t.str = "héllo"
  t.bin = "\\xff\\0\\1"
  t.yes = true
  t.no = false
  t[true] = "bool key"
  t[false] = 0
  t[7] = "int key"
  t[1.5] = "float key"
  t.nested = {x = {y = {z = "deep"}}, list = {1, 2.0, "three"}}
  ext.table("other").k = "v"
`;

// One table result (not 20 separate results: see eval.test.js "many results").
const CHECK = `
  local t = ext.table("s")
  return {t.int, math.type(t.int), t.neg, t.float, math.type(t.float), t.half,
    t.big == math.maxinteger, t.str, t.bin == "\\xff\\0\\1", t.yes, t.no,
    t[true], t[false], t[7], t[1.5],
    t.nested.x.y.z, t.nested.list[1], math.type(t.nested.list[2]), t.nested.list[3],
    ext.table("other").k}
`;
const EXPECTED = [
  1, 'integer', -42, 2, 'float', 0.5,
  true, 'héllo', true, true, false,
  'bool key', 0, 'int key', 'float key',
  'deep', 1, 'float', 'three',
  'v',
];

const ascii = (bytes, n) => Buffer.from(bytes.subarray(0, n)).toString('latin1');

forEachBackend((backend) => {
  const make = vms(backend);
  let lua;
  beforeEach(async () => {
    lua = await make();
  });

  test('snapshot() returns a Uint8Array starting with "LUAP"', () => {
    lua.eval(FILL);
    const snap = lua.snapshot();
    expect(snap).toBeInstanceOf(Uint8Array);
    expect(ascii(snap, 4)).toBe('LUAP');
    expect(snap.length).toBeGreaterThan(4);
  });

  test('an empty VM still gives a valid snapshot', async () => {
    const snap = lua.snapshot();
    expect(ascii(snap, 4)).toBe('LUAP');
    const other = await make();
    other.eval('ext.table("x").a = 1');
    other.restore(snap);
    expect(other.ext.size).toBe(0);
    expect(other.eval('return #ext.tables()')).toBe(0);
  });

  test('restore into a fresh VM round-trips every kind of value', async () => {
    lua.eval(FILL);
    const snap = lua.snapshot();
    const other = await make();
    other.restore(snap);
    expect(other.eval(CHECK)).toEqual(EXPECTED);
    expect(local(other.ext.get('s'))).toEqual(local(lua.ext.get('s')));
    expect(Array.from(other.ext.get('s').get('bin'))).toEqual([255, 0, 1]);
    expect(other.ext.get('s').get('big')).toBe(9223372036854775807n);
  });

  test('restore into the same VM undoes later changes', () => {
    lua.eval(FILL);
    const snap = lua.snapshot();
    lua.eval('local t = ext.table("s") t.int = 999 t.float = nil t.nested.x = "gone" ext.table("later").a = 1 ext.drop("other")');
    lua.restore(snap);
    expect(lua.eval(CHECK)).toEqual(EXPECTED);
    expect(lua.ext.has('later')).toBe(false);
    expect([...lua.ext.keys()].sort()).toEqual(['other', 's']);
  });

  test('snapshot is deterministic: same data, same bytes', async () => {
    lua.eval(FILL);
    const other = await make();
    other.eval(FILL);
    expect(Buffer.from(other.snapshot()).equals(Buffer.from(lua.snapshot()))).toBe(true);
    expect(Buffer.from(lua.snapshot()).equals(Buffer.from(lua.snapshot()))).toBe(true);
  });

  test('JS writes to the Maps are included in the snapshot', async () => {
    lua.eval('ext.table("s").a = 1');
    lua.ext.get('s').set('js', 'from js');
    const other = await make();
    other.restore(lua.snapshot());
    expect(other.eval('return ext.table("s").js')).toBe('from js');
  });

  test('restore keeps existing Map objects: earlier references see the restored data', () => {
    lua.eval('local t = ext.table("s") t.a = 1 t.user = {name = "bob"}');
    const snap = lua.snapshot();
    const ref = lua.ext.get('s');
    lua.eval('local t = ext.table("s") t.a = 2 t.b = "new"');
    lua.restore(snap);
    expect(lua.ext.get('s')).toBe(ref);
    expect(ref.get('a')).toBe(1);
    expect(ref.has('b')).toBe(false);
    expect(ref.get('user').get('name')).toBe('bob');
    // and Lua writes after the restore still reach that same Map
    lua.eval('ext.table("s").after = true');
    expect(ref.get('after')).toBe(true);
  });

  describe('bad blobs are rejected and change nothing', () => {
    let snap;
    let before;
    beforeEach(() => {
      lua.eval(FILL);
      snap = lua.snapshot();
      // different current data, so a partial restore would be visible
      lua.eval('ext.table("s").int = 555 ext.table("current").c = 1');
      before = local(lua.ext);
    });

    const expectRejected = (bytes) => {
      const e = thrown(() => lua.restore(bytes));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toMatch(/corrupt|truncat|magic|version/i);
      expect(local(lua.ext)).toEqual(before);
    };

    test('truncated blobs (every length)', () => {
      for (let n = 0; n < snap.length; n++) expectRejected(snap.slice(0, n));
      expect(lua.eval('return ext.table("s").int')).toBe(555);
    });

    test('a single flipped bit anywhere', () => {
      for (let i = 0; i < snap.length; i++) {
        for (const bit of [0x01, 0x80]) {
          const b = snap.slice();
          b[i] ^= bit;
          expectRejected(b);
        }
      }
      expect(lua.eval('return ext.table("current").c')).toBe(1);
    });

    test('wrong magic', () => {
      const b = snap.slice();
      b.set([0x4e, 0x4f, 0x50, 0x45], 0); // "NOPE"
      const e = thrown(() => lua.restore(b));
      expect(e.message).toMatch(/magic/i);
      expect(local(lua.ext)).toEqual(before);
    });

    test('garbage and empty input', () => {
      expectRejected(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
      expectRejected(new Uint8Array(0));
      expectRejected(new Uint8Array(4096).fill(0xab));
      expectRejected(new TextEncoder().encode('LUAP but not really a snapshot'));
    });

    test('trailing bytes after a good snapshot', () => {
      const b = new Uint8Array(snap.length + 3);
      b.set(snap);
      expectRejected(b);
    });

    test('the VM stays fully usable after a rejected restore', () => {
      expect(() => lua.restore(snap.slice(0, 10))).toThrow(LuaError);
      lua.eval('ext.table("s").ok = true');
      expect(lua.ext.get('s').get('ok')).toBe(true);
      lua.restore(snap);
      expect(lua.eval(CHECK)).toEqual(EXPECTED);
    });
  });

  test('restore() with a non-Uint8Array throws TypeError', () => {
    lua.eval('ext.table("s").a = 1');
    for (const bad of [[76, 85, 65, 80], 'LUAP', null, undefined, 42, {}, new ArrayBuffer(8)]) {
      expect(() => lua.restore(bad)).toThrow(TypeError);
    }
    expect(lua.ext.get('s').get('a')).toBe(1);
  });

  test('a Buffer (Uint8Array subclass) is accepted', async () => {
    lua.eval(FILL);
    const other = await make();
    other.restore(Buffer.from(lua.snapshot()));
    expect(other.eval(CHECK)).toEqual(EXPECTED);
  });
});
