'use strict';
// The issue's targets, checked against one run's medians (on the run's primary clock).
// Each row: { target, measured, status: 'PASS' | 'MISS' | 'n/a' }.
const { geomean } = require('./stats');

function accessors(results) {
  const byId = new Map(results.items.map((i) => [i.id, i]));
  const med = (id, engine, metric = results.clock) => {
    const item = byId.get(id);
    const e = item && item.engines[engine];
    return e ? e.median[metric] : undefined;
  };
  const pure = results.items.filter((i) => i.group === 'pure');
  const pureRatio = (engine) => geomean(pure.map((i) => med(i.id, engine) / med(i.id, 'lua54')));
  return { byId, med, pure, pureRatio };
}

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** `strict`: the value must be under the limit ("under 5 ms"), not merely at most it. */
function row(target, value, limit, measured, strict = false) {
  if (!Number.isFinite(value)) return { target, measured: 'not measured', status: 'n/a' };
  const ok = strict ? value < limit : value <= limit;
  return { target, measured, status: ok ? 'PASS' : 'MISS' };
}

/**
 * wasm ÷ wasmoon per repeat. Repeats take the engines in turn, so repeat j of each ran
 * next to the other's in time; the pairs show whether a median's lead is the machine's
 * noise (some pairs each way) or holds in every pair.
 */
function pairedWins(results, item) {
  const metric = (x) => x[results.clock];
  const ours = item.engines.wasm.samples || [];
  const peer = item.engines.wasmoon.samples || [];
  const n = Math.min(ours.length, peer.length);
  let wins = 0;
  for (let j = 0; j < n; j++) if (metric(ours[j]) < metric(peer[j])) wins++;
  return { wins, n };
}

function fasterEverywhere(results, a) {
  const comparable = results.items.filter((i) => (i.group === 'pure' || i.group === 'host')
    && Number.isFinite(a.med(i.id, 'wasm')) && Number.isFinite(a.med(i.id, 'wasmoon')));
  if (comparable.length === 0) return { target: 'wasm faster than wasmoon on every workload', measured: 'not measured', status: 'n/a' };
  const ratios = comparable.map((i) => ({ id: i.id, r: a.med(i.id, 'wasm') / a.med(i.id, 'wasmoon') }));
  const worst = ratios.reduce((w, x) => (x.r > w.r ? x : w));
  const wins = ratios.filter((x) => x.r < 1).length;
  const slower = ratios.filter((x) => x.r >= 1).map((x) => ({ id: x.id, ...pairedWins(results, a.byId.get(x.id)) }));
  const pairs = slower.length === 0 ? '' : `; in paired repeats wasm was still faster in ${slower.map((x) => `${x.wins}/${x.n} (${x.id})`).join(', ')}`
    + `, ${slower.filter((x) => x.n > 0 && x.wins === 0).length} of them slower in every pair`;
  return {
    target: 'wasm faster than wasmoon on every workload',
    measured: `${wins}/${ratios.length} faster; worst ${worst.id} at ${fmt(worst.r)}× wasmoon${pairs}`,
    status: wins === ratios.length ? 'PASS' : 'MISS',
  };
}

function bundleRow(results) {
  const b = results.sizes && results.sizes.bundle;
  const ours = b && b.ours && b.ours.totalGzip;
  const peer = b && b.wasmoon && b.wasmoon.totalGzip;
  const kb = (x) => `${(x / 1000).toFixed(1)} KB`;
  return row('browser total (min JS + wasm, gzip -9) ≤ wasmoon', ours / peer, 1,
    `${kb(ours)} vs wasmoon ${kb(peer)}`);
}

/**
 * The issue states its targets as "ratios in one run" and gives wasmoon's figure next to
 * three absolute wasm limits (2 of ~4 µs, 1 of ~2.5 µs, 15 of ~20 ms). These rows check
 * those limits as ratios to wasmoon measured in the same run, since on a slower or busier
 * machine than the issue's both engines' absolute figures move together.
 */
function peerRows(a) {
  const ratio = (id, metric) => a.med(id, 'wasm', metric) / a.med(id, 'wasmoon', metric);
  const scaled = (name, id, metric, limit, peer, unit) => {
    const r = ratio(id, metric);
    return row(`${name}: wasm ≤ ${fmt(limit / peer)}× wasmoon (the issue's ${limit} of ~${peer} ${unit})`, r, limit / peer, `${fmt(r)}× wasmoon`);
  };
  return [
    scaled('tiny eval', 'tiny-eval', undefined, 2, 4, 'µs'),
    scaled('ext get/set from Lua', 'ext', undefined, 1, 2.5, 'µs'),
    scaled('cold start to first eval', 'startup', 'importCreateEval', 15, 20, 'ms'),
  ];
}

function checkTargets(results) {
  const a = accessors(results);
  const nat = a.pureRatio('native');
  const wasm = a.pureRatio('wasm');
  const us = (id, e, limit, name) => row(`${name}: ${e} ≤ ${limit} µs`, a.med(id, e), limit, `${fmt(a.med(id, e), 3)} µs`);
  const ms = (e, limit) => row(`cold start to first eval: ${e} < ${limit} ms`, a.med('startup', e, 'importCreateEval'), limit,
    `${fmt(a.med('startup', e, 'importCreateEval'), 1)} ms`, true);
  return [
    row('native: pure-Lua geomean ≤ 1.05× lua5.4', nat, 1.05, `${fmt(nat)}×`),
    row('wasm: pure-Lua geomean ≤ 1.6× lua5.4', wasm, 1.6, `${fmt(wasm)}×`),
    fasterEverywhere(results, a),
    us('tiny-eval', 'native', 1, 'tiny eval'),
    us('tiny-eval', 'wasm', 2, 'tiny eval'),
    us('ext', 'native', 0.5, 'ext get/set from Lua'),
    us('ext', 'wasm', 1, 'ext get/set from Lua'),
    ms('native', 5),
    ms('wasm', 15),
    bundleRow(results),
    ...peerRows(a),
  ];
}

module.exports = { checkTargets, accessors };
