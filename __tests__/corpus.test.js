'use strict';
// The same corpus of library behaviour (number formatting and parsing, patterns,
// string.pack, utf8, dates, errors) gives byte-identical output on every backend, and
// the same output as the reference interpreter `lua5.4` when it is installed.
const fs = require('fs');
const path = require('path');
const { createLua } = require('..');
const { backends } = require('./backends');
const { luaReference } = require('./helpers');

const CORPUS = path.join(__dirname, 'corpus.lua');
const source = fs.readFileSync(CORPUS, 'utf8');

async function outputOf(backend) {
  const lua = await createLua({ backend });
  try {
    const r = lua.run(source, { chunkName: 'corpus.lua' });
    expect(r.error).toBeUndefined();
    return r.output;
  } finally {
    lua.close();
  }
}

test('every backend prints exactly the same corpus output', async () => {
  const outputs = {};
  for (const b of backends) outputs[b] = await outputOf(b);
  const first = outputs[backends[0]];
  expect(first.split('\n').length).toBeGreaterThan(80);
  for (const b of backends) expect(outputs[b]).toBe(first);
});

test('the corpus output matches the reference interpreter lua5.4', async () => {
  const ref = luaReference('corpus.lua', 'latin1');
  if (ref === null) {
    console.warn('lua5.4 not installed: reference comparison skipped (scripts/setup-wasm.sh installs it)');
    return;
  }
  for (const b of backends) {
    // print() output crosses to JS as UTF-8 text; compare on the lines that are ASCII.
    const ours = (await outputOf(b)).split('\n');
    const theirs = ref.split('\n');
    expect(ours.length).toBe(theirs.length);
    ours.forEach((line, i) => {
      if (/^[\x00-\x7f]*$/.test(theirs[i])) expect(`${i + 1}: ${line}`).toBe(`${i + 1}: ${theirs[i]}`);
    });
  }
});
