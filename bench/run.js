#!/usr/bin/env node
'use strict';
// The benchmark: the same work on lua5.4, our native and wasm backends, wasmoon and
// fengari, each measurement in a fresh process; medians, ratios, targets. Writes
// latest.md and latest.json to --out and prints the Markdown. See docs/benchmarks.md.
//   npm run bench            full run (build release first: npm run build:release)
//   npm run bench:smoke      tiny sizes, results in a temp dir
const fs = require('fs');
const path = require('path');
const { parseArgs, USAGE } = require('./lib/args');
const { selectItems, wantsSizes } = require('./lib/measures');
const { runItems } = require('./lib/runner');
const { measureSizes } = require('./lib/sizes');
const { machineInfo, builds } = require('./lib/machine');
const { checkTargets } = require('./lib/targets');
const { renderMarkdown } = require('./lib/report');
const { killChildren } = require('./lib/spawn');

const log = (s) => process.stderr.write(`${s}\n`);

/** Our builds can be swapped under a long run by a rebuild; say so rather than mix them. */
function checkBuilds(before) {
  const after = builds();
  const changed = ['native', 'wasm', 'wasmWeb'].filter((k) => before[k].modified !== after[k].modified);
  if (changed.length) log(`WARNING: the ${changed.join(' and ')} build changed during the run; figures mix builds`);
  for (const k of ['native', 'wasm', 'wasmWeb']) {
    if (before[k].profile !== 'release') log(`WARNING: the ${k} build is not a release build (${before[k].profile}); run \`npm run build:release\` for real figures`);
  }
  return changed;
}

/** Writes latest.md and latest.json; returns the Markdown. */
function write(dir, results) {
  results.targets = checkTargets(results);
  const md = renderMarkdown(results, results.targets);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.md'), md);
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  return md;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  // Set before anything reads it; children inherit it.
  if (opts.pkg) process.env.LUA_BENCH_PACKAGE = opts.pkg;
  const machine = machineInfo();
  const items = selectItems(opts);
  log(`benchmark: ${items.length} items${wantsSizes(opts) ? ' + sizes' : ''}, engines ${opts.engines.join(',')}, repeat ${opts.repeat}, warm-up ${opts.warmup}${opts.smoke ? ', SMOKE' : ''}`);
  const command = `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim();
  const base = { command, clock: opts.clock, machine, options: opts };
  // A long run rewrites its report after every item, so an interrupted run leaves one.
  const measured = await runItems(items, opts, log, (done) => {
    if (done.length < items.length) write(opts.out, { ...base, partial: true, items: done, sizes: null });
  });
  const sizes = wantsSizes(opts) ? await measureSizes(log) : null;
  const md = write(opts.out, { ...base, items: measured, sizes, buildsChangedDuringRun: checkBuilds(machine.builds) });
  process.stdout.write(md);
  log(`wrote ${path.join(opts.out, 'latest.md')} and latest.json`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killChildren();
    log(`bench: stopped by ${signal}`);
    process.exit(130);
  });
}

main().catch((e) => {
  log(`bench: ${e.message}`);
  process.exitCode = 1;
});
