// Browser storage adapters for the external tables, so ext data survives page reloads:
// IndexedDB keeps a snapshot plus a log of changes (incremental: a save costs the change,
// not the store); localStorage keeps whole snapshots only.
//
// Adapter interface: lib/persist.js (incremental stores: issue 18, docs/storage.md).
// createLua({ storage: 'indexeddb' }) or ({ storage: 'localstorage' }) builds one
// through web/index.js; both factories are also exported for apps that want their own
// database name or key (and, for IndexedDB, durability).
//
// IndexedDB, indexedDBStorage(dbName, key, { durability }): load, append, compact, save,
// quarantine, quarantineLog, loadPrevious, close.
// - Everything goes through idb-keyval: its createStore opens the database (creating
//   the object store 'snapshots' with it) and hands over the connection; the methods
//   here make their own transactions on it (to pass the durability option, which
//   idb-keyval cannot, and to put several requests in one transaction) and use its
//   promisifyRequest for the requests. The one piece of plumbing of our own waits for a
//   transaction's complete/abort (promisifyRequest would reject with null when a request
//   fails). IndexedDB's DOMExceptions come out as Errors naming the store (cause: the
//   DOMException). The database name must be dedicated to lua-persistent: the store is
//   created only when the database is.
// - Key layout in the object store (default key 'ext'):
//     'ext'                       the snapshot (bytes)
//     'ext.prev'                  the snapshot before it
//     ['ext', 'log', seq]         one log record each, seq = 0, 1, 2, ... (numbers)
//     'ext.corrupt-<time>'        an unreadable snapshot, moved aside (never overwritten)
//     'ext.corrupt-<time>.log'    the log that followed it, joined into one value
//     'ext.corrupt-log-<time>'    a log with a damaged record, joined into one value
//   (a '-2', '-3', ... suffix if a name is taken.) Log keys are arrays: IndexedDB orders
//   arrays element by element and numbers numerically, so seq 10 follows seq 9 without
//   zero padding, and no string key (another VM's key, '.prev', '.corrupt-...') can ever
//   fall inside one key's log range [key, 'log', 0] .. [key, 'log', Infinity].
// - append(record) adds ONE entry in its own transaction and resolves on `complete`:
//   a save costs the change, not the store. Its seq is assigned when append() is called
//   (one past the highest stored seq, found by load(), plus the appends issued since), so
//   the log's order is call order whatever order transactions commit in. Entries are
//   written with add(), never put(): a record is never written over (two writers on one
//   key would fail loudly instead of replacing each other's records).
// - load() reads snapshot, previous snapshot and the whole log in ONE read-only
//   transaction (a consistent pair) and returns { snapshot, log } with the records
//   joined in seq order; without records it returns the bare snapshot (the contract's
//   snapshot-only form, which older persist code reads too). A store written before
//   logs existed (a snapshot and maybe '.prev') loads as before. When 'ext' was moved
//   aside, '.prev' is the snapshot and the log (appended after that recovery) follows it.
//   load() restarts the seq count after the highest stored seq: call it before
//   appending (persist does); append/compact without a load() look that up first.
// - compact(snapshot) is ONE read-write transaction: the old snapshot goes to '.prev',
//   the new one to 'ext', and the records numbered below the count taken when compact()
//   was CALLED are deleted (a key range delete). Records appended while it is pending
//   have higher numbers and stay, whichever transaction commits first. So a crash at any
//   moment leaves either (old snapshot, every record) or (new snapshot, the later
//   records). save(bytes) is the same transaction (without appends in flight it drops
//   the whole log: the new snapshot replaces everything).
// - quarantine() (the snapshot is unreadable) moves it AND its log aside in one
//   transaction; loadPrevious() then gives '.prev' with no log. quarantineLog() moves
//   the log aside, joined, in one transaction, and the store has no log until the next
//   append (persist compacts right after).
// - Durability: option 'os' (default) commits with IndexedDB's durability 'relaxed'
//   ("written to the OS", Chromium's default anyway): a closed or crashed tab or browser
//   keeps every write whose promise resolved; an OS crash or power loss may lose the
//   latest writes, never the consistency (each transaction is all or nothing). 'fsync'
//   uses 'strict' (flushed to disk before `complete`; slower). Browsers without the
//   option ignore it (their default applies).
// - Every write stores a copy of the caller's bytes (taken at the call), so later
//   changes to the array cannot reach storage. Reads accept a Uint8Array, an ArrayBuffer
//   or another view (older data, values written by other code); any other value under
//   the snapshot or a log key is reported as corrupted (load() throws, createLua
//   rejects, nothing is moved or written over: it is not ours).
// - close() closes the IndexedDB connection (so deleteDatabase or a version upgrade
//   from another tab is not blocked by a closed VM); a later call reopens it.
// - One writer per key: there is no cross-tab locking. Two tabs writing one key used to
//   mean "the last save wins"; with logs, records appended on top of two different
//   states would interleave (add() makes the second writer of one seq fail, but cannot
//   catch every interleaving). Give each tab its own key or database.
//
// localStorage, localStorageStorage(key): WHOLE SNAPSHOTS ONLY (load/save/quarantine;
// no append, no compact, so persist writes the whole snapshot at every save; a log
// would cost a key per record in a 5-10 MB origin quota for little gain).
// - localStorage holds strings only: the bytes are stored as base64 text (4/3 the size).
//   The conversion goes in 32 KiB chunks, so multi-megabyte snapshots do not overflow
//   the stack (String.fromCharCode.apply with one huge argument list would).
// - localStorage quota (about 5-10 MB per origin, shared by the whole origin): a full
//   store makes save() throw an Error saying localStorage is full, how many bytes the
//   snapshot needed, and suggesting IndexedDB. The previously saved snapshot stays
//   intact: Storage.setItem either stores the new value or throws QuotaExceededError
//   and leaves the key's old value as it was (HTML spec, "setItem": the quota check
//   happens before the storage area is changed). So the value is written in place,
//   with no temp key and swap: a temp copy would need room for two snapshots at once
//   and make the quota error come sooner, for no gain in atomicity.
//   __tests__/browser-storage.test.js checks that the old value survives a quota error.
// - Text in localStorage that is not valid base64 is reported as a corrupted snapshot
//   (load() throws), so createLua rejects and nothing is written over it.
// - Several tabs with the same key share one snapshot: the last save wins.
// - An unreadable snapshot is moved to "<key>.corrupt-<time>"; no previous copy is kept
//   (two snapshots would halve the usable quota).
import { createStore, promisifyRequest } from 'idb-keyval';

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

const STORE_NAME = 'snapshots';

/** IndexedDB transaction durability for each `durability` option (see the top). */
const IDB_DURABILITY = { os: 'relaxed', fsync: 'strict' };

function copyBytes(bytes, who, method = 'save') {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${who}: ${method}() expects a Uint8Array`);
  return bytes.slice();
}

/** A stored value as a Uint8Array; undefined for none; null for a value that is not bytes. */
function asBytes(v) {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

/** The parts joined into one new Uint8Array; undefined for no parts. */
function concat(parts) {
  if (parts.length === 0) return undefined;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `base`, else `base-2`, `base-3`, ...: the first name nothing is stored under, looked up
 * inside the caller's transaction, so two quarantines in one millisecond never collide. */
async function freeName(s, base) {
  let name = base;
  for (let i = 2; (await promisifyRequest(s.getKey(name))) !== undefined; i++) name = `${base}-${i}`;
  return name;
}

/**
 * Keeps the snapshot and the log of changes after it in IndexedDB: database `dbName`,
 * object store 'snapshots', key `key` (layout and transactions: see the top).
 * @param {string} [dbName='lua-persistent']
 * @param {string} [key='ext']
 * @param {{ durability?: 'os' | 'fsync' }} [options] 'os' (default) commits with
 *   IndexedDB's 'relaxed' durability (written to the OS), 'fsync' with 'strict' (flushed
 *   to disk before the write resolves).
 */
export function indexedDBStorage(dbName = 'lua-persistent', key = 'ext', { durability = 'os' } = {}) {
  if (typeof dbName !== 'string' || dbName === '') throw new TypeError('indexedDBStorage: dbName must be a non-empty string');
  if (typeof key !== 'string' || key === '') throw new TypeError('indexedDBStorage: key must be a non-empty string');
  if (!Object.hasOwn(IDB_DURABILITY, durability)) {
    throw new TypeError(`indexedDBStorage: durability must be 'os' or 'fsync', not ${typeof durability === 'string' ? JSON.stringify(durability) : typeof durability}`);
  }
  const where = `IndexedDB database "${dbName}", store "${STORE_NAME}", key "${key}"`;
  const whereKey = (k) => where.replace(`key "${key}"`, `key ${JSON.stringify(k)}`);
  const writeOptions = { durability: IDB_DURABILITY[durability] };
  // createStore is lazy: the database is opened by the first transaction, not here.
  let store = createStore(dbName, STORE_NAME);
  let used = false;

  /**
   * Runs `fn(objectStore)` inside one transaction and resolves to what it returns.
   * idb-keyval's store function opens the connection (creating the store with the
   * database) but takes no transaction options, so it only hands over the connection,
   * through an empty read-only transaction (no request, it just ends), and the
   * transaction that does the work is made here with the chosen durability.
   */
  const tx = (mode, fn) => {
    if (typeof indexedDB === 'undefined') throw new Error(`lua-persistent: IndexedDB is not available here (${where})`);
    used = true;
    return store('readonly', (s) => s.transaction.db)
      .then((db) => fn(db.transaction(STORE_NAME, mode, mode === 'readwrite' ? writeOptions : undefined).objectStore(STORE_NAME)))
      .catch((e) => {
        // IndexedDB rejects with DOMExceptions (QuotaExceededError, ConstraintError, ...)
        // that do not say which store: an Error naming it, the DOMException as cause.
        if (typeof DOMException === 'function' && e instanceof DOMException) {
          throw new Error(`lua-persistent: IndexedDB failed (${where}): ${e.name}: ${e.message}`, { cause: e });
        }
        throw e;
      });
  };
  /**
   * Resolves once the transaction of `s` has committed, rejects with its error if it
   * aborted. (Not idb-keyval's promisifyRequest: on a failed request it rejects with
   * the transaction's error before the abort has set it, that is with null.)
   */
  const committed = (s) => new Promise((resolve, reject) => {
    const t = s.transaction;
    t.oncomplete = () => resolve();
    t.onabort = () => reject(t.error || new DOMException('the transaction was aborted', 'AbortError'));
  });

  const prevKey = `${key}.prev`;
  const logKey = (seq) => [key, 'log', seq];
  // Made when used: IDBKeyRange does not exist where IndexedDB does not.
  const wholeLog = () => IDBKeyRange.bound(logKey(0), logKey(Infinity)); // this key's records, no other's
  const logBefore = (end) => IDBKeyRange.bound(logKey(0), logKey(end), false, true);

  // Record numbers (seq): the i-th append() since the count started gets `first + i`,
  // assigned when append() is called. Keys follow call order whatever order the
  // transactions commit in, and compact() knows when it is called which records its
  // snapshot covers: those numbered below `first + issued`.
  let issued = 0;
  let first = null; // Promise<number>: one past the highest seq stored when counting started
  const countFrom = (next) => {
    first = Promise.resolve(next);
    issued = 0;
  };
  const firstSeq = () => {
    if (!first) {
      // append() or compact() before any load(): find where the stored log ends.
      first = tx('readonly', (s) => promisifyRequest(s.openKeyCursor(wholeLog(), 'prev'))).then((c) => (c ? c.key[2] + 1 : 0));
      first.catch(() => {
        first = null; // a failed lookup is retried by the next call
      });
    }
    return first;
  };

  const corrupted = (v, k) => {
    const what = Array.isArray(k) ? 'log record' : 'snapshot';
    return new Error(`lua-persistent: the value stored in ${whereKey(k)} is not a ${what} ` +
      `(a ${Object.prototype.toString.call(v).slice(8, -1)}, expected bytes): the ${what === 'snapshot' ? what : 'log'} is corrupted`);
  };
  /** The stored value under `k` as bytes; throws for a value that is not bytes. */
  const bytesAt = (v, k) => {
    const b = asBytes(v);
    if (b === null) throw corrupted(v, k);
    return b;
  };
  /** Inside a transaction: the log's records in seq order, and one past the highest seq. */
  const readLog = async (s) => {
    const [values, keys] = await Promise.all([promisifyRequest(s.getAll(wholeLog())), promisifyRequest(s.getAllKeys(wholeLog()))]);
    return { parts: values.map((v, i) => bytesAt(v, keys[i])), next: keys.length ? keys[keys.length - 1][2] + 1 : 0 };
  };
  /** Inside a transaction: copies the whole log, joined, under a new name `base[-n]` and
   * deletes it. Resolves to the name, or undefined when there was no log. */
  const moveLogAside = async (s, base) => {
    const { parts } = await readLog(s);
    if (!parts.length) return undefined;
    const name = await freeName(s, base);
    s.add(concat(parts), name);
    s.delete(wholeLog());
    return name;
  };

  /** Which snapshot load() gave: `key`, or `prevKey` when `key` had been moved aside. */
  let loadedKey = key;

  /**
   * compact() and save(): one transaction in which `bytes` (copied now) becomes the
   * snapshot (the old one is kept as `prevKey`) and the records appended before this
   * call are deleted; records appended from this call on stay. A crash leaves all of it
   * or none of it.
   */
  const replaceSnapshot = async (bytes, method) => {
    const copy = copyBytes(bytes, 'indexedDBStorage', method);
    const covered = issued; // read before any await: later appends are not in `bytes`
    const end = (await firstSeq()) + covered;
    await tx('readwrite', async (s) => {
      const old = await promisifyRequest(s.get(key));
      if (old instanceof Uint8Array) s.put(old, prevKey);
      s.put(copy, key);
      if (end > 0) s.delete(logBefore(end)); // an empty range is an error, not a no-op
      return committed(s);
    });
  };

  return {
    kind: 'indexeddb',
    where,
    /**
     * The snapshot (the previous one when the current one was moved aside) and the log
     * written after it, read in one transaction. Without a log, the bare snapshot (the
     * snapshot-only form of the contract, which every persist version reads).
     * Starts the record count after the highest stored seq.
     */
    async load() {
      const { current, prev, log } = await tx('readonly', async (s) => {
        const [c, p, l] = await Promise.all([promisifyRequest(s.get(key)), promisifyRequest(s.get(prevKey)), readLog(s)]);
        return { current: c, prev: p, log: l };
      });
      countFrom(log.next);
      const currentBytes = bytesAt(current, key);
      loadedKey = currentBytes ? key : prevKey;
      const snapshot = currentBytes || bytesAt(prev, prevKey);
      if (!log.parts.length) return snapshot;
      return { snapshot, log: concat(log.parts) };
    },
    async loadPrevious() {
      return loadedKey === key ? tx('readonly', async (s) => bytesAt(await promisifyRequest(s.get(prevKey)), prevKey)) : undefined;
    },
    /** Adds one record as its own entry: a write costs the record, not the store.
     * Resolves once its transaction has committed. */
    async append(record) {
      const copy = copyBytes(record, 'indexedDBStorage', 'append');
      const i = issued++;
      const seq = (await firstSeq()) + i;
      // add, not put: a record is never written over (two writers on one key fail loudly).
      await tx('readwrite', (s) => {
        s.add(copy, logKey(seq));
        return committed(s);
      });
    },
    /** The new snapshot replaces the old one and the records appended before this call,
     * in one transaction; records appended from this call on stay. */
    async compact(snapshot) {
      return replaceSnapshot(snapshot, 'compact');
    },
    /** Replaces everything: the same transaction as compact() (with no appends in
     * flight it drops the whole log). */
    async save(bytes) {
      return replaceSnapshot(bytes, 'save');
    },
    /** The snapshot load() gave is unreadable: it and its log move aside, in one
     * transaction, to `<that key>.corrupt-<time>` and `<that key>.corrupt-<time>.log`. */
    async quarantine() {
      const names = await tx('readwrite', async (s) => {
        const bad = await promisifyRequest(s.get(loadedKey));
        const keptAs = await freeName(s, `${loadedKey}.corrupt-${stamp()}`);
        if (bad !== undefined) s.add(bad, keptAs);
        s.delete(loadedKey);
        const logAs = await moveLogAside(s, `${keptAs}.log`);
        await committed(s);
        return { keptAs, logAs };
      });
      return whereKey(names.keptAs) + (names.logAs ? ` (its log: key ${JSON.stringify(names.logAs)})` : '');
    },
    /** A record before the end of the log is damaged: the whole log moves, joined as
     * load() gave it, to `<key>.corrupt-log-<time>`, in one transaction. */
    async quarantineLog() {
      const logAs = await tx('readwrite', async (s) => {
        const name = await moveLogAside(s, `${key}.corrupt-log-${stamp()}`);
        await committed(s);
        return name;
      });
      return logAs && whereKey(logAs);
    },
    async close() {
      if (!used) return;
      used = false;
      const old = store;
      store = createStore(dbName, STORE_NAME);
      // The connection is reachable only from a transaction; close() waits for any
      // transaction still running on it.
      try {
        await old('readonly', (s) => s.transaction.db.close());
      } catch {
        // The database never opened (or is already gone): nothing to release.
      }
    },
  };
}

const CHUNK = 0x8000;

/** Uint8Array -> base64, chunk by chunk (no giant argument lists). */
export function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

/** base64 -> Uint8Array; throws on text that is not base64. */
export function base64ToBytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function isQuotaError(e) {
  if (!e || typeof e !== 'object') return false;
  return e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22 || e.code === 1014;
}

function theLocalStorage(key) {
  let ls;
  try {
    ls = globalThis.localStorage;
  } catch (e) {
    // Opaque origins and disabled site data throw a SecurityError on access.
    throw new Error(`lua-persistent: localStorage is not available here (${e && e.message}); key "${key}"`, { cause: e });
  }
  if (!ls) throw new Error(`lua-persistent: localStorage is not available here; key "${key}"`);
  return ls;
}

/**
 * Keeps the snapshot in localStorage under `key`, as base64 text.
 * @param {string} [key='lua-persistent:ext']
 */
export function localStorageStorage(key = 'lua-persistent:ext') {
  if (typeof key !== 'string' || key === '') throw new TypeError('localStorageStorage: key must be a non-empty string');
  return {
    kind: 'localstorage',
    where: `localStorage key "${key}"`,
    async load() {
      const text = theLocalStorage(key).getItem(key);
      if (text === null) return undefined;
      try {
        return base64ToBytes(text);
      } catch (e) {
        throw new Error(`lua-persistent: the snapshot in localStorage key "${key}" is corrupted (not valid base64 text, ${text.length} characters); it was left as it is`, { cause: e });
      }
    },
    async quarantine() {
      const ls = theLocalStorage(key);
      const keptAs = `${key}.corrupt-${stamp()}`;
      ls.setItem(keptAs, ls.getItem(key)); // throws on a full quota: then nothing moved
      ls.removeItem(key);
      return `localStorage key "${keptAs}"`;
    },
    async save(bytes) {
      const text = bytesToBase64(copyBytes(bytes, 'localStorageStorage'));
      const ls = theLocalStorage(key);
      try {
        // Atomic per key: on a quota error the old value is unchanged (see the top).
        ls.setItem(key, text);
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        throw new Error(`lua-persistent: localStorage is full: saving the snapshot needed ${bytes.length} bytes ` +
          `(${text.length} characters as base64) under key "${key}" and the origin's localStorage quota has no room left for it. ` +
          'The previously saved snapshot is unchanged. Free some localStorage, or use IndexedDB ' +
          "(storage: 'indexeddb'), which holds far larger snapshots.", { cause: e });
      }
    },
  };
}
