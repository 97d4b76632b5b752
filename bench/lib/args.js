'use strict';
// Command-line options of bench/run.js.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ALL } = require('../engines');

const USAGE = `Usage: node bench/run.js [options]
  --smoke            tiny sizes, 1 repeat, no warm-up (proves the harness works; figures
                     are meaningless); results go to a fresh temp dir unless --out is given
  --only LIST        workloads or groups, comma-separated: pure, host, startup, memory,
                     sizes, or ids (recursion, floats, ..., ext, tiny-eval, convert-in, ...);
                     classic (well-known programs: queens, sieve, ...) runs only when named
  --engines LIST     from ${ALL.join(',')} (default: all)
  --repeat N         fresh-process runs per engine and workload, median reported (default 5)
  --slow-repeat N    repeats for slow engines (fengari) on pure-Lua workloads (default 1)
  --warmup N         untimed runs before the timed one inside each process (default 1)
  --stdlib safe|all  stdlib profile of our backends (default safe; lua5.4 and the peers
                     always open their full standard library)
  --limits off|default  our backends with every limit off (default; like the peers,
                     which have none) or with createLua's defaults (10 s timeout, 256 MiB
                     heap: what users get)
  --clock cpu|wall   clock for ratios and targets (default cpu; both are recorded)
  --jobs N           processes at once (default 1; --smoke: 3). Above 1 the engines
                     compete for cores, so only for checking that everything works
  --package DIR      measure the lua-persistent copy in DIR (made by bench/snapshot.js)
                     instead of the working tree
  --out DIR          where latest.md and latest.json go (default bench/results/)
  --help`;

const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);

function count(name, v, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}

function parseArgs(argv) {
  const o = { smoke: false, only: [], engines: ALL, repeat: null, warmup: null, clock: 'cpu', out: null, jobs: null, slowRepeat: 1, pkg: null, stdlib: 'safe', limits: 'off', help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--smoke') o.smoke = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--only') o.only = list(value());
    else if (a === '--engines') o.engines = list(value());
    else if (a === '--repeat') o.repeat = count('--repeat', value(), 1);
    else if (a === '--slow-repeat') o.slowRepeat = count('--slow-repeat', value(), 1);
    else if (a === '--warmup') o.warmup = count('--warmup', value(), 0);
    else if (a === '--clock') o.clock = value();
    else if (a === '--stdlib') o.stdlib = value();
    else if (a === '--limits') o.limits = value();
    else if (a === '--jobs') o.jobs = count('--jobs', value(), 1);
    else if (a === '--package') o.pkg = path.resolve(value());
    else if (a === '--out') o.out = path.resolve(value());
    else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  const unknown = o.engines.filter((e) => !ALL.includes(e));
  if (unknown.length || o.engines.length === 0) throw new Error(`--engines: unknown engine '${unknown.join(',')}' (known: ${ALL.join(', ')})`);
  if (!['safe', 'all'].includes(o.stdlib)) throw new Error(`--stdlib must be safe or all, got '${o.stdlib}'`);
  if (!['off', 'default'].includes(o.limits)) throw new Error(`--limits must be off or default, got '${o.limits}'`);
  if (!['cpu', 'wall'].includes(o.clock)) throw new Error(`--clock must be cpu or wall, got '${o.clock}'`);
  // Keep the listed order of ALL so tables always read lua5.4, native, wasm, peers.
  o.engines = ALL.filter((e) => o.engines.includes(e));
  if (o.pkg !== null && !fs.existsSync(path.join(o.pkg, 'package.json'))) throw new Error(`--package: no lua-persistent copy in ${o.pkg} (make one with bench/snapshot.js)`);
  if (o.repeat === null) o.repeat = o.smoke ? 1 : 5;
  if (o.warmup === null) o.warmup = o.smoke ? 0 : 1;
  if (o.jobs === null) o.jobs = o.smoke ? 3 : 1;
  if (o.out === null) {
    o.out = o.smoke ? fs.mkdtempSync(path.join(os.tmpdir(), 'lua-bench-smoke-')) : path.join(__dirname, '..', 'results');
  }
  return o;
}

module.exports = { parseArgs, USAGE };
