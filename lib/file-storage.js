'use strict';
// Node directory storage: the ext tables as one snapshot file, `<dir>/ext.luap`,
// replaced atomically on save (write temp file, fsync, rename, fsync the directory),
// so a crash leaves either the old or the new snapshot, never a mix.
const fs = require('fs');
const path = require('path');

const FILE = 'ext.luap';

function fileStorage(dir) {
  const target = path.join(dir, FILE);
  return {
    kind: 'file',
    path: target,
    async load() {
      try {
        return new Uint8Array(await fs.promises.readFile(target));
      } catch (e) {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async save(bytes) {
      await fs.promises.mkdir(dir, { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, target);
      const d = await fs.promises.open(dir, 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
    },
  };
}

module.exports = { fileStorage };
