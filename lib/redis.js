'use strict';
// `redisStorage(...)`: ext tables on Redis, shared by every VM that opens the same
// prefix (lib/shared-store.js runs the calls; docs/redis.md has the layout and rules).
// The scripts below run inside Redis, so each step is atomic: a commit checks the
// versions of what the call read and writes everything, or writes nothing.
//
// Layout under the prefix P (every key a plain Redis type, readable by other tools):
//   P:format          "1"
//   P:seq             the number of the last commit
//   P:tables          hash: table name -> "1" for each table that exists
//   P:t:<table>       hash: field (a key: "s:name", "i:42", "f:1.5", "b:true") -> the
//                     value, postcard bytes of the core's `Stored` (docs/redis.md)
//   P:v:<table>       hash: field -> the commit that last set or deleted it
//   P:tv              hash: table -> the commit that last changed anything in it
//   P:tc              hash: table -> the commit that last made or dropped it
//   P:lv              the commit that last made or dropped any table
//   P:log             stream: one entry per commit, id "<seq>-0", field "r" = the
//                     change record (the same bytes a directory store's log holds)

const crypto = require('crypto');

const FORMAT = '1';

/** The type each of our keys must have (or none yet): checked before a commit writes,
 * so a commit over foreign data fails whole instead of stopping half-way (a Redis
 * script's writes before an error are not rolled back). */
const CHECK_TYPES = `
local function is(key, t)
  local got = redis.call('TYPE', key).ok
  if got ~= 'none' and got ~= t then
    return redis.error_reply('LUAP bad-data: ' .. key .. ' is a ' .. got .. ', not a ' .. t)
  end
end
local function seq_of(P)
  local s = redis.call('GET', P .. ':seq')
  if s == false then return 0 end
  local n = tonumber(s)
  if n == nil or n < 0 or n % 1 ~= 0 then
    return nil, redis.error_reply('LUAP bad-data: ' .. P .. ':seq is not a commit number')
  end
  return n
end
`;

const SCRIPTS = {
  /** ARGV: prefix. The format, set on first use. */
  init: `
local P = ARGV[1]
local f = redis.call('GET', P .. ':format')
if f == false then
  redis.call('SET', P .. ':format', '${FORMAT}')
  return '${FORMAT}'
end
return f`,

  /** ARGV: prefix. { seq, table, {field, value, ...}, ... } at one commit. */
  load: `${CHECK_TYPES}
local P = ARGV[1]
local seq, err = seq_of(P)
if err then return err end
local bad = is(P .. ':tables', 'hash')
if bad then return bad end
local out = { tostring(seq) }
for _, name in ipairs(redis.call('HKEYS', P .. ':tables')) do
  bad = is(P .. ':t:' .. name, 'hash')
  if bad then return bad end
  out[#out + 1] = name
  out[#out + 1] = redis.call('HGETALL', P .. ':t:' .. name)
end
return out`,

  /** ARGV: prefix, from, max. { seq } when nothing is new, { seq, 'reload' } when the
   * log no longer holds every commit after from, else { seq, 'records', r... }. */
  changes: `${CHECK_TYPES}
local P, from, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local seq, err = seq_of(P)
if err then return err end
if seq == from then return { tostring(seq) } end
if seq < from or seq - from > max then return { tostring(seq), 'reload' } end
local bad = is(P .. ':log', 'stream')
if bad then return bad end
local entries = redis.call('XRANGE', P .. ':log', (from + 1) .. '-0', seq .. '-0')
if #entries ~= seq - from then return { tostring(seq), 'reload' } end
local out = { tostring(seq), 'records' }
for _, e in ipairs(entries) do
  if e[2][1] ~= 'r' then return redis.error_reply('LUAP bad-data: log entry ' .. e[1] .. ' has no record') end
  out[#out + 1] = e[2][2]
end
return out`,

  /** ARGV: prefix, base, log length, record, reads count, reads (kind, table, field),
   * writes (kind, table, field, value). { 1, seq } committed, { 0, seq } a conflict. */
  commit: `${CHECK_TYPES}
local P = ARGV[1]
local base = tonumber(ARGV[2])
local seq, err = seq_of(P)
if err then return err end
if seq < base then
  return redis.error_reply('LUAP bad-data: the store is older than this VM\\'s view (was it flushed or restored from a backup?)')
end
local function num(v) return tonumber(v) or 0 end
local nreads = tonumber(ARGV[5])
local first_write = 6 + 3 * nreads
if seq ~= base then
  for i = 6, first_write - 1, 3 do
    local kind, t, f = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    local v
    if kind == 'entry' then
      v = math.max(num(redis.call('HGET', P .. ':v:' .. t, f)), num(redis.call('HGET', P .. ':tc', t)))
    elseif kind == 'table' then
      v = num(redis.call('HGET', P .. ':tv', t))
    elseif kind == 'exists' then
      v = num(redis.call('HGET', P .. ':tc', t))
    else
      v = num(redis.call('GET', P .. ':lv'))
    end
    if v > base then return { 0, seq } end
  end
end
for _, k in ipairs({ ':tables', ':tv', ':tc' }) do
  local bad = is(P .. k, 'hash')
  if bad then return bad end
end
local bad = is(P .. ':log', 'stream') or is(P .. ':lv', 'string')
if bad then return bad end
for i = first_write, #ARGV, 4 do
  bad = is(P .. ':t:' .. ARGV[i + 1], 'hash') or is(P .. ':v:' .. ARGV[i + 1], 'hash')
  if bad then return bad end
end
local new = seq + 1
-- First, so that a log that refuses the id fails the commit before anything is written.
redis.call('XADD', P .. ':log', 'MAXLEN', '~', ARGV[3], new .. '-0', 'r', ARGV[4])
local function exists(t)
  if redis.call('HSETNX', P .. ':tables', t, '1') == 1 then
    redis.call('HSET', P .. ':tc', t, new)
    redis.call('SET', P .. ':lv', new)
  end
end
for i = first_write, #ARGV, 4 do
  local kind, t, f, v = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if kind == 'set' then
    exists(t)
    redis.call('HSET', P .. ':t:' .. t, f, v)
    redis.call('HSET', P .. ':v:' .. t, f, new)
  elseif kind == 'del' then
    redis.call('HDEL', P .. ':t:' .. t, f)
    redis.call('HSET', P .. ':v:' .. t, f, new)
  elseif kind == 'create' then
    exists(t)
  elseif kind == 'drop' then
    redis.call('HDEL', P .. ':tables', t)
    redis.call('DEL', P .. ':t:' .. t, P .. ':v:' .. t)
    redis.call('HSET', P .. ':tc', t, new)
    redis.call('SET', P .. ':lv', new)
  end
  redis.call('HSET', P .. ':tv', t, new)
end
redis.call('SET', P .. ':seq', new)
return { 1, new }`,
};

const SHA = Object.fromEntries(Object.entries(SCRIPTS).map(([k, v]) => [k, crypto.createHash('sha1').update(v).digest('hex')]));

function loadClient() {
  try {
    return require('ioredis');
  } catch (e) {
    throw Object.assign(new Error("lua-persistent/redis needs the 'ioredis' package: npm install ioredis"), { cause: e });
  }
}

/** A script's error as the adapter's: our own checks say 'bad-data'. */
function scriptError(e) {
  const m = String((e && e.message) || e);
  if (m.includes('LUAP bad-data: ') || m.includes('WRONGTYPE')) {
    return Object.assign(new Error(`Redis holds data lua-persistent cannot use: ${m.replace(/^.*LUAP bad-data: /, '')}`), { code: 'bad-data', cause: e });
  }
  return e;
}

/**
 * Ext tables on Redis. Options: `url` (default `redis://127.0.0.1:6379`) or `client`
 * (an ioredis client; yours to close), `prefix` (default `'luap'`), `retries` (runs
 * again after a conflict, default 10), `logLength` (commits kept for VMs catching up,
 * default 10,000), `timeout` (ms per Redis command for a client made here, default
 * 10,000).
 */
function redisStorage(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('redisStorage: options must be an object');
  const { url = 'redis://127.0.0.1:6379', client: given, prefix = 'luap', retries, logLength = 10000, timeout = 10000 } = options;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError('redisStorage: prefix must be a non-empty string');
  if (!Number.isInteger(logLength) || logLength < 1) throw new TypeError('redisStorage: logLength must be a positive integer');
  let client = given || null;
  let lastError = null;

  const run = async (name, ...args) => {
    if (client === null) throw new Error('the Redis connection is closed');
    try {
      try {
        return await client.evalshaBuffer(SHA[name], 0, prefix, ...args);
      } catch (e) {
        if (!String(e && e.message).startsWith('NOSCRIPT')) throw e;
        return await client.evalBuffer(SCRIPTS[name], 0, prefix, ...args);
      }
    } catch (e) {
      throw scriptError(e);
    }
  };

  return {
    shared: true,
    retries,
    prefix,

    async open() {
      if (!client) {
        const Redis = loadClient();
        // No offline queue: while Redis is unreachable, calls fail at once with a clear
        // error instead of waiting; the client reconnects on its own meanwhile.
        client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeout });
        client.on('error', (e) => {
          lastError = e;
        });
        try {
          await client.connect();
        } catch (e) {
          client.disconnect();
          client = null;
          throw new Error(`cannot connect to Redis at ${url}: ${(e && e.message) || (lastError && lastError.message) || e}`, { cause: e });
        }
      }
      const format = String(await run('init'));
      if (format !== FORMAT) {
        throw Object.assign(new Error(`${prefix}:format is ${JSON.stringify(format)}: written by another program or a newer lua-persistent (this one reads format ${FORMAT})`), { code: 'bad-data' });
      }
    },

    async load() {
      const reply = await run('load');
      const items = [];
      for (let i = 1; i < reply.length; i += 2) {
        const name = reply[i];
        const fields = reply[i + 1];
        items.push(name, Buffer.alloc(0), Buffer.alloc(0));
        for (let j = 0; j < fields.length; j += 2) items.push(name, fields[j], fields[j + 1]);
      }
      return { seq: Number(String(reply[0])), items };
    },

    async changes(seq) {
      const reply = await run('changes', seq, logLength);
      const now = Number(String(reply[0]));
      if (reply.length === 1) return { seq: now, records: [] };
      if (String(reply[1]) === 'reload') return { seq: now, reload: true };
      return { seq: now, records: reply.slice(2) };
    },

    async commit(base, items) {
      const reply = await run('commit', base, logLength, ...items);
      return reply[0] === 1 ? { seq: reply[1] } : { conflict: true };
    },

    async close() {
      const c = client;
      if (!given) client = null;
      if (c && !given) {
        // quit() lets replies in flight arrive; disconnect() then also stops the
        // reconnection attempts of a client whose server is gone.
        await c.quit().catch(() => {});
        c.disconnect();
      }
    },
  };
}

module.exports = { redisStorage };
