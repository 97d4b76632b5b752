'use strict';
// Snapshots are the core's format: the same data gives the same bytes on both backends,
// and a snapshot written by one backend restores in the other, both directions.
const { createLua } = require('..');

const FILL = `
  local t = ext.table('data')
  t.int, t.float, t.big, t.neg0 = 42, 2.0, math.maxinteger, -0.0
  t.text, t.bytes, t[true], t[1.5] = 'héllo', '\\xff\\0\\x01', 'yes', 'half'
  t.nested = { list = { 1, 2, 3 }, deep = { deeper = { x = 1.25 } } }
  ext.table('second').k = 'v'
`;

const CHECK = `
  local t = ext.table('data')
  return math.type(t.int), math.type(t.float), t.big == math.maxinteger, 1 / t.neg0,
    t.text, t.bytes == '\\xff\\0\\x01', t[true], t[1.5], #t.nested.list, t.nested.deep.deeper.x,
    ext.table('second').k
`;

const EXPECTED = ['integer', 'float', true, -Infinity, 'héllo', true, 'yes', 'half', 3, 1.25, 'v'];

const pairs = [['native', 'wasm'], ['wasm', 'native']];

test('identical data gives identical snapshot bytes on both backends', async () => {
  const a = await createLua({ backend: 'native' });
  const b = await createLua({ backend: 'wasm' });
  a.eval(FILL);
  b.eval(FILL);
  expect(Buffer.from(a.snapshot()).equals(Buffer.from(b.snapshot()))).toBe(true);
  a.close();
  b.close();
});

test.each(pairs)('a snapshot from %s restores in %s with every type intact', async (from, to) => {
  const src = await createLua({ backend: from });
  src.eval(FILL);
  const bytes = src.snapshot();
  const dst = await createLua({ backend: to });
  dst.restore(bytes);
  expect(dst.evalAll(CHECK)).toEqual(EXPECTED);
  expect(Buffer.from(dst.snapshot()).equals(Buffer.from(bytes))).toBe(true);
  src.close();
  dst.close();
});
