// Storage test page, bundled by scripts/build-web.js into dist/web-storage and driven by
// __tests__/browser-storage.test.js. 'lua-persistent' resolves through the package's
// "browser" condition to web/index.js, as in an app.
import { createLua, LuaError, indexedDBStorage, localStorageStorage } from 'lua-persistent';
import { createStore, get, set, del, keys } from 'idb-keyval';

const COUNTER = "local c = ext.table('counter'); c.n = (c.n or 0) + 1; return c.n";

/** Opens a VM on `storage`, bumps the counter, saves, closes; returns the new count. */
async function counter(storage, options = {}) {
  const lua = await createLua({ storage, ...options });
  try {
    const n = lua.eval(COUNTER);
    await lua.save();
    return n;
  } finally {
    await lua.close();
  }
}

window.lps = {
  createLua,
  LuaError,
  indexedDBStorage,
  localStorageStorage,
  counter,
  COUNTER,
  // Direct IndexedDB access, to plant or inspect stored values.
  idb: { createStore, get, set, del, keys },
};
window.lpsReady = Promise.resolve(true);
