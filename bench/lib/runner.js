'use strict';
// Runs the selected items: each repeat takes every engine in turn (so a change in the
// machine's load hits all engines alike), each sample in a fresh process. Keeps the raw
// samples, their medians per metric, and whether all checksums agree.
const { median } = require('./stats');

function summarize(item, samples, errors) {
  const engines = {};
  for (const e of item.engines) {
    const s = samples[e];
    const med = {};
    for (const m of item.metrics) {
      const v = median(s.map((x) => x[m]).filter((x) => typeof x === 'number'));
      if (Number.isFinite(v)) med[m] = v;
    }
    const sums = [...new Set(s.map((x) => x.checksum).filter((c) => c !== undefined))];
    engines[e] = { median: med, checksum: sums.length <= 1 ? sums[0] : sums, samples: s, error: errors[e] };
  }
  const all = new Set(item.engines.flatMap((e) => samples[e].map((x) => x.checksum)).filter((c) => c !== undefined));
  return { ...item, sample: undefined, engines, checksumsAgree: all.size <= 1 };
}

/** Runs `tasks` (functions returning promises) at most `jobs` at a time, in order. */
async function pool(tasks, jobs) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

/** The sample tasks of one item: each repeat takes every engine in turn. */
function itemTasks(item, opts, state, log) {
  const tasks = [];
  const repeatFor = item.repeatFor || (() => item.repeat || opts.repeat);
  const repeat = Math.max(...item.engines.map(repeatFor));
  for (let r = 0; r < repeat; r++) {
    for (const e of item.engines.filter((x) => r < repeatFor(x))) {
      tasks.push(async () => {
        if (state.errors[e]) return;
        try {
          state.samples[e].push(await item.sample(e));
        } catch (err) {
          state.errors[e] = String(err.message || err);
          log(`  ${item.id} on ${e} failed: ${state.errors[e]}`);
        }
      });
    }
  }
  return tasks;
}

function logItem(item, result, log) {
  const brief = item.engines.map((e) => {
    const m = result.engines[e].median[item.metrics[0]];
    return `${e} ${m === undefined ? '-' : m.toPrecision(4)}`;
  }).join(', ');
  log(`${item.id.padEnd(12)} ${item.unit.padEnd(8)} ${brief}${result.checksumsAgree ? '' : '  CHECKSUMS DIFFER'}`);
}

/**
 * Runs every sample of every item, `opts.jobs` processes at a time, in item order.
 * `onItem(results so far)` is called as each item completes (for partial reports).
 */
async function runItems(items, opts, log, onItem = () => {}) {
  const finished = new Set();
  const states = items.map((item) => ({ samples: Object.fromEntries(item.engines.map((e) => [e, []])), errors: {} }));
  const done = items.map((item, i) => {
    const tasks = itemTasks(item, opts, states[i], log);
    let left = tasks.length;
    // Log each item as soon as its last sample is in, so long runs show progress.
    return tasks.map((t) => async () => {
      await t();
      if (--left === 0) {
        logItem(item, summarize(item, states[i].samples, states[i].errors), log);
        finished.add(i);
        onItem(items.map((it, j) => (finished.has(j) ? summarize(it, states[j].samples, states[j].errors) : null)).filter(Boolean));
      }
    });
  });
  await pool(done.flat(), opts.jobs);
  return items.map((item, i) => summarize(item, states[i].samples, states[i].errors));
}

module.exports = { runItems };
