'use strict';
// Markdown for one run: machine, a table per group (medians; ratios to lua5.4 for pure
// Lua, to our native backend for the host boundary), geomeans, targets, checksums.
const { geomean } = require('./stats');
const { ENGINES } = require('../engines');
const { accessors } = require('./targets');

const label = (e) => ENGINES[e].label;
const num = (x, unit) => {
  if (!Number.isFinite(x)) return '-';
  if (unit === 'ms') return x >= 100 ? x.toFixed(0) : x.toFixed(1);
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(3);
};
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');

function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** One timing group on one clock: medians with ratios to `base`, plus a geomean row. */
function timingTable(results, group, clock, base) {
  const items = results.items.filter((i) => i.group === group);
  if (items.length === 0) return null;
  const engines = results.options.engines.filter((e) => items.some((i) => i.engines[e]));
  const { med } = accessors(results);
  const cell = (i, e) => {
    if (!i.engines[e]) return '';
    const v = med(i.id, e, clock);
    if (!Number.isFinite(v)) return 'error';
    const r = v / med(i.id, base, clock);
    return e === base ? num(v, i.unit) : `${num(v, i.unit)} (${ratio(r)})`;
  };
  const rows = items.map((i) => [i.id, `${i.n}`, i.unit, ...engines.map((e) => cell(i, e))]);
  const geo = engines.map((e) => ratio(geomean(items.filter((i) => i.engines[e]).map((i) => med(i.id, e, clock) / med(i.id, base, clock)))));
  rows.push(['**geomean**', '', `× ${label(base)}`, ...geo.map((g) => `**${g}**`)]);
  return table(['Workload', 'N', 'Unit', ...engines.map(label)], rows);
}

function startupTable(results) {
  const item = results.items.find((i) => i.id === 'startup');
  if (!item) return null;
  const rows = Object.keys(item.engines).map((e) => {
    const m = item.engines[e].median;
    return [label(e), num(m.sinceProcessStart, 'ms'), num(m.importCreateEval, 'ms'), num(m.secondVm, 'ms'), num(m.process, 'ms')];
  });
  const n = Math.max(...Object.values(item.engines).map((x) => (x.samples ? x.samples.length : 0)));
  return (n > 0 ? `Medians of ${n} fresh processes per engine.\n\n` : '') + table(['Engine', 'process start → first eval', 'import + create + first eval', 'second VM (warm process)', 'whole process, timed by parent'], rows);
}

function memoryTable(results) {
  const item = results.items.find((i) => i.id === 'memory');
  if (!item) return null;
  const kb = (b) => (Number.isFinite(b) ? `${(b / 1024).toFixed(1)} KiB` : 'n/a');
  const rows = Object.keys(item.engines).map((e) => [label(e), kb(item.engines[e].median.bytes), kb(item.engines[e].median.count)]);
  return table(['Engine', 'Lua heap of a fresh VM', "collectgarbage('count')"], rows);
}

function sizesTable(sizes) {
  if (!sizes) return null;
  const kb = (b) => (Number.isFinite(b) ? `${(b / 1000).toFixed(1)} KB` : '-');
  const names = Object.keys(sizes.bundle);
  const get = (f) => names.map((n) => kb(f(n)));
  const rows = [
    ['wasm raw', ...get((n) => sizes.wasm[n] && sizes.wasm[n].raw)],
    ['wasm gzip -9', ...get((n) => sizes.wasm[n] && sizes.wasm[n].gzip)],
    ['JS glue raw', ...get((n) => sizes.glue[n] && sizes.glue[n].raw)],
    ['JS glue gzip -9', ...get((n) => sizes.glue[n] && sizes.glue[n].gzip)],
    ['app bundle JS, minified', ...get((n) => sizes.bundle[n].js && sizes.bundle[n].js.raw)],
    ['app bundle JS, gzip -9', ...get((n) => sizes.bundle[n].js && sizes.bundle[n].js.gzip)],
    ['**browser total, gzip -9**', ...get((n) => sizes.bundle[n].totalGzip).map((s) => `**${s}**`)],
  ];
  const errors = names.filter((n) => sizes.bundle[n].error).map((n) => `- ${n}: ${sizes.bundle[n].error}`);
  return [table(['Size', ...names], rows), ...errors].join('\n\n');
}

function checksumLines(results) {
  const bad = results.items.filter((i) => !i.checksumsAgree);
  const failed = results.items.flatMap((i) => i.engines ? Object.entries(i.engines).filter(([, v]) => v.error).map(([e, v]) => `- ${i.id} on ${label(e)} failed: ${v.error}`) : []);
  const lines = bad.map((i) => `- **${i.id}: checksums differ**: ${Object.entries(i.engines).map(([e, v]) => `${label(e)}=${JSON.stringify(v.checksum)}`).join(', ')}`);
  if (lines.length === 0) lines.push('All engines returned the same checksum for every workload.');
  return [...lines, ...failed].join('\n');
}

function machineLines(m, results) {
  const b = m.builds;
  const build = (x) => (x.missing ? 'missing' : `${x.profile} build, ${(x.bytes / 1e6).toFixed(2)} MB, ${x.modified}`);
  return [
    `- Date: ${m.date}; commit ${m.commit}`,
    `- CPU: ${m.cpu} × ${m.cores} cores; load average at start ${m.loadavg.join(', ')}`,
    `- ${m.os}; Node ${m.node}; ${m.lua54}; wasmoon ${m.wasmoon}; fengari ${m.fengari}`,
    `- Our backends: native ${build(b.native)}; wasm (Node) ${build(b.wasm)}; wasm (browser) ${build(b.wasmWeb)}`,
    `- Command: \`${results.command}\` (repeats ${results.options.repeat}, warm-up runs ${results.options.warmup}, stdlib '${results.options.stdlib || 'safe'}' and limits ${results.options.limits || 'off'} on our backends; ${results.options.smoke ? 'SMOKE sizes, figures meaningless' : 'full sizes'})`,
  ].join('\n');
}

function renderMarkdown(results, targets) {
  const other = results.clock === 'cpu' ? 'wall' : 'cpu';
  const clockName = { cpu: 'process CPU time', wall: 'wall-clock time' };
  const sections = [
    results.partial ? '# lua-persistent benchmark (PARTIAL: the run has not finished)' : '# lua-persistent benchmark',
    machineLines(results.machine, results),
    `Medians of ${results.options.repeat} runs, each in a fresh process, timed inside the process around the run only. Primary clock: **${clockName[results.clock]}** (see docs/benchmarks.md).`,
    ['## Targets', table(['Target', 'Measured', 'Status'], targets.map((t) => [t.target, t.measured, t.status === 'MISS' ? '**MISS**' : t.status]))],
    ['## Pure Lua (ratio to lua5.4)', timingTable(results, 'pure', results.clock, 'lua54')],
    ['## Classic programs (ratio to lua5.4)', timingTable(results, 'classic', results.clock, 'lua54')],
    ['## Host boundary (ratio to our native backend)', timingTable(results, 'host', results.clock, 'native')],
    ['## Start-up (ms)', startupTable(results)],
    ['## Memory', memoryTable(results)],
    ['## Sizes (1 KB = 1000 bytes)', sizesTable(results.sizes)],
    [`## Pure Lua on ${clockName[other]}`, timingTable(results, 'pure', other, 'lua54')],
    [`## Classic programs on ${clockName[other]}`, timingTable(results, 'classic', other, 'lua54')],
    [`## Host boundary on ${clockName[other]}`, timingTable(results, 'host', other, 'native')],
    ['## Checksums', checksumLines(results)],
  ];
  return `${sections.filter((s) => !Array.isArray(s) || s[1]).map((s) => (Array.isArray(s) ? s.join('\n\n') : s)).join('\n\n')}\n`;
}

module.exports = { renderMarkdown };
