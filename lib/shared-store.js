'use strict';
// Ext tables on a store many VMs share (Redis, lib/redis.js): each async call starts
// from the latest committed state and commits atomically when it returns, or runs
// again when another VM changed what it read (docs/redis.md has the rules). The core
// notes reads and writes and applies others' commits (crates/core/src/sharing.rs); the
// adapter moves bytes to and from the store:
//
//   open()                      connect, check the store's format
//   load()          -> { seq, items }            every table: (table, field, value)
//                                                Buffers in threes, field '' = exists
//   changes(seq)    -> { seq, records } | { seq, reload: true }   commits after seq
//   commit(base, items) -> { seq } | { conflict: true }   items: the core's commit set
//   close()

const { LuaError } = require('./errors');

/** The core's shared-store operations (crates/core/src/sharing.rs `SharedOp`). */
const OP = { share: 0, open: 1, close: 2, abort: 3, take: 4, load: 5, apply: 6 };

/** A conflicting call runs again this many times by default before it fails. */
const DEFAULT_RETRIES = 10;

/** A list of byte strings as one buffer (the core's `frame_list`). */
function frameList(items) {
  let size = 4;
  for (const item of items) size += 4 + item.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, items.length, true);
  let at = 4;
  for (const item of items) {
    view.setUint32(at, item.length, true);
    out.set(item, at + 4);
    at += 4 + item.length;
  }
  return out;
}

/** The core's `frame_list` bytes as Buffers (views, no copies). */
function unframeList(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = buf.readUInt32LE(0);
  const items = new Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const len = buf.readUInt32LE(at);
    items[i] = buf.subarray(at + 4, at + 4 + len);
    at += 4 + len;
  }
  return items;
}

function storageError(message, code, cause) {
  const e = new LuaError({ kind: 'storage', message: `lua-persistent: ${message}`, cause });
  e.code = code;
  return e;
}

/** A failure of the adapter as a LuaError of kind 'storage' (its own if it made one). */
function adapterError(doing, e) {
  if (e instanceof LuaError) return e;
  const code = e && e.code === 'bad-data' ? 'bad-data' : 'unavailable';
  return storageError(`the shared store could not ${doing}: ${(e && e.message) || e}`, code, e);
}

class SharedStore {
  constructor(lua, adapter) {
    this.lua = lua;
    this.adapter = adapter;
    this.shared = true;
    this.recovery = null;
    /** The commit the local tables reflect. */
    this.seq = 0;
    const r = adapter.retries === undefined ? DEFAULT_RETRIES : adapter.retries;
    if (!Number.isInteger(r) || r < 0) throw new TypeError('redisStorage: retries must be a non-negative integer');
    this.retries = r;
    /** Counters for `lua.sharedStats` (bench/redis.js reads them). */
    this.stats = { commits: 0, conflicts: 0, readOnly: 0 };
  }

  op(op, bytes) {
    return this.lua._guard(() => this.lua._vm.sharedOp(this.lua._hooks, op, bytes));
  }

  async io(doing, fn) {
    try {
      return await fn();
    } catch (e) {
      throw adapterError(doing, e);
    }
  }

  async open() {
    const a = this.adapter;
    await this.io('open', () => a.open());
    try {
      this.op(OP.share);
      await this.reload();
    } catch (e) {
      await Promise.resolve(a.close()).catch(() => {});
      throw e;
    }
  }

  async reload() {
    const state = await this.io('load the tables', () => this.adapter.load());
    this.op(OP.load, frameList(state.items));
    this.seq = state.seq;
  }

  /** Before a call: what others committed since our view, then the gate opens. */
  async begin() {
    const r = await this.io('read the latest commits', () => this.adapter.changes(this.seq));
    if (r.reload) {
      await this.reload();
    } else if (r.records.length > 0) {
      this.op(OP.apply, Buffer.concat(r.records));
      this.seq = r.seq;
    }
    this.lua._hooks.hold();
    this.op(OP.open);
  }

  /** The call failed: the core undid it; nothing to commit. */
  abort() {
    this.lua._hooks.release(false);
    // A VM closed or lost meanwhile has nothing left to reset (and must not mask the
    // call's own error).
    if (!this.lua._lost()) {
      try {
        this.op(OP.abort);
      } catch {
        // the call's error says what went wrong
      }
    }
  }

  /**
   * The call returned: commits its changes. 'done', or 'conflict' when another VM
   * changed what it read (its changes are then undone here, to be run again). A failed
   * commit undoes them too and throws kind 'storage'; whether a commit whose reply was
   * lost landed shows in the next call's view.
   */
  async commit() {
    const hooks = this.lua._hooks;
    let set;
    try {
      this.op(OP.close);
      set = this.op(OP.take);
    } catch (e) {
      hooks.release(true);
      throw e;
    }
    if (set === undefined) {
      hooks.release(false);
      this.stats.readOnly++;
      return 'done';
    }
    let r;
    try {
      r = await this.adapter.commit(this.seq, unframeList(set));
    } catch (e) {
      hooks.release(true);
      throw adapterError('commit the call (its changes were undone here; if the store received the commit before the failure, the next call sees it)', e);
    }
    hooks.release(!!r.conflict);
    if (r.conflict) {
      this.stats.conflicts++;
      return 'conflict';
    }
    this.stats.commits++;
    // Only ours came after our view: the tables are that commit's state.
    if (r.seq === this.seq + 1) this.seq = r.seq;
    return 'done';
  }

  conflictError(runs) {
    return storageError(`the call conflicted with other processes' commits ${runs} time${runs === 1 ? '' : 's'} (it read entries they changed) and was given up; nothing of it was committed`, 'conflict');
  }

  /** A short random pause before a run again, growing with the attempts, so that
   * VMs contending for one entry do not retry in lockstep. */
  backoff(attempt) {
    const ms = Math.random() * Math.min(50, 2 ** attempt);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  afterCall() {}

  saveAtClose() {}

  /** Commits happen per call: nothing is owed. */
  save() {
    return Promise.resolve();
  }

  async close() {
    // createLua drops the adapter when opening failed (open() closed it already).
    if (this.adapter) await this.io('close', () => this.adapter.close());
  }
}

module.exports = { SharedStore };
