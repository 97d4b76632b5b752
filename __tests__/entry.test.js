'use strict';
// The Node entry is one bundled file (dist/node.js, docs/design.md#the-node-entry): a
// start-up loads it and the backend's own files, and the storage modules only when a VM
// has storage. Run in a child process, as a user's program would load the package.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { forEachBackend, ROOT } = require('./backends');
const { crc32 } = require('./helpers');
const { staleEntry } = require('../scripts/build-js');

/** The package's files (relative to ROOT) a fresh process loaded with `code` run. */
function loadedFiles(code) {
  const script = `const lp = require(${JSON.stringify(ROOT)});
    (async () => { ${code} })().then(() => {
      const files = Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(ROOT + path.sep)}));
      process.stdout.write(JSON.stringify(files.map((f) => require('path').relative(${JSON.stringify(ROOT)}, f).split(require('path').sep).join('/')).sort()));
    });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const BACKEND_FILES = {
  native: (files) => files.filter((f) => f.endsWith('.node')),
  wasm: () => ['dist/wasm-node/lua_persistent.js'],
};

test("the package's entry is the bundle, which is current", () => {
  const manifest = require(path.join(ROOT, 'package.json'));
  expect(manifest.main).toBe('dist/node.js');
  expect(require.resolve(ROOT)).toBe(path.join(ROOT, 'dist', 'node.js'));
  // Jest's global set-up bundled lib/ again if it had changed.
  expect(staleEntry()).toBeNull();
});

forEachBackend((backend) => {
  test('a VM without storage loads the bundle and the backend, nothing else', () => {
    const files = loadedFiles(`const lua = await lp.createLua({ backend: '${backend}' });
      if (lua.eval('return 6 * 7') !== 42) throw new Error('eval');`);
    const own = BACKEND_FILES[backend](files);
    expect(own.length).toBe(1);
    expect(files).toEqual(['dist/node.js', ...own].sort());
  });

  test('a VM with storage adds the persistence and file storage modules', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-entry-'));
    try {
      const files = loadedFiles(`const lua = await lp.createLua({ backend: '${backend}', storage: ${JSON.stringify(dir)} });
        lua.eval('ext.table("t").n = 1');
        await lua.close();`);
      expect(files).toEqual(expect.arrayContaining(['dist/node.js', 'lib/file-storage.js', 'lib/persist.js']));
      expect(files.filter((f) => f.startsWith('lib/')).sort()).toEqual(['lib/file-storage.js', 'lib/persist.js']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a storage failure, through the separate storage modules, is the entry's LuaError", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-entry-'));
    try {
      const lp = require(ROOT);
      const src = await lp.createLua({ backend });
      src.eval('ext.table().v = 1');
      const bytes = Buffer.from(src.snapshot());
      await src.close();
      bytes[4] = 99; // a newer format version, with a valid checksum: refused, not recovered
      bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
      fs.writeFileSync(path.join(dir, 'ext.luap'), bytes);
      const err = await lp.createLua({ backend, storage: dir }).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(lp.LuaError);
      expect(err).toMatchObject({ kind: 'ext', code: 'newer-format' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
