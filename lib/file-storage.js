'use strict';
// Node directory storage. Files in `dir`:
//   ext.luap            the current snapshot
//   ext.luap.prev       the snapshot before it (the fallback if the current one is damaged)
//   ext.luap.lock       {pid, host} of the process that has the store open (written as
//                       ext.luap.lock.<pid>-<thread>-<random>, then hard-linked into place)
//   ext.luap.corrupt-*  unreadable snapshots, kept aside and never overwritten
// A save writes a temp file and fsyncs it, hard-links the current snapshot as the
// previous one, renames the temp file over the current one and fsyncs the directory: a
// crash at any point leaves a complete old or new snapshot, never a mix.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { threadId } = require('worker_threads');

const FILE = 'ext.luap';

/**
 * mkdir -p without Node's recursive mkdir, which never settles when the kernel answers
 * ENOENT for a path whose parent exists (/proc). Fails with a clear message instead.
 */
async function makeDir(dir) {
  try {
    await fs.promises.mkdir(dir);
  } catch (e) {
    if (e.code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (e.code !== 'ENOENT' || parent === dir || fs.existsSync(parent)) {
      throw new Error(`lua-persistent: cannot create the store ${dir}: ${e.message}`);
    }
    await makeDir(parent);
    await makeDir(dir);
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function readIfExists(file) {
  try {
    return new Uint8Array(await fs.promises.readFile(file));
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
}

async function fsyncPath(p, flags = 'r') {
  const fh = await fs.promises.open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function fileStorage(dir) {
  const current = path.join(dir, FILE);
  const previous = `${current}.prev`;
  const lockFile = `${current}.lock`;
  let loadedFrom = null;
  let locked = false;
  const me = { pid: process.pid, host: os.hostname() };
  const releaseOnExit = () => release();

  function release() {
    if (!locked) return;
    locked = false;
    process.removeListener('exit', releaseOnExit);
    try {
      const owner = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
      if (owner.pid === me.pid && owner.host === me.host) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  }

  /**
   * Creates the lock file with its content already in place, or answers false if it
   * exists. Written under a unique name and hard-linked into place (as saves link the
   * previous snapshot): with a plain exclusive create, a racing opener could read the
   * new lock before its content was written, take it for a crash's leftover, remove it
   * and open the store too (seen with Workers of one process).
   */
  function createLock() {
    const tmp = `${lockFile}.${me.pid}-${threadId}-${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, JSON.stringify(me), { flag: 'wx' });
    try {
      fs.linkSync(tmp, lockFile);
      return true;
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** One process, one VM per store: a second opener gets a clear error, not interleaved writes. */
  function acquire() {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (createLock()) {
        locked = true;
        process.on('exit', releaseOnExit);
        return;
      }
      let owner = null;
      try {
        owner = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
      } catch {
        // unreadable lock: a crash while writing it; treat as stale
      }
      if (owner && owner.host === me.host && alive(owner.pid)) {
        const who = owner.pid === me.pid ? 'another VM of this process' : `process ${owner.pid}`;
        throw new Error(`lua-persistent: the store ${dir} is in use by ${who} (lock file ${lockFile}); close it first`);
      }
      if (owner && owner.host !== me.host) {
        throw new Error(`lua-persistent: the store ${dir} is locked by host ${owner.host} (pid ${owner.pid}); remove ${lockFile} if that host is gone`);
      }
      fs.rmSync(lockFile, { force: true }); // stale: its process is gone
    }
    throw new Error(`lua-persistent: could not lock the store ${dir}`);
  }

  return {
    kind: 'file',
    dir,
    path: current,
    async open() {
      // Look before creating: mkdir on an existing path under /proc never settles, and
      // EEXIST for a file says nothing useful.
      const st = await fs.promises.stat(dir).catch((e) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
      if (st && !st.isDirectory()) throw new Error(`lua-persistent: the store ${dir} is not a directory`);
      if (!st) await makeDir(dir);
      acquire();
    },
    async load() {
      const bytes = await readIfExists(current);
      if (bytes) {
        loadedFrom = current;
        return bytes;
      }
      // A crash between the two renames of an old version of this format; or a
      // quarantined current file: the previous snapshot is the newest complete one.
      loadedFrom = previous;
      return readIfExists(previous);
    },
    async loadPrevious() {
      return loadedFrom === current ? readIfExists(previous) : undefined;
    },
    async quarantine() {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      let target = `${current}.corrupt-${stamp}`;
      for (let n = 1; fs.existsSync(target); n++) target = `${current}.corrupt-${stamp}-${n}`;
      await fs.promises.rename(loadedFrom, target);
      return target;
    },
    async save(bytes) {
      const tmp = `${current}.tmp-${process.pid}`;
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (fs.existsSync(current)) {
        const prevTmp = `${previous}.tmp-${process.pid}`;
        await fs.promises.rm(prevTmp, { force: true });
        await fs.promises.link(current, prevTmp);
        await fs.promises.rename(prevTmp, previous);
      }
      await fs.promises.rename(tmp, current);
      await fsyncPath(dir);
    },
    async close() {
      release();
    },
  };
}

module.exports = { fileStorage, FILE };
