// Types for `lua-persistent/redis` (lib/redis.js): ext tables on Redis, shared by every
// VM that opens the same prefix. Node only; needs the `ioredis` package. The rules are
// in docs/redis.md.

export interface RedisStorageOptions {
  /** Where Redis is (default 'redis://127.0.0.1:6379'); a client is made and closed by lua.close(). */
  url?: string;
  /** An ioredis client to use instead of `url` (it stays yours: close() does not quit it). */
  client?: unknown;
  /** Every key lua-persistent writes starts with `<prefix>:` (default 'luap'). */
  prefix?: string;
  /**
   * A call that read entries another process changed before it committed is undone and
   * runs again, up to this many times (default 10); after that it fails with a
   * LuaError of kind 'storage' and code 'conflict'. 0: fail at the first conflict.
   */
  retries?: number;
  /** Commits kept in Redis for VMs catching up (default 10000); a VM further behind loads the whole store. */
  logLength?: number;
  /** Milliseconds per Redis command for a client made from `url` (default 10000). */
  timeout?: number;
}

/** The storage a VM's ext tables then live in (pass it as createLua's `storage`). */
export interface RedisStorage {
  readonly shared: true;
  readonly prefix: string;
}

/**
 * Ext tables on Redis: `createLua({ storage: redisStorage({ url, prefix }) })`. Ext
 * tables are then used in evalAsync/runAsync/callAsync: each call sees every commit that
 * completed before it started, and commits atomically when it returns.
 */
export declare function redisStorage(options?: RedisStorageOptions): RedisStorage;
