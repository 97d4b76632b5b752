// Browser storage adapters for the external tables: the snapshot blob (lua.snapshot())
// kept in IndexedDB or localStorage, so ext data survives page reloads.
//
// An adapter is { load(): Promise<Uint8Array|undefined>, save(bytes): Promise<void>,
// close?(): Promise<void> } (see lib/persist.js). createLua({ storage: 'indexeddb' })
// or ({ storage: 'localstorage' }) builds one through web/index.js; both factories are
// also exported for apps that want their own database name or key.
//
// Decisions:
// - IndexedDB goes through idb-keyval (createStore/get/set): no hand-written request
//   plumbing. One object store 'snapshots' in a database of its own (default name
//   'lua-persistent'); the snapshot is one value under one key (default 'ext').
//   idb-keyval's set() resolves on the transaction's `complete` event, so a save is
//   committed or not at all: a reload, a crashed tab or a closed browser never sees
//   half a snapshot. (With the browsers' default "relaxed" durability an OS crash or
//   power loss right after a save may lose that last save, never corrupt the old one.)
//   The database name must be dedicated to lua-persistent: idb-keyval creates the
//   'snapshots' store only when it creates the database.
// - IndexedDB save() stores a copy of the bytes (structured clone of a fresh
//   Uint8Array), so later changes to the caller's array cannot reach storage. load()
//   accepts a Uint8Array, an ArrayBuffer or another ArrayBuffer view (older data or
//   values written by other code) and returns a Uint8Array; any other stored value is
//   reported as not a snapshot instead of being guessed at.
// - close() closes the IndexedDB connection (so deleteDatabase or a version upgrade
//   from another tab is not blocked by a closed VM); a later load/save reopens it.
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
// - Several tabs with the same database/key share one snapshot: the last save wins.
//   There is no cross-tab locking.
// - Damaged snapshots (lib/persist.js decides): IndexedDB keeps the previous snapshot
//   under "<key>.prev" (written in the same transaction as the new one) and moves an
//   unreadable one to "<key>.corrupt-<time>"; the previous copy is then loaded.
//   localStorage moves an unreadable snapshot to "<key>.corrupt-<time>" too, but keeps
//   no previous copy (two snapshots would halve the usable quota). A value that is not
//   bytes at all (IndexedDB) or not base64 (localStorage) is not ours to move: load()
//   throws and createLua rejects, leaving it untouched.
import { createStore, get, setMany, del } from 'idb-keyval';

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

const STORE_NAME = 'snapshots';

function copyBytes(bytes, who) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${who}: save() expects a Uint8Array`);
  return bytes.slice();
}

/**
 * Keeps the snapshot in IndexedDB: database `dbName`, object store 'snapshots', key `key`.
 * @param {string} [dbName='lua-persistent']
 * @param {string} [key='ext']
 */
export function indexedDBStorage(dbName = 'lua-persistent', key = 'ext') {
  if (typeof dbName !== 'string' || dbName === '') throw new TypeError('indexedDBStorage: dbName must be a non-empty string');
  if (typeof key !== 'string' || key === '') throw new TypeError('indexedDBStorage: key must be a non-empty string');
  const where = `IndexedDB database "${dbName}", store "${STORE_NAME}", key "${key}"`;
  const available = () => {
    if (typeof indexedDB === 'undefined') throw new Error(`lua-persistent: IndexedDB is not available here (${where})`);
  };
  // createStore is lazy: the database is opened on the first get/set, not here.
  let store = createStore(dbName, STORE_NAME);
  let used = false;
  const prevKey = `${key}.prev`;
  let loadedKey = key;
  const read = async (k) => {
    const v = await get(k, store);
    if (v === undefined || v === null) return undefined;
      if (v instanceof Uint8Array) return v;
      if (v instanceof ArrayBuffer) return new Uint8Array(v);
      if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new Error(`lua-persistent: the value stored in ${where} is not a snapshot (a ${Object.prototype.toString.call(v).slice(8, -1)}, expected bytes): the snapshot is corrupted`);
  };
  return {
    kind: 'indexeddb',
    where,
    async load() {
      available();
      used = true;
      loadedKey = key;
      const current = await read(key);
      if (current) return current;
      loadedKey = prevKey; // the current one was moved aside earlier
      return read(prevKey);
    },
    async loadPrevious() {
      return loadedKey === key ? read(prevKey) : undefined;
    },
    async quarantine() {
      const bad = await get(loadedKey, store);
      const keptAs = `${loadedKey}.corrupt-${stamp()}`;
      await setMany([[keptAs, bad]], store);
      await del(loadedKey, store);
      return `${where.replace(`key "${key}"`, `key "${keptAs}"`)}`;
    },
    async save(bytes) {
      const copy = copyBytes(bytes, 'indexedDBStorage');
      available();
      used = true;
      const old = await get(key, store);
      // One transaction: the previous snapshot and the new one change together.
      await setMany(old instanceof Uint8Array ? [[prevKey, old], [key, copy]] : [[key, copy]], store);
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
