'use strict';
// Node directory storage. Files in `dir`:
//   ext.luap            the current snapshot
//   ext.luap.prev       the snapshot before it (the fallback if the current one is damaged)
//   ext.luap.lock       {pid, host, id} of the VM that has the store open (written as
//                       ext.luap.lock.<id>, id = <pid>-<thread>-<random>, then
//                       hard-linked into place)
//   ext.luap.lock.steal-<id>   a claim, while one opener takes over the stale lock <id>
//   ext.luap.corrupt-*  unreadable snapshots, kept aside and never overwritten
// A save writes a temp file and fsyncs it, hard-links the current snapshot as the
// previous one, renames the temp file over the current one and fsyncs the directory: a
// crash at any point leaves a complete old or new snapshot, never a mix.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { threadId } = require('worker_threads');

const FILE = 'ext.luap';
/** How long an opener waits while another takes over a stale lock. */
const LOCK_WAIT_MS = 3000;

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

/** A unique id for a lock or claim file: its identity when deciding what to remove. */
const newId = () => `${process.pid}-${threadId}-${crypto.randomBytes(8).toString('hex')}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lock-like file (the lock or a takeover claim): { pid, host, id }, or null when it
 * is gone. Read through one descriptor, so the id of a file written without one (older
 * versions, a damaged file) is that very file's inode and mtime.
 */
function readLock(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    let owner = null;
    try {
      owner = JSON.parse(fs.readFileSync(fd, 'utf8'));
    } catch {
      // damaged: no owner, so stale
    }
    const o = owner !== null && typeof owner === 'object' ? owner : {};
    const id = typeof o.id === 'string' && /^[\w-]+$/.test(o.id) ? o.id : `old-${st.ino}-${Math.round(st.mtimeMs * 1000)}`;
    return { pid: Number.isInteger(o.pid) && o.pid > 0 ? o.pid : null, host: o.host, id };
  } finally {
    fs.closeSync(fd);
  }
}

function fileStorage(dir) {
  const current = path.join(dir, FILE);
  const previous = `${current}.prev`;
  const lockFile = `${current}.lock`;
  let loadedFrom = null;
  let locked = false;
  const me = { pid: process.pid, host: os.hostname(), id: '' };
  const releaseOnExit = () => release();

  function release() {
    if (!locked) return;
    locked = false;
    process.removeListener('exit', releaseOnExit);
    try {
      const owner = readLock(lockFile);
      if (owner && owner.id === me.id) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  }

  /**
   * Creates `file` with `{pid, host, id}` already in it, or answers false if it exists.
   * Written under a unique name and hard-linked into place (as saves link the previous
   * snapshot): with a plain exclusive create, a racing opener could read the new file
   * before its content was written and take it for a crash's leftover.
   */
  function linkNew(file, id) {
    const tmp = `${lockFile}.${id}`;
    fs.writeFileSync(tmp, JSON.stringify({ pid: me.pid, host: me.host, id }), { flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (e) {
      if (e.code === 'EEXIST') return false;
      throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** A lock or claim whose process is gone (or that names none); throws for a live owner
   * of the store or one on another host, which this process cannot check. */
  function isStale(owner, isClaim) {
    if (owner.pid === null) return true;
    if (owner.host !== me.host) {
      if (isClaim) return false;
      throw new Error(`lua-persistent: the store ${dir} is locked by host ${owner.host} (pid ${owner.pid}); remove ${lockFile} if that host is gone`);
    }
    if (!alive(owner.pid)) return true;
    if (isClaim) return false;
    const who = owner.pid === me.pid ? 'another VM of this process' : `process ${owner.pid}`;
    throw new Error(`lua-persistent: the store ${dir} is in use by ${who} (lock file ${lockFile}); close it first`);
  }

  /**
   * Removes `file` (the lock, or a claim) if it still is `stale`. Deleting a stale lock
   * races: two openers could both see the dead owner, one deletes it and locks, the other
   * then deletes that new lock (two owners, lost updates). So only the opener that
   * creates the claim `ext.luap.lock.steal-<id of stale>` (atomically, by link) may
   * delete that file, and it checks the id first: while the stale file is in place no
   * one else can delete or replace it. A claim whose creator died is itself removed the
   * same way. False: a live opener holds the claim (try again shortly).
   */
  function removeStale(file, stale, depth = 0) {
    if (depth > 4) return false;
    const claim = `${lockFile}.steal-${stale.id}`;
    const claimId = newId();
    if (!linkNew(claim, claimId)) {
      const holder = readLock(claim);
      if (!holder || !isStale(holder, true)) return false;
      if (!removeStale(claim, holder, depth + 1) || !linkNew(claim, claimId)) return false;
    }
    try {
      const now = readLock(file);
      if (now && now.id === stale.id) fs.unlinkSync(file);
      return true;
    } finally {
      // After the stale file is gone: a late opener that creates this claim again finds
      // a different id in its place, and leaves it.
      fs.rmSync(claim, { force: true });
    }
  }

  /** One attempt to lock: true when locked, false to try again (a takeover in progress). */
  function tryLock() {
    me.id = newId();
    if (linkNew(lockFile, me.id)) return true;
    const owner = readLock(lockFile);
    if (!owner) return false; // released meanwhile
    isStale(owner, false);
    return removeStale(lockFile, owner) && linkNew(lockFile, me.id);
  }

  /** One process, one VM per store: a second opener gets a clear error, not interleaved
   * writes. Waits while another opener takes over a stale lock (microseconds). */
  async function acquire() {
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!tryLock()) {
      if (Date.now() > deadline) {
        throw new Error(`lua-persistent: could not lock the store ${dir} within ${LOCK_WAIT_MS} ms (${lockFile}.steal-* files show an opener taking over a stale lock; remove them if no process is opening the store)`);
      }
      await sleep(2 + Math.random() * 8);
    }
    locked = true;
    process.on('exit', releaseOnExit);
  }

  /**
   * Deletes what killed processes left behind: temp files of saves (`ext.luap.tmp-<pid>`,
   * `ext.luap.prev.tmp-<pid>`), of lock files (`ext.luap.lock.<pid>-...`) and takeover
   * claims, each only when the process named in it is gone. Runs with the lock held, so
   * no save of another process is under way.
   */
  function removeLeftovers() {
    for (const name of fs.readdirSync(dir)) {
      let pid = null;
      const m = /^ext\.luap(?:\.prev)?\.tmp-(\d+)$/.exec(name) || /^ext\.luap\.lock\.(\d+)-\d+-[0-9a-f]+$/.exec(name);
      if (m) pid = Number(m[1]);
      else if (name.startsWith(`${FILE}.lock.steal-`)) pid = (readLock(path.join(dir, name)) || { pid: null }).pid;
      else continue;
      if (pid === null || !alive(pid)) fs.rmSync(path.join(dir, name), { force: true });
    }
  }

  /** Storage failures as errors that name the store, with the system error as cause. */
  async function named(what, work) {
    try {
      return await work();
    } catch (e) {
      const isError = Object.prototype.toString.call(e) === '[object Error]'; // any realm
      if (isError && e.message.startsWith('lua-persistent:')) throw e;
      const reason = isError ? `${e.message}${codeHint(e.code)}` : String(e);
      throw Object.assign(new Error(`lua-persistent: cannot ${what} the store ${dir}: ${reason}`, { cause: e }), { code: e && e.code });
    }
  }

  return {
    kind: 'file',
    dir,
    path: current,
    open: () =>
      named('open', async () => {
        // Look before creating: mkdir on an existing path under /proc never settles, and
        // EEXIST for a file says nothing useful.
        const st = await fs.promises.stat(dir).catch((e) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
        if (st && !st.isDirectory()) throw new Error(`lua-persistent: the store ${dir} is not a directory`);
        if (!st) await makeDir(dir);
        await acquire();
        try {
          removeLeftovers();
        } catch {
          // best effort: a leftover that cannot be removed does no harm
        }
      }),
    load: () =>
      named('read', async () => {
        const bytes = await readIfExists(current);
        if (bytes) {
          loadedFrom = current;
          return bytes;
        }
        // A crash between the two renames of an old version of this format; or a
        // quarantined current file: the previous snapshot is the newest complete one.
        loadedFrom = previous;
        return readIfExists(previous);
      }),
    loadPrevious: () => named('read', async () => (loadedFrom === current ? readIfExists(previous) : undefined)),
    quarantine: () =>
      named('keep aside a damaged snapshot of', async () => {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        let target = `${current}.corrupt-${stamp}`;
        for (let n = 1; fs.existsSync(target); n++) target = `${current}.corrupt-${stamp}-${n}`;
        await fs.promises.rename(loadedFrom, target);
        return target;
      }),
    save: (bytes) =>
      named('write to', async () => {
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
      }),
    async close() {
      release();
    },
  };
}

/** Plain words for the system errors a store meets. */
function codeHint(code) {
  const hints = {
    ENOENT: ' (the directory or a file in it was removed)',
    ENOTDIR: ' (a part of the path is a file, not a directory)',
    EACCES: ' (permission denied)',
    EPERM: ' (operation not permitted)',
    EISDIR: ' (a directory is where a snapshot file should be)',
    ENOSPC: ' (the disk is full)',
    EROFS: ' (read-only file system)',
  };
  return (code && hints[code]) || '';
}

module.exports = { fileStorage, FILE };
