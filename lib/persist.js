'use strict';
// Storage for the external tables of one VM: loading with recovery, autosave, and for
// incremental stores the change log and its compaction. Shared by every backend and
// environment; adapters only move bytes (docs/storage.md has the rules, docs/api.md the
// adapter interface).
//
// Adapter interface (all methods may be async):
//   load()            -> Uint8Array | undefined   the current snapshot, if any   (required)
//                        or { snapshot, log } for incremental stores (log: the records
//                        appended after that snapshot, concatenated)
//   save(bytes)       -> void   replace the snapshot, atomically if at all possible (required)
//   open()            -> void   called once before load (take a lock, create a directory)
//   close()           -> void   called by lua.close() after the last save (release the lock)
//   quarantine(error) -> string | undefined   move an unreadable snapshot (and its log)
//                                            aside, never overwrite it; where it was kept
//   loadPrevious()    -> Uint8Array | undefined   the snapshot before the current one
// Incremental stores add (both or neither):
//   append(record)    -> void   add one change record at the end of the log; returning
//                               synchronously means it is written (to the OS at least)
//   compact(snapshot) -> void   replace the snapshot, keeping only the records appended
//                               after compact() was called (crash-safe at every step)
//   quarantineLog(error) -> string | undefined   move a damaged log aside

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
    throw wrapAdapterError(method, e);
  }
}

/** An adapter's failure as an Error (see callAdapter). */
function wrapAdapterError(method, e) {
  // Errors of any realm, and the DOMExceptions browser storage throws.
  const tag = Object.prototype.toString.call(e);
  if (tag === '[object Error]' || tag === '[object DOMException]') return e;
  return new Error(`lua-persistent: the storage adapter's ${method}() threw a non-Error value: ${describe(e)}`, { cause: e });
}

/** A snapshot written by a newer lua-persistent: the core marks it with a code
 * (crates/core ErrorCode::NewerFormat), so stores refuse to open instead of setting the
 * data aside as damaged, whatever the message says. */
const isNewerFormat = (e) => e !== null && typeof e === 'object' && e.code === 'newer-format';

/** Compaction: when the log has grown past the last snapshot's size (and past this many
 * bytes, so small stores are not rewritten every few calls), the next save writes a
 * snapshot instead of appending (docs/storage.md "The change log"). */
const COMPACT_MIN_BYTES = 256 * 1024;

const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';

class Persistence {
  constructor(lua, adapter, autosave, onSaveError) {
    this.lua = lua;
    this.adapter = adapter === 'memory' ? null : adapter;
    /** Whether the store keeps a change log (append + compact). */
    this.incremental = !!this.adapter && typeof this.adapter.append === 'function' && typeof this.adapter.compact === 'function';
    this.autosave = autosave;
    this.onSaveError = onSaveError;
    this.lastSaved = null;
    this.queue = Promise.resolve();
    /** Appends not yet settled (async adapters), in order. */
    this.appends = Promise.resolve();
    this.timer = null;
    this.lastError = null;
    /** Lua changed ext data (or a save failed) since the last snapshot was taken. */
    this.dirty = false;
    /** Incremental: the log cannot take records (an append failed, a restore replaced
     * every table, too many changes): the next save must be a whole snapshot. */
    this.needSnapshot = false;
    /** Incremental: the compaction running (a promise), and the next one requested
     * ({ promise, resolve, reject, bytes, attempt }; see `compact`). */
    this.compacting = null;
    this.pending = null;
    /** Incremental: bytes in the log, and in the snapshot it follows. */
    this.logBytes = 0;
    this.snapshotBytes = 0;
    /** Counts save() calls, so a failure only marks the data dirty if no later
     * snapshot has been taken. */
    this.attempts = 0;
    /** Set by saveAtClose: no autosave after that. */
    this.closing = false;
    /** Set when the stored data could not all be read: { error, keptAs, usedPrevious }. */
    this.recovery = null;
  }

  /** Loads the stored data into the VM; an unreadable part is kept aside, never lost. */
  async open() {
    const a = this.adapter;
    if (!a) return;
    if (a.open) await callAdapter(a, 'open');
    try {
      const loaded = await callAdapter(a, 'load');
      const { snapshot, log } = loaded instanceof Uint8Array || loaded === undefined || loaded === null ? { snapshot: loaded || undefined, log: undefined } : loaded;
      if (!this.incremental) {
        if (!snapshot) return;
        try {
          this.lua.restore(snapshot);
          this.lastSaved = snapshot;
        } catch (e) {
          if (isNewerFormat(e)) throw e;
          await this.recover(e);
        }
        return;
      }
      await this.openLog(snapshot, log);
    } catch (e) {
      if (a.close) await callAdapter(a, 'close');
      throw e;
    }
  }

  /** Incremental stores: snapshot + every complete record. A damaged snapshot or log
   * is kept aside; then, and after a torn last record, a compaction writes what was
   * read, so later records never follow unreadable bytes. */
  async openLog(snapshot, log) {
    let report;
    try {
      report = this.lua._openLog(snapshot, log);
    } catch (e) {
      if (isNewerFormat(e)) throw e;
      await this.recover(e);
      // Nothing readable was left: start empty (this also starts noting changes).
      if (!this.recovery.usedPrevious) this.lua._openLog(undefined, undefined);
      this.needSnapshot = true;
      return this.compactNow();
    }
    this.snapshotBytes = snapshot ? snapshot.length : 0;
    this.logBytes = log ? log.length : 0;
    if (report.damaged) {
      const error = new Error(`lua-persistent: the change log is damaged: ${report.damaged}`);
      if (!this.adapter.quarantineLog) {
        throw Object.assign(new Error(`${error.message}; this storage adapter cannot keep it aside, so nothing was loaded and nothing will be written`), { cause: error });
      }
      const keptAs = await callAdapter(this.adapter, 'quarantineLog', error);
      this.recovery = { error, keptAs, usedPrevious: false, records: report.records };
      console.warn(`${error.message}; kept as ${keptAs}; the ${report.records} records before it were loaded`);
    } else if (report.torn) {
      // A crash cut the last append: that call's changes were never acknowledged durably.
      const error = new Error('lua-persistent: the change log ends with an incomplete record (a crash during a save); it was ignored');
      this.recovery = { error, keptAs: undefined, usedPrevious: false, records: report.records };
    }
    if (report.damaged || report.torn) {
      this.needSnapshot = true;
      await this.compactNow();
    }
  }

  /** A compaction at open: failures go to the caller (createLua rejects). */
  async compactNow() {
    const p = this.save();
    await p;
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
        if (this.incremental) this.lua._openLog(previous, undefined);
        else this.lua.restore(previous);
        this.recovery.usedPrevious = true;
      } catch (e2) {
        this.recovery.previousError = e2;
      }
    }
    const what = this.recovery.usedPrevious ? 'the previous good copy was loaded' : 'no good copy was left: starting empty';
    console.warn(`lua-persistent: stored snapshot unreadable (${error.message}); kept as ${keptAs}; ${what}`);
  }

  /**
   * After every call into Lua: an incremental store appends the call's change record
   * now (or, debounced, when the window ends); others schedule a whole snapshot if Lua
   * changed ext data, or if the last save failed (`dirty` stays set until a snapshot is
   * taken and written). Never throws: a failed save must not take the call's result
   * (see `report`).
   */
  afterCall() {
    if (this.autosave === false || !this.adapter || this.closing) return;
    if (this.lua._takeDirty()) this.dirty = true;
    if (!this.dirty) return;
    if (this.autosave === true) {
      this.flush();
    } else if (!this.timer) {
      // The timer saves when it fires: the state after the last call in the window.
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.autosave);
    }
  }

  /** Saves what changed: one record appended (and a compaction started when the log
   * has outgrown the snapshot), or a whole snapshot when the store has no log or the
   * log cannot take records. */
  flush() {
    if (this.incremental && !this.needSnapshot && !this.lua._lost()) {
      let record;
      try {
        record = this.lua._takeRecord();
      } catch (e) {
        // A value JS put into a changed entry cannot be stored: the snapshot reports it.
        record = true;
      }
      this.dirty = false;
      if (record === undefined) return;
      if (record !== true) {
        // Appended even while a compaction runs: the call is durable when it returns.
        this.append(record);
        if (!this.needSnapshot && this.logFull(0) && !this.compacting && !this.pending) this.save().catch(() => {});
        return;
      }
    }
    this.save().catch(() => {});
  }

  logFull(adding) {
    return this.logBytes + adding > Math.max(COMPACT_MIN_BYTES, this.snapshotBytes);
  }

  /** Appends one record. A failure leaves a gap in the log, so no record may follow
   * it: the next save is a whole snapshot, which carries this record's changes too. */
  append(record) {
    const failed = (e) => {
      this.needSnapshot = true;
      this.dirty = true;
      this.lastError = e;
      this.report(e);
    };
    let result;
    try {
      result = this.adapter.append(record);
    } catch (e) {
      failed(wrapAdapterError('append', e));
      return;
    }
    this.logBytes += record.length;
    if (isThenable(result)) {
      const p = Promise.resolve(result).then(() => {}, (e) => failed(wrapAdapterError('append', e)));
      this.appends = this.appends.then(() => p);
    }
  }

  /**
   * Snapshots now and writes after any save in progress: for an incremental store a
   * compaction (the snapshot replaces the log), else the snapshot replaces the old one;
   * identical bytes are not written again. Returns a promise that rejects when the
   * snapshot or the write fails, and never throws: autosave runs it inside other calls.
   * A failure is reported (see `report`) and leaves the data dirty, so the next call or
   * save tries again.
   */
  save() {
    const attempt = ++this.attempts;
    if (this.incremental) return this.compact(attempt);
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

  /**
   * A compaction: the snapshot must hold every record appended before `compact()` is
   * called (the adapter drops those), so the snapshot is taken in the same tick as the
   * call — now when no compaction is running, else when the running one ends. Requests
   * made meanwhile share that next compaction.
   */
  compact(attempt) {
    if (!this.pending) {
      let resolve;
      let reject;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pending = { promise, resolve, reject, bytes: null, attempt };
    }
    this.pending.attempt = attempt;
    const { promise } = this.pending;
    if (!this.compacting) this.startCompaction();
    return promise;
  }

  /** Takes the record notes (the snapshot holds them) and the snapshot; records
   * appended from now on follow it. */
  takeSnapshot() {
    if (!this.lua._lost()) this.lua._takeRecord();
    const bytes = this.lua.snapshot();
    this.dirty = false;
    return bytes;
  }

  startCompaction() {
    const job = this.pending;
    this.pending = null;
    let bytes;
    try {
      bytes = job.bytes || this.takeSnapshot();
    } catch (e) {
      this.failed(e, job.attempt).catch(() => {});
      job.reject(e);
      return;
    }
    const logged = this.logBytes;
    this.logBytes = 0;
    this.snapshotBytes = bytes.length;
    if (logged === 0 && !this.needSnapshot && sameBytes(bytes, this.lastSaved)) {
      job.resolve();
      return;
    }
    this.needSnapshot = false;
    // callAdapter calls compact() synchronously, in this tick: no append comes between.
    this.compacting = callAdapter(this.adapter, 'compact', bytes).then(
      () => {
        this.lastSaved = bytes;
        this.lastError = null;
        job.resolve();
      },
      (e) => {
        this.needSnapshot = true;
        this.failed(e, job.attempt).catch(() => {});
        job.reject(e);
      },
    ).then(() => {
      this.compacting = null;
      if (this.pending) this.startCompaction();
    });
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
   * Called by lua.close() while the VM is still open: saves what autosave still owes (a
   * debounce pending, a failed save, writes not saved yet). Never throws; its failure
   * is reported like any autosave's.
   */
  saveAtClose() {
    // Calls after close fail with kind 'closed'; they must not start saves of a VM that
    // is gone (a failed save would be retried and reported after each of them).
    const timed = this.timer !== null;
    if (timed) clearTimeout(this.timer);
    this.timer = null;
    const owed = this.adapter && this.autosave !== false && (this.lua._takeDirty() || timed || this.dirty);
    if (this.incremental && this.autosave !== false && (owed || this.logBytes > 0)) {
      // The log is folded into a snapshot at close, as SQLite checkpoints its WAL: the
      // next open reads one file, and what JS changed in lua.ext is saved too.
      this.save().catch(() => {});
    } else if (owed) {
      this.dirty = true;
      this.flush();
    }
    this.closing = true;
    // A compaction waiting for the running one takes its snapshot now, while the VM is
    // open: no call, so no append, can come after it.
    if (this.pending && !this.pending.bytes) {
      try {
        this.pending.bytes = this.takeSnapshot();
      } catch (e) {
        const job = this.pending;
        this.pending = null;
        this.failed(e, job.attempt).catch(() => {});
        job.reject(e);
      }
    }
  }

  /**
   * Waits for every save and append, then releases the adapter (a directory store's
   * lock) whether they succeeded or not. Resolves even when the last save failed: that
   * failure went to onSaveError (or console.error), and close() is often not awaited
   * (a rejection would end the process as unhandled). Rejects only if the adapter's
   * close() fails.
   */
  async close() {
    await this.appends;
    await this.queue;
    while (this.compacting || this.pending) {
      await this.compacting;
      if (this.pending && !this.compacting) this.startCompaction();
    }
    await this.appends;
    if (this.adapter && this.adapter.close) await callAdapter(this.adapter, 'close');
  }
}

module.exports = { Persistence, autosaveMode, isNewerFormat };
