'use strict';
// 100,000 ext entries (strings, integers, floats, nested tables) save to a directory
// store and load back intact on both backends; the times are printed for the record.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createLua } = require('..');
const { backends } = require('./backends');

const N = 100000;
const FILL = `
  local t = ext.table('big')
  for i = 1, ${N} do
    local m = i % 4
    if m == 0 then t[i] = 'value ' .. i
    elseif m == 1 then t[i] = i * 3
    elseif m == 2 then t[i] = i + 0.5
    else t[i] = { id = i, tags = { 'a', 'b' } } end
  end`;
const CHECK = `
  local t, bad = ext.table('big'), 0
  for i = 1, ${N} do
    local v, m = t[i], i % 4
    local ok = (m == 0 and v == 'value ' .. i) or (m == 1 and v == i * 3 and math.type(v) == 'integer')
      or (m == 2 and v == i + 0.5) or (m == 3 and v.id == i and v.tags[2] == 'b')
    if not ok then bad = bad + 1 end
  end
  return bad, #t`;

test.each(backends)('100,000 mixed entries save and load intact (%s)', async (backend) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-scale-'));
  try {
    const a = await createLua({ backend, storage: dir, autosave: false, timeout: 0 });
    a.eval(FILL);
    let t0 = performance.now();
    await a.save();
    const saveMs = performance.now() - t0;
    await a.close();
    const size = fs.statSync(path.join(dir, 'ext.luap')).size;

    t0 = performance.now();
    const b = await createLua({ backend, storage: dir, timeout: 0 });
    const loadMs = performance.now() - t0;
    expect(b.evalAll(CHECK)).toEqual([0, N]);
    await b.close();
    console.log(`${backend}: ${N} entries, snapshot ${size} bytes, save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120000);
