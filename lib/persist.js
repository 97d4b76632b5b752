'use strict';
// Storage for the external tables of one VM: loading with recovery, serialized saves,
// autosave. Shared by every backend and environment; adapters only move bytes.
//
// Adapter interface (all methods may be async):
//   load()            -> Uint8Array | undefined   the current snapshot, if any   (required)
//   save(bytes)       -> void   replace the snapshot, atomically if at all possible (required)
//   open()            -> void   called once before load (take a lock, create a directory)
//   close()           -> void   called by lua.close() after the last save (release the lock)
//   quarantine(error) -> string | undefined   move an unreadable snapshot aside, never
//                                            overwrite it; returns where it was kept
//   loadPrevious()    -> Uint8Array | undefined   the snapshot before the current one

/** `autosave` option: false, true (after each call that changed ext data), or ms (debounce). */
function autosaveMode(value, storage) {
  if (value === undefined) return storage === 'memory' ? false : true;
  if (value === false || value === true) return value;
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value;
  throw new TypeError('createLua: autosave must be true, false or a debounce delay in milliseconds');
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A short form of any thrown value for a message (String() throws for some). */
function describe(value) {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}

/**
 * Calls `adapter[method](...args)`. Adapters are user code and may throw anything; a
 * thrown non-Error (a string, an object) becomes an Error naming the method, with the
 * value as its cause, instead of reaching createLua as a bare value.
 */
async function callAdapter(adapter, method, ...args) {
  try {
    return await adapter[method](...args);
  } catch (e) {
    if (Object.prototype.toString.call(e) === '[object Error]') throw e; // Errors of any realm
    throw new Error(`lua-persistent: the storage adapter's ${method}() threw a non-Error value: ${describe(e)}`, { cause: e });
  }
}

/** A snapshot written by a newer lua-persistent: the core marks it with a code
 * (crates/core ErrorCode::NewerFormat), so stores refuse to open instead of setting the
 * data aside as damaged, whatever the message says. */
const isNewerFormat = (e) => e !== null && typeof e === 'object' && e.code === 'newer-format';

class Persistence {
  constructor(lua, adapter, autosave, onSaveError) {
    this.lua = lua;
    this.adapter = adapter === 'memory' ? null : adapter;
    this.autosave = autosave;
    this.onSaveError = onSaveError;
    this.lastSaved = null;
    this.queue = Promise.resolve();
    this.timer = null;
    this.lastError = null;
    /** Lua changed ext data (or a save failed) since the last snapshot was taken. */
    this.dirty = false;
    /** Counts save() calls, so a failure only marks the data dirty if no later
     * snapshot has been taken. */
    this.attempts = 0;
    /** Set by saveAtClose: no autosave after that. */
    this.closing = false;
    /** Set when the stored snapshot could not be read: { error, keptAs, usedPrevious }. */
    this.recovery = null;
  }

  /** Loads the stored snapshot into the VM; an unreadable one is kept aside, never lost. */
  async open() {
    const a = this.adapter;
    if (!a) return;
    if (a.open) await callAdapter(a, 'open');
    try {
      const bytes = await callAdapter(a, 'load');
      if (!bytes) return;
      try {
        this.lua.restore(bytes);
        this.lastSaved = bytes;
      } catch (e) {
        if (isNewerFormat(e)) throw e;
        await this.recover(e);
      }
    } catch (e) {
      if (a.close) await callAdapter(a, 'close');
      throw e;
    }
  }

  async recover(error) {
    const a = this.adapter;
    if (!a.quarantine) {
      throw Object.assign(new Error(`lua-persistent: the stored snapshot cannot be read (${error.message}); ` +
        'this storage adapter cannot keep it aside, so nothing was loaded and nothing will be written'), { cause: error });
    }
    const keptAs = await callAdapter(a, 'quarantine', error);
    this.recovery = { error, keptAs, usedPrevious: false };
    const previous = a.loadPrevious ? await callAdapter(a, 'loadPrevious') : undefined;
    if (previous) {
      try {
        this.lua.restore(previous);
        this.recovery.usedPrevious = true;
      } catch (e2) {
        this.recovery.previousError = e2;
      }
    }
    const what = this.recovery.usedPrevious ? 'the previous good copy was loaded' : 'no good copy was left: starting empty';
    console.warn(`lua-persistent: stored snapshot unreadable (${error.message}); kept as ${keptAs}; ${what}`);
  }

  /**
   * After every call into Lua: schedule a save if Lua changed ext data, or if the last
   * save failed (`dirty` stays set until a snapshot is taken and written). Never
   * throws: a failed save must not take the call's result (see `report`).
   */
  afterCall() {
    if (this.autosave === false || !this.adapter || this.closing) return;
    if (this.lua._takeDirty()) this.dirty = true;
    if (!this.dirty) return;
    if (this.autosave === true) {
      this.save().catch(() => {});
    } else if (!this.timer) {
      // The timer snapshots when it fires: the state after the last call in the window.
      this.timer = setTimeout(() => {
        this.timer = null;
        this.save().catch(() => {});
      }, this.autosave);
    }
  }

  /**
   * Snapshots now and writes after any save in progress; identical bytes are not written
   * again. Returns a promise that rejects when the snapshot or the write fails, and
   * never throws: autosave runs it inside other calls. A failure is reported (see
   * `report`) and leaves the data dirty, so the next call or save tries again.
   */
  save() {
    const attempt = ++this.attempts;
    let bytes;
    try {
      bytes = this.lua.snapshot();
      this.dirty = false;
    } catch (e) {
      // A value in lua.ext that cannot be saved (put there by JS): nothing to write.
      return this.failed(e, attempt);
    }
    const run = async () => {
      if (sameBytes(bytes, this.lastSaved)) return;
      if (this.adapter) await callAdapter(this.adapter, 'save', bytes);
      this.lastSaved = bytes;
      this.lastError = null;
    };
    const p = this.queue.then(run);
    this.queue = p.catch((e) => this.failed(e, attempt).catch(() => {}));
    return p;
  }

  /** Records a failed save and reports it; the data stays dirty unless a later save
   * has already taken a snapshot (that one carries the changes). */
  failed(error, attempt) {
    this.lastError = error;
    if (attempt === this.attempts) this.dirty = true;
    this.report(error);
    return Promise.reject(error);
  }

  /** To onSaveError, else to console.error when autosave is on (with autosave off, the
   * only saves are save() calls, whose callers get the rejection). A throwing handler
   * is logged with the failure: it must not break the save queue or close(). */
  report(error) {
    if (this.onSaveError) {
      try {
        this.onSaveError(error);
        return;
      } catch (e) {
        console.error('lua-persistent: onSaveError threw:', e);
      }
    } else if (this.autosave === false) {
      return;
    }
    console.error('lua-persistent: save failed:', error);
  }

  /**
   * Called by lua.close() while the VM is still open: starts the last save when autosave
   * is on and changes are not saved yet (a pending debounce, a failed save, or writes
   * since the last one). Never throws; its failure is reported like any autosave's.
   */
  saveAtClose() {
    // Calls after close fail with kind 'closed'; they must not start saves of a VM that
    // is gone (a failed save would be retried and reported after each of them).
    this.closing = true;
    const timed = this.timer !== null;
    if (timed) clearTimeout(this.timer);
    this.timer = null;
    if (!this.adapter || this.autosave === false) return;
    if (this.lua._takeDirty() || timed || this.dirty) this.save().catch(() => {});
  }

  /**
   * Waits for every save, then releases the adapter (a directory store's lock) whether
   * they succeeded or not. Resolves even when the last save failed: that failure went
   * to onSaveError (or console.error), and close() is often not awaited (a rejection
   * would end the process as unhandled). Rejects only if the adapter's close() fails.
   */
  async close() {
    await this.queue;
    if (this.adapter && this.adapter.close) await callAdapter(this.adapter, 'close');
  }
}

module.exports = { Persistence, autosaveMode, isNewerFormat };
