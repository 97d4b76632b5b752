'use strict';
// Node directory storage: a snapshot plus a log of the records appended after it.
// Files in `dir`:
//   ext.luap            the current snapshot
//   ext.luap.prev       the snapshot before it (the fallback if the current one is damaged)
//   ext.luap.log        the records appended after the snapshot: a 28-byte header
//                       ("LUAPLOG1" + SHA-1 of the snapshot it follows, 20 zero bytes for
//                       "no snapshot"), then the records, opaque, in append order
//   ext.luap.lock       {pid, host, id} of the VM that has the store open (written as
//                       ext.luap.lock.<id>, id = <pid>-<thread>-<random>, then
//                       hard-linked into place)
//   ext.luap.lock.steal-<id>   a claim, while one opener takes over the stale lock <id>
//   ext.luap.corrupt-*  unreadable snapshots, kept aside and never overwritten (with
//                       their log as ext.luap.corrupt-*.log)
//   ext.luap.log.corrupt-*  logs with a damaged record, kept aside
//   ext.luap.tmp-<pid>, ext.luap.prev.tmp-<pid>, ext.luap.log.tmp-<pid>-<n>  temp files
//
// load() returns the log only when its header names the snapshot it returns: a log that
// follows another snapshot (a crash in the middle of a compaction) is never applied to
// this one. No log file means an empty log.
//
// append() writes the record to the log through one O_APPEND descriptor (fs.writeSync,
// plus fs.fdatasyncSync with durability 'fsync') before it returns.
//
// compact(S) (and save(S), the same thing) keeps every record appended while it runs:
//  1. from the call on, appends go to the old log AND to a list in memory;
//  2. S is written to ext.luap.tmp-<pid> and fsynced; if records came in meanwhile, a new
//     log ext.luap.log.tmp-<pid>-<n> = header(S) + those records is written and fsynced;
//     ext.luap is hard-linked as ext.luap.prev (as saves always did);
//  3. then in one synchronous step, so that no append can fall in between: the records
//     appended since step 2 are added to the new log; ext.luap.tmp-<pid> is renamed over
//     ext.luap; the new log is renamed over ext.luap.log (or, when no record came in,
//     ext.luap.log is removed); appends switch to the new log;
//  4. the directory is fsynced (in step 3 with durability 'fsync').
// A crash before the snapshot rename leaves the old snapshot and the old log, which has
// every record. A crash between the two renames leaves the new snapshot, an old log that
// does not match it, and a complete new log under its temp name: load() picks, among
// ext.luap.log and the ext.luap.log.tmp-* files, the one whose header matches, and
// renames it into place. Other log temp files are removed then (the lock is held: none
// is in use). Snapshot temp files of dead processes are removed at open, as before.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { threadId } = require('worker_threads');

const FILE = 'ext.luap';
/** How long an opener waits while another takes over a stale lock. */
const LOCK_WAIT_MS = 3000;
/** A log starts with this, then the SHA-1 of the snapshot it follows. */
const LOG_MAGIC = Buffer.from('LUAPLOG1');
const NO_SNAPSHOT = Buffer.alloc(20);
const HEADER_LEN = LOG_MAGIC.length + NO_SNAPSHOT.length;
/** Log temp files (of compactions): ext.luap.log.tmp-<pid>-<n>. */
const LOG_TMP = /^ext\.luap\.log\.tmp-\d+-\d+$/;
const DURABILITY = ['os', 'fsync'];
/** A compaction's new log: created or emptied, then appended to (it becomes the log). */
const NEW_LOG_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;

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

function fsyncDirSync(dir) {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const fdatasync = (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));

/** Writes all of `bytes` at the descriptor's position (the end, for O_APPEND). */
function writeAll(fd, bytes) {
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** The log header for a snapshot (undefined: none), hashed on the main thread. */
const headerSync = (snapshot) =>
  Buffer.concat([LOG_MAGIC, snapshot ? crypto.createHash('sha1').update(snapshot).digest() : NO_SNAPSHOT]);

/** The same, hashed off the main thread: snapshots can be large. */
async function header(snapshot) {
  if (!snapshot) return headerSync(undefined);
  return Buffer.concat([LOG_MAGIC, Buffer.from(await crypto.webcrypto.subtle.digest('SHA-1', snapshot))]);
}

/** A descriptor for reading `file`, or null when it is gone. */
function openIfExists(file) {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

/** The first HEADER_LEN bytes of a file (fewer if it is shorter), or null if it is gone. */
function readHeaderSync(file) {
  const fd = openIfExists(file);
  if (fd === null) return null;
  try {
    const buf = Buffer.alloc(HEADER_LEN);
    return buf.subarray(0, fs.readSync(fd, buf, 0, HEADER_LEN, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** `fileStorage`'s `durability` option: 'os' unless told otherwise. */
function durabilityOf(options) {
  if (options === undefined) return 'os';
  if (options === null || typeof options !== 'object') throw new TypeError('fileStorage: options must be an object');
  const d = options.durability === undefined ? 'os' : options.durability;
  if (!DURABILITY.includes(d)) {
    const shown = typeof d === 'string' ? JSON.stringify(d) : typeof d;
    throw new TypeError(`fileStorage: durability must be 'os' or 'fsync', not ${shown}`);
  }
  return d;
}

/** A name for something kept aside, `base` or `base-<n>`, where none of `base`+suffix exist. */
function freeName(base, suffixes = ['']) {
  let name = base;
  for (let n = 1; suffixes.some((x) => fs.existsSync(name + x)); n++) name = `${base}-${n}`;
  return name;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** A unique id for a lock or claim file: its identity when deciding what to remove. */
const newId = () => `${process.pid}-${threadId}-${crypto.randomBytes(8).toString('hex')}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lock-like file (the lock or a takeover claim): { pid, host, id }, or null when it
 * is gone. Read through one descriptor, so the id of a file written without one (older
 * versions, a damaged file) is that very file's inode and mtime.
 */
function readLock(file) {
  const fd = openIfExists(file);
  if (fd === null) return null;
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

/**
 * A store in the directory `dir`. options.durability: 'os' (default; an append is in
 * the OS when it returns: it survives the process, not a power loss) or 'fsync' (also
 * on the disk).
 */
function fileStorage(dir, options) {
  const durability = durabilityOf(options);
  const current = path.join(dir, FILE);
  const previous = `${current}.prev`;
  const lockFile = `${current}.lock`;
  const logFile = `${current}.log`;
  let loadedFrom = null;
  /** The header of the snapshot the log follows; null: not known yet (read it). */
  let base = null;
  /** The log's O_APPEND descriptor, opened by the first append; its size. */
  let fd = null;
  let logSize = 0;
  /** Records appended since the running compaction was called (copies), or null. */
  let pending = null;
  /** The running compact() or save(); its temp log; numbers temp logs. */
  let running = null;
  let runningLogTmp = null;
  let tmpSeq = 0;
  let closed = false;
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
   * no save of another process is under way. Log temp files (`ext.luap.log.tmp-*`) are
   * left to load(): one of them may be the log of the current snapshot.
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

  /** A failure as an error that names the store, with the system error as cause. */
  function storeError(what, e) {
    const isError = Object.prototype.toString.call(e) === '[object Error]'; // any realm
    if (isError && e.message.startsWith('lua-persistent:')) return e;
    const reason = isError ? `${e.message}${codeHint(e.code)}` : String(e);
    return Object.assign(new Error(`lua-persistent: cannot ${what} the store ${dir}: ${reason}`, { cause: e }), { code: e && e.code });
  }

  /** Storage failures as errors that name the store, with the system error as cause. */
  async function named(what, work) {
    try {
      return await work();
    } catch (e) {
      throw storeError(what, e);
    }
  }

  function namedSync(what, work) {
    try {
      return work();
    } catch (e) {
      throw storeError(what, e);
    }
  }

  /** The snapshot load() would read, synchronously (for a log started before any load). */
  function snapshotSync() {
    for (const file of [current, previous]) {
      try {
        return new Uint8Array(fs.readFileSync(file));
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
      }
    }
    return undefined;
  }

  /**
   * Makes ext.luap.log the log that follows the snapshot with header `want`, if there is
   * one: ext.luap.log itself, or a compaction's temp log left by a crash between its two
   * renames, which is then renamed into place. Removes every other log temp file but the
   * running compaction's: the lock is held, so they are all leftovers.
   * Returns the log's records, or undefined when there are none.
   */
  function settleLog(want) {
    const temps = fs.readdirSync(dir).filter((n) => LOG_TMP.test(n)).map((n) => path.join(dir, n)).filter((t) => t !== runningLogTmp);
    let found;
    const matches = (file) => {
      const head = readHeaderSync(file);
      return head !== null && head.equals(want);
    };
    if (matches(logFile)) found = logFile;
    else found = temps.find(matches) || null;
    if (found !== null && found !== logFile) {
      fs.renameSync(found, logFile);
      fsyncDirSync(dir);
    }
    for (const t of temps) if (t !== found) fs.rmSync(t, { force: true });
    if (found === null) return undefined;
    const bytes = fs.readFileSync(logFile);
    return bytes.length > HEADER_LEN ? new Uint8Array(bytes.subarray(HEADER_LEN)) : undefined;
  }

  /**
   * The descriptor appends go to, opened once (O_APPEND). A log that follows another
   * snapshot, or none, is started afresh with this snapshot's header: its records do not
   * apply to this snapshot (load() did not return them).
   */
  function logFd() {
    if (fd !== null) return fd;
    if (closed) throw new Error(`lua-persistent: cannot append to the store ${dir}: it is closed`);
    if (base === null) {
      base = headerSync(snapshotSync());
      settleLog(base);
    }
    const f = fs.openSync(logFile, 'a+');
    try {
      let size = fs.fstatSync(f).size;
      const head = Buffer.alloc(HEADER_LEN);
      if (size < HEADER_LEN || fs.readSync(f, head, 0, HEADER_LEN, 0) !== HEADER_LEN || !head.equals(base)) {
        fs.ftruncateSync(f, 0);
        writeAll(f, base);
        if (durability === 'fsync') {
          fs.fdatasyncSync(f);
          fsyncDirSync(dir);
        }
        size = HEADER_LEN;
      }
      fd = f;
      logSize = size;
      return f;
    } catch (e) {
      fs.closeSync(f);
      throw e;
    }
  }

  function closeLog() {
    if (fd === null) return;
    const f = fd;
    fd = null;
    fs.closeSync(f);
  }

  /** Appends one record, written to the OS (and the disk, with 'fsync') on return. */
  function appendRecord(record) {
    const f = logFd();
    // Writes to a removed file succeed and go nowhere: say so instead of losing them.
    if (fs.fstatSync(f).nlink === 0) throw Object.assign(new Error('its log file was removed'), { code: 'ENOENT' });
    try {
      writeAll(f, record);
      if (durability === 'fsync') fs.fdatasyncSync(f);
    } catch (e) {
      // No torn record before the next one: a record that failed is not in the log.
      try {
        fs.ftruncateSync(f, logSize);
      } catch {
        // the log is unusable anyway; the error below says why
      }
      throw e;
    }
    logSize += record.length;
    if (pending !== null) pending.push(new Uint8Array(record));
  }

  /** Links the current snapshot as the previous one (a no-op for the first snapshot). */
  async function keepPrevious() {
    if (!fs.existsSync(current)) return;
    const prevTmp = `${previous}.tmp-${process.pid}`;
    await fs.promises.rm(prevTmp, { force: true });
    await fs.promises.link(current, prevTmp);
    await fs.promises.rename(prevTmp, previous);
  }

  async function writeSynced(file, bytes) {
    const fh = await fs.promises.open(file, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Steps 2-4 of a compaction (top of this file). `records` is the list appends add to
   * since compact() was called.
   */
  async function compaction(snapshot, records) {
    const snapTmp = `${current}.tmp-${process.pid}`;
    const logTmp = `${logFile}.tmp-${process.pid}-${++tmpSeq}`;
    runningLogTmp = logTmp;
    const next = { fd: null, size: 0, written: 0 };
    /** Adds the records not yet in the new log, creating it on the first one. */
    const catchUp = () => {
      if (next.fd === null && next.written < records.length) {
        next.fd = fs.openSync(logTmp, NEW_LOG_FLAGS);
        writeAll(next.fd, want);
        next.size = HEADER_LEN;
      }
      for (; next.written < records.length; next.written++) {
        writeAll(next.fd, records[next.written]);
        next.size += records[next.written].length;
      }
    };
    const want = await header(snapshot);
    let committed = false;
    try {
      await writeSynced(snapTmp, snapshot);
      catchUp();
      if (next.fd !== null) await fdatasync(next.fd);
      await keepPrevious();
      // One synchronous step from here: no append runs until the switch is done.
      const flushed = next.written;
      catchUp();
      if (durability === 'fsync' && next.written > flushed) fs.fdatasyncSync(next.fd);
      fs.renameSync(snapTmp, current);
      committed = true;
      return switchLog(want, next, logTmp);
    } finally {
      if (!committed) {
        if (next.fd !== null) fs.closeSync(next.fd);
        fs.rmSync(logTmp, { force: true });
        fs.rmSync(snapTmp, { force: true });
      }
    }
  }

  /**
   * After the snapshot rename: puts the new log in place (or removes the old one when no
   * record came in) and sends appends there. Throws only after the switch, so appends
   * always go to the log that matches the snapshot (a log left under its temp name is
   * found by its header at the next load).
   */
  async function switchLog(want, next, logTmp) {
    let failure = null;
    pending = null;
    base = want;
    const old = fd;
    fd = next.fd;
    logSize = next.size;
    try {
      if (next.fd !== null) fs.renameSync(logTmp, logFile);
      else fs.rmSync(logFile, { force: true });
    } catch (e) {
      failure = e;
    }
    if (old !== null) fs.closeSync(old);
    if (failure) throw failure;
    if (durability === 'fsync') fsyncDirSync(dir);
    else await fsyncPath(dir);
  }

  /** compact() and save(): one at a time; appends made meanwhile are kept. */
  function compact(snapshot, what) {
    if (!(snapshot instanceof Uint8Array)) return Promise.reject(new TypeError(`fileStorage: ${what}() expects a Uint8Array`));
    if (running) return Promise.reject(new Error(`lua-persistent: ${what}() called on the store ${dir} while another compact() or save() runs`));
    if (closed) return Promise.reject(new Error(`lua-persistent: cannot write to the store ${dir}: it is closed`));
    const records = [];
    pending = records; // from the call on, before any await
    running = named('write to', () => compaction(snapshot, records)).finally(() => {
      if (pending === records) pending = null;
      running = null;
      runningLogTmp = null;
    });
    return running;
  }

  /** Moves the log aside under `target` (a new name); the store then has no log. */
  async function moveLogAside(target) {
    closeLog();
    try {
      await fs.promises.rename(logFile, target);
    } catch (e) {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    }
    return target;
  }

  return {
    kind: 'file',
    dir,
    path: current,
    durability,
    open: () =>
      named('open', async () => {
        // Look before creating: mkdir on an existing path under /proc never settles, and
        // EEXIST for a file says nothing useful.
        const st = await fs.promises.stat(dir).catch((e) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
        if (st && !st.isDirectory()) throw new Error(`lua-persistent: the store ${dir} is not a directory`);
        if (!st) await makeDir(dir);
        await acquire();
        closed = false;
        try {
          removeLeftovers();
        } catch {
          // best effort: a leftover that cannot be removed does no harm
        }
      }),
    load: () =>
      named('read', async () => {
        let snapshot = await readIfExists(current);
        loadedFrom = current;
        if (!snapshot) {
          // A crash between the two renames of an old version of this format; or a
          // quarantined current file: the previous snapshot is the newest complete one.
          loadedFrom = previous;
          snapshot = await readIfExists(previous);
        }
        const want = await header(snapshot);
        closeLog();
        const log = settleLog(want);
        base = want;
        // Until lib/persist.js reads { snapshot, log } (issue 18), a store without
        // records answers the bare snapshot: both persists read that as "no log".
        return log ? { snapshot, log } : snapshot;
      }),
    loadPrevious: () => named('read', async () => (loadedFrom === current ? readIfExists(previous) : undefined)),
    append: (record) => {
      if (!(record instanceof Uint8Array)) throw new TypeError('fileStorage: append() expects a Uint8Array');
      namedSync('append to', () => appendRecord(record));
    },
    compact: (snapshot) => compact(snapshot, 'compact'),
    /** A whole snapshot (adapters' old interface): a compaction, which empties the log. */
    save: (bytes) => compact(bytes, 'save'),
    quarantineLog: () =>
      named('keep aside a damaged log of', async () => {
        const kept = await moveLogAside(freeName(`${logFile}.corrupt-${stamp()}`));
        await fsyncPath(dir);
        return kept;
      }),
    quarantine: () =>
      named('keep aside a damaged snapshot of', async () => {
        const target = freeName(`${current}.corrupt-${stamp()}`, ['', '.log']);
        // The log first: it follows this snapshot and must never be applied to another.
        await moveLogAside(`${target}.log`);
        await fs.promises.rename(loadedFrom, target);
        base = null; // the next log follows whatever snapshot load() now finds
        await fsyncPath(dir);
        return target;
      }),
    async close() {
      if (running) await running.catch(() => {});
      closed = true;
      try {
        closeLog();
      } finally {
        release();
      }
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
