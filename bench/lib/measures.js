'use strict';
// Everything a run measures, as a flat list of items. Each item names its group, the
// engines it applies to, its unit and metrics, and `sample(engine)`: one measurement in
// a fresh process, resolving to { metrics..., checksum }. lib/runner.js repeats them.
const { listWorkloads } = require('./workloads');
const { ENGINES } = require('../engines');
const spawn = require('./spawn');
const { runLua54, runProcess, timeProcess } = spawn;

/** A task in a fresh Node process, with the run's stdlib profile and limits for our backends. */
const runChild = (opts, engine, task) => spawn.runChild(engine, { ...task, stdlib: opts.stdlib, limits: opts.limits });

const TIME = ['cpu', 'wall'];
const LUA54_MEMORY = "io.write(string.format('{\"bytes\":%.0f}\\n', collectgarbage('count') * 1024))";
const LUA54_START = 'io.write(string.format(\'{"checksum":"%d"}\\n\', 1 + 1))';

/** Sizes for the host-boundary items: [full, smoke]. */
const HOST = {
  tinyCalls: [100000, 500],
  convertElements: [10000, 10000],
  convertRepeats: [100, 3],
};

const pick = (pair, smoke) => pair[smoke ? 1 : 0];

function workloadItem(w, opts) {
  const n = opts.smoke ? w.smoke : w.n;
  const host = w.group === 'host';
  const warmupFor = (engine) => (opts.smoke || (ENGINES[engine].slow && !host) ? 0 : opts.warmup);
  // ext workloads count 2N operations (N sets, N gets) and report µs per operation.
  const scale = host ? 1000 / (2 * n) : 1;
  return {
    id: w.name, group: w.group, n, unit: host ? 'µs/op' : 'ms', metrics: TIME,
    description: w.description,
    engines: host ? opts.engines.filter((e) => e !== 'lua54') : opts.engines,
    repeatFor: (engine) => (ENGINES[engine].slow && !host ? Math.min(opts.repeat, opts.slowRepeat) : opts.repeat),
    async sample(engine) {
      const warmup = warmupFor(engine);
      const r = engine === 'lua54'
        ? await runLua54(w.file, n, warmup)
        : await runChild(opts, engine, { kind: 'workload', file: w.file, n, warmup, ext: host });
      return { cpu: r.cpuMs * scale, wall: r.wallMs * scale, checksum: r.checksum };
    },
  };
}

function childItem(id, kind, unit, description, task, opts) {
  return {
    id, group: 'host', unit, metrics: TIME, description, n: task.n || task.k,
    engines: opts.engines.filter((e) => e !== 'lua54'),
    async sample(engine) {
      const r = await runChild(opts, engine, { kind, ...task });
      return { cpu: r.cpuUs, wall: r.wallUs, checksum: r.checksum };
    },
  };
}

function hostItems(opts) {
  const s = opts.smoke;
  const n = pick(HOST.convertElements, s);
  const k = pick(HOST.convertRepeats, s);
  return [
    childItem('tiny-eval', 'tiny', 'µs/call', "`eval('return 1')` from JS, per call",
      { k: pick(HOST.tinyCalls, s) }, opts),
    childItem('convert-out', 'convertOut', 'µs/conv', `a ${n}-element Lua table read into a JS array`, { n, k }, opts),
    childItem('convert-in', 'convertIn', 'µs/conv', `a ${n}-element JS array passed to a Lua function that sums it`, { n, k }, opts),
  ];
}

/** Fresh processes per engine for start-up: at least 21 outside smoke runs. A wasm cold
 * start has two modes on a 2-core machine (V8's optimising compiles on helper threads
 * sometimes compete with it), which made medians of 5 swing by 2-3 ms between runs. */
const STARTUP_REPEAT = 21;

function startupItem(opts) {
  return {
    id: 'startup', group: 'startup', unit: 'ms', description: 'fresh process to first eval; second VM',
    metrics: ['sinceProcessStart', 'importCreateEval', 'secondVm', 'process'],
    engines: opts.engines,
    repeat: opts.smoke ? opts.repeat : Math.max(opts.repeat, STARTUP_REPEAT),
    async sample(engine) {
      if (engine === 'lua54') {
        // lua5.4 cannot time itself from exec; the parent times the whole process.
        return { process: await timeProcess('lua5.4', ['-e', LUA54_START]), checksum: '2' };
      }
      const r = await runChild(opts, engine, { kind: 'startup' });
      return {
        sinceProcessStart: r.sinceProcessStartMs, importCreateEval: r.importCreateEvalMs,
        secondVm: r.secondVmMs, checksum: r.checksum,
      };
    },
  };
}

function memoryItem(opts) {
  return {
    id: 'memory', group: 'memory', unit: 'bytes', description: 'Lua heap of a fresh VM',
    metrics: ['bytes', 'count'], engines: opts.engines, repeat: 1,
    async sample(engine) {
      if (engine === 'lua54') {
        const r = await runProcess('lua5.4', ['-e', LUA54_MEMORY]);
        return { bytes: r.bytes, count: r.bytes };
      }
      const r = await runChild(opts, engine, { kind: 'memory' });
      return { bytes: r.used !== undefined ? r.used : r.count, count: r.count };
    },
  };
}

/**
 * Groups a run leaves out unless `--only` names them (or one of their items): `classic`,
 * well-known programs that probe workload shapes the main set does not have, kept out of
 * the targets and of a default run's time (docs/benchmarks.md, "Classic programs").
 */
const ON_REQUEST = ['classic'];

/** The items selected by `opts.only` (ids or group names; empty = all but ON_REQUEST). */
function selectItems(opts) {
  const workloads = listWorkloads();
  const items = [
    ...workloads.filter((w) => w.group === 'pure').map((w) => workloadItem(w, opts)),
    ...workloads.filter((w) => w.group === 'classic').map((w) => workloadItem(w, opts)),
    ...workloads.filter((w) => w.group === 'host').map((w) => workloadItem(w, opts)),
    ...hostItems(opts),
    startupItem(opts),
    memoryItem(opts),
  ];
  const known = new Set([...items.flatMap((i) => [i.id, i.group]), 'sizes']);
  for (const name of opts.only) {
    if (!known.has(name)) throw new Error(`--only: unknown workload or group '${name}' (known: ${[...known].join(', ')})`);
  }
  const wanted = (i) => (opts.only.length === 0 ? !ON_REQUEST.includes(i.group) : opts.only.includes(i.id) || opts.only.includes(i.group));
  return items.filter(wanted).filter((i) => i.engines.length > 0);
}

const wantsSizes = (opts) => opts.only.length === 0 || opts.only.includes('sizes');

module.exports = { selectItems, wantsSizes, HOST };
