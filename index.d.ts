// Type definitions for lua-persistent.
import type { RedisStorage } from './redis';

/** A value crossing between Lua and JS (see docs/api.md "Values"). */
export type LuaValue =
  | undefined
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | LuaValue[]
  | { [key: string]: LuaValue }
  | Map<LuaValue, LuaValue>
  /** JS -> Lua only: a Set becomes { [member] = true }, typed arrays sequences,
   * an ArrayBuffer a byte string, an Error its name, message and own fields. */
  | Set<LuaValue>
  | ArrayBuffer
  | ArrayBufferView
  | Error
  | Ref<object>
  | ((...args: any[]) => any);

/** A value stored in an external table: scalars and nested Maps. */
export type ExtValue = boolean | number | bigint | string | Uint8Array | ExtMap;
export type ExtKey = string | number | bigint | boolean;
export type ExtMap = Map<ExtKey, ExtValue>;

/** Where `lua.save()` writes and `createLua` loads the external tables from. */
export interface StorageAdapter {
  /** The last saved snapshot, or undefined when nothing was saved yet. */
  load(): Promise<Uint8Array | StoredData | undefined> | Uint8Array | StoredData | undefined;
  /** Persist a snapshot (replace the previous one atomically if you can). */
  save(bytes: Uint8Array): Promise<void> | void;
  /** Called once before load (take a lock, open a connection). */
  open?(): Promise<void> | void;
  /** Called by lua.close() after the last save (release what open took). */
  close?(): Promise<void> | void;
  /** Move an unreadable snapshot aside (never overwrite it); return where it is kept. */
  quarantine?(error: Error): Promise<string | undefined> | string | undefined;
  /** The snapshot saved before the current one, if kept. */
  loadPrevious?(): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /**
   * Incremental stores (both or neither; docs/storage.md "Custom adapters"): add one
   * change record at the end of the log. Returning synchronously means written.
   * `load()` then returns `{ snapshot, log }`.
   */
  append?(record: Uint8Array): Promise<void> | void;
  /** Replace the snapshot; keep only the records appended after this call began. */
  compact?(snapshot: Uint8Array): Promise<void> | void;
  /** Move a damaged change log aside (never overwrite it); return where it is kept. */
  quarantineLog?(error: Error): Promise<string | undefined> | string | undefined;
}

/** What an incremental store's `load()` returns. */
export interface StoredData {
  snapshot: Uint8Array | undefined;
  /** The change records appended after that snapshot, concatenated. */
  log: Uint8Array | undefined;
}

/** What happened when the stored snapshot could not be read. */
export interface StorageRecovery {
  error: Error;
  /** Where the unreadable snapshot (or damaged change log) was kept. */
  keptAs?: string;
  /** Whether the previous good copy was loaded (else the VM started empty). */
  usedPrevious: boolean;
  /** A damaged or cut change log: how many of its records were applied. */
  records?: number;
}

export interface LuaOptions {
  /** 'auto' (default): native in Node, wasm where the addon cannot load. */
  backend?: 'auto' | 'native' | 'wasm';
  /**
   * 'memory' (default), a directory path (Node), 'indexeddb' | 'indexeddb:<db>' |
   * 'localstorage' | 'localstorage:<key>' (browsers), or an adapter.
   */
  storage?: 'memory' | string | StorageAdapter | RedisStorage;
  /**
   * true (default with storage): save after each call that changed ext data (an
   * incremental store appends that call's change record before the call returns); ms:
   * debounce (one record per window); false: only save().
   */
  autosave?: boolean | number;
  /**
   * Built-in stores: 'os' (default) writes each record to the OS before the call
   * returns (survives a process crash); 'fsync' also flushes it to the disk (survives
   * power loss, slower). See docs/storage.md "Durability".
   */
  durability?: 'os' | 'fsync';
  /** Receives every failed save (default: console.error for autosaves); the data stays dirty and is retried. */
  onSaveError?: (error: Error) => void;
  /** Lua heap limit in bytes (default 256 MiB; 0 or Infinity: none). */
  memoryLimit?: number;
  /** Milliseconds per call (default 10000; 0 or Infinity: none). */
  timeout?: number;
  /**
   * VM instructions per call (default: none). Counting instructions needs Lua's count
   * hook, which slows loop-heavy code (up to ~2x); timeouts do not.
   */
  instructionLimit?: number;
  /**
   * Bytes the external tables may hold, about their snapshot size (default 256 MiB;
   * 0 or Infinity: none). A Lua write past it fails with a LuaError of kind 'memory'
   * (catchable by pcall, nothing written); a snapshot or save of more than this (data
   * JS put into `lua.ext`) fails with kind 'ext'.
   */
  storageLimit?: number;
  /**
   * Lets another thread stop a running call: an Int32Array over a SharedArrayBuffer;
   * `Atomics.store(buffer, 0, 1)` ends the current call (or, if none runs, the next
   * one) with a LuaError of kind 'interrupted'. The VM resets the element to 0 when it
   * takes the request; the VM and its data stay usable. Checked every 1000 loop
   * iterations or function calls and inside long C library calls (pattern matching).
   */
  interruptBuffer?: Int32Array;
  /** 'safe' (default) or 'all' (trusted code only). */
  stdlib?: 'safe' | 'all';
  /** Receives each printed line (default: console.log). */
  print?: (text: string) => void;
  /**
   * Modules scripts can `require` (also in the safe stdlib, which then has a `require`
   * that finds exactly these): a string is Lua source (compiled at createLua, run by
   * the first require), anything else a JS value converted once.
   */
  modules?: Record<string, string | LuaValue>;
}

export interface CallOptions {
  /** Name used in error messages (default "eval"). */
  chunkName?: string;
  /** Overrides the VM's timeout for this call (ms; 0 or Infinity: none). */
  timeout?: number;
}

export interface RunStats {
  durationMs: number;
  /** Instructions run, counted per 1000; only when an instructionLimit is set. */
  instructions?: number;
  memoryUsed: number;
  memoryPeak: number;
}

export interface RunResult {
  ok: boolean;
  values: LuaValue[];
  /** Everything `print` wrote during the call. */
  output: string;
  error?: LuaError;
  stats: RunStats;
}

export interface MemoryInfo {
  used: number;
  peak: number;
  limit: number;
}

export type LuaErrorKind = 'syntax' | 'runtime' | 'memory' | 'timeout' | 'instructions' | 'ext' | 'closed' | 'interrupted' | 'crashed' | 'storage';

export class LuaError extends Error {
  readonly kind: LuaErrorKind;
  /** The message as Lua reports it, position included ("main.lua:3: boom"). */
  readonly luaMessage: string;
  readonly chunkName?: string;
  readonly line?: number;
  readonly traceback?: string;
  /** The JS exception behind the error, when a JS function threw. */
  readonly cause?: unknown;
  /**
   * Set when the script called `os.exit(code)` (stdlib 'all'): the call ended with this
   * error instead of the process exiting; the host decides (the CLI exits with it).
   */
  readonly exitCode?: number;
  /**
   * A machine-readable marker for failures callers tell apart by type rather than by
   * message: 'newer-format' when restore() (or opening a store) met a snapshot written
   * by a newer lua-persistent (kind 'ext'); for kind 'storage' (Redis, docs/redis.md)
   * 'unavailable', 'conflict' or 'bad-data'.
   */
  readonly code?: 'newer-format' | 'conflict' | 'unavailable' | 'bad-data';
}

export class Lua {
  readonly backend: 'native' | 'wasm';
  /** The live external tables, by name. Assigning it throws a TypeError: change it in place. */
  readonly ext: Map<string, ExtMap>;
  eval(code: string, options?: CallOptions): LuaValue;
  evalAll(code: string, options?: CallOptions): LuaValue[];
  run(code: string, options?: CallOptions): RunResult;
  /**
   * As eval, but a JS function the code calls may return a Promise: the Lua code waits
   * for it and goes on with its value (a rejection is a Lua error at that line). One
   * async call per VM at a time (others queue; sync calls meanwhile fail, busy).
   */
  evalAsync(code: string, options?: CallOptions): Promise<LuaValue>;
  /** As run, waiting for Promises as evalAsync does. */
  runAsync(code: string, options?: CallOptions): Promise<RunResult>;
  /** As call, waiting for Promises as evalAsync does. */
  callAsync(name: string, ...args: LuaValue[]): Promise<LuaValue>;
  setGlobal(name: string, value: LuaValue): void;
  getGlobal(name: string): LuaValue;
  call(name: string, ...args: LuaValue[]): LuaValue;
  /** Calls the global Lua function `name`, or a Lua function this VM handed to JS; all its results. */
  callAll(target: string | ((...args: any[]) => any), ...args: LuaValue[]): LuaValue[];
  /** Writes the ext tables now (queued after any save in progress; unchanged data is not rewritten). */
  save(): Promise<void>;
  /** Set when the stored snapshot was unreadable at load. */
  readonly recovery: StorageRecovery | null;
  /** Why backend 'auto' did not give the native addon (undefined when it did). */
  readonly fallbackReason: string | undefined;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
  memory(): MemoryInfo;
  gc(): void;
  reset(): void;
  /** Frees the VM; resolves once pending autosaves are done and storage is released, also when the last save failed (reported to onSaveError). */
  close(): Promise<void>;
}

export function createLua(options?: LuaOptions): Promise<Lua>;

/** What `ref(...)` returns: a JS value Lua sees live. */
export interface Ref<T> {
  readonly __ref?: T;
}

/**
 * Passes a JS object, function or class to Lua as a live reference: reads and writes
 * reach it, `obj:method()` calls with `this`, `Class.new(...)` constructs, `pairs` and
 * `==` work. Plain values are copied. A reference cannot be stored in an ext table.
 */
export function ref<T extends object>(value: T): Ref<T>;

/** What `multi(...)` returns: several values for Lua. */
export interface Multi {
  readonly values: readonly LuaValue[];
}

/** Returned by a JS function called from Lua, gives Lua several values (`local a, b = f()`). */
export function multi(...values: LuaValue[]): Multi;

/** Browser adapters (also reachable as storage strings). In Node they throw a TypeError.
 * IndexedDB keeps a snapshot plus a change log; `durability` 'fsync' commits with
 * IndexedDB's 'strict' durability, 'os' (default) with 'relaxed'. localStorage keeps
 * whole snapshots only. */
export function indexedDBStorage(dbName?: string, key?: string, options?: { durability?: 'os' | 'fsync' }): StorageAdapter;
export function localStorageStorage(key?: string): StorageAdapter;
