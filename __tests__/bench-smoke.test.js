'use strict';
// The benchmark harness in smoke mode (tiny sizes): one run of bench/run.js over every
// engine — lua5.4, the backends under test, wasmoon, fengari — must give the same
// checksum per workload on every engine and write latest.md / latest.json to the
// directory it is given (a temp dir, so the tree stays clean).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { backends, forEachBackend, ROOT } = require('./backends');

const RUN = path.join(ROOT, 'bench', 'run.js');
const ENGINES = ['lua54', ...backends, 'wasmoon', 'fengari'];

function bench(args) {
  return spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', timeout: 180000 });
}

let out;
let proc;
let results;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-test-'));
  proc = bench(['--smoke', '--engines', ENGINES.join(','), '--out', out]);
  if (proc.status === 0) results = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
}, 200000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('bench smoke run', () => {
  test('exits 0 and writes latest.md and latest.json to --out', () => {
    expect({ status: proc.status, stderr: proc.status === 0 ? '' : proc.stderr }).toEqual({ status: 0, stderr: '' });
    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    for (const heading of ['## Targets', '## Pure Lua', '## Host boundary', '## Start-up', '## Memory', '## Sizes']) {
      expect(md).toContain(heading);
    }
    expect(proc.stdout).toBe(md);
  });

  test('every workload ran on every engine it applies to, with agreeing checksums', () => {
    const pure = results.items.filter((i) => i.group === 'pure');
    expect(pure.map((i) => i.id).sort()).toEqual(['closures', 'concat', 'coroutines', 'floats', 'json', 'libcalls', 'loops', 'nbody', 'oop', 'patterns', 'recursion', 'serializer', 'strings', 'tables']);
    for (const item of results.items) {
      for (const [engine, r] of Object.entries(item.engines)) {
        expect({ item: item.id, engine, error: r.error }).toEqual({ item: item.id, engine, error: undefined });
        expect(r.samples.length).toBeGreaterThan(0);
      }
      const sums = Object.values(item.engines).map((r) => r.checksum).filter((c) => c !== undefined);
      expect({ item: item.id, agree: item.checksumsAgree, distinct: [...new Set(sums)].length <= 1 })
        .toEqual({ item: item.id, agree: true, distinct: true });
    }
    expect(Object.keys(pure[0].engines)).toEqual(ENGINES);
  });

  test('the ext workload checksum is the sum 1..N on every engine', () => {
    const ext = results.items.find((i) => i.id === 'ext');
    const expected = String((ext.n * (ext.n + 1)) / 2);
    for (const r of Object.values(ext.engines)) expect(r.checksum).toBe(expected);
  });

  test('a target row exists for every issue target, each PASS, MISS or n/a', () => {
    expect(results.targets).toHaveLength(13);
    for (const t of results.targets) expect(['PASS', 'MISS', 'n/a']).toContain(t.status);
  });

  test('sizes cover our wasm and the three browser bundles', () => {
    for (const name of ['ours', 'wasmoon', 'fengari']) expect(results.sizes.bundle[name].totalGzip).toBeGreaterThan(1000);
    expect(results.sizes.wasm.ours.gzip).toBeLessThan(results.sizes.wasm.ours.raw);
  });
});

forEachBackend((backend) => {
  test('timings, start-up and memory figures are positive numbers', () => {
    for (const item of results.items.filter((i) => i.group === 'pure' || i.group === 'host')) {
      expect(item.engines[backend].median.cpu).toBeGreaterThan(0);
      expect(item.engines[backend].median.wall).toBeGreaterThan(0);
    }
    const startup = results.items.find((i) => i.id === 'startup').engines[backend].median;
    expect(startup.importCreateEval).toBeGreaterThan(0);
    expect(startup.sinceProcessStart).toBeGreaterThan(startup.importCreateEval);
    expect(results.items.find((i) => i.id === 'memory').engines[backend].median.bytes).toBeGreaterThan(1000);
  });
});

describe('bench options', () => {
  test('bad options fail with a clear message and write nothing', () => {
    const bad = [
      [['--engines', 'luajit'], /unknown engine 'luajit'/],
      [['--only', 'nope'], /unknown workload or group 'nope'/],
      [['--repeat', '0'], /--repeat must be an integer/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
      [['--limits', 'some'], /--limits must be off or default/],
    ];
    for (const [args, message] of bad) {
      const r = bench([...args, '--out', path.join(out, 'bad')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
    }
    expect(fs.existsSync(path.join(out, 'bad'))).toBe(false);
  });

  test('--only and --engines narrow the run', () => {
    const dir = path.join(out, 'narrow');
    const r = bench(['--smoke', '--only', 'recursion', '--engines', 'lua54,wasmoon', '--out', dir]);
    expect(r.status).toBe(0);
    const narrow = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'));
    expect(narrow.items.map((i) => i.id)).toEqual(['recursion']);
    expect(Object.keys(narrow.items[0].engines)).toEqual(['lua54', 'wasmoon']);
    expect(narrow.items[0].checksumsAgree).toBe(true);
    expect(narrow.sizes).toBeNull();
  }, 60000);

  test('--limits default runs our backends under createLua\'s default limits', () => {
    const dir = path.join(out, 'limits');
    const r = bench(['--smoke', '--only', 'floats,closures', '--engines', 'lua54,native,wasm', '--limits', 'default', '--out', dir]);
    expect(r.status).toBe(0);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'));
    expect(run.options.limits).toBe('default');
    expect(run.items.map((i) => i.id)).toEqual(['closures', 'floats']);
    for (const item of run.items) expect(item.checksumsAgree).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'latest.md'), 'utf8')).toMatch(/limits default on our backends/);
  }, 60000);

  test('the classic programs run only when asked, and agree with lua5.4 on both backends', () => {
    const CLASSIC = ['binarytrees', 'fannkuch', 'fasta', 'heapsort', 'knucleotide', 'lexer', 'mandelbrot', 'mergesort', 'queens', 'shapes', 'sieve', 'spectralnorm'];
    expect(results.items.filter((i) => i.group === 'classic')).toEqual([]);
    const dir = path.join(out, 'classic');
    const r = bench(['--smoke', '--only', 'classic', '--engines', ['lua54', ...backends, 'wasmoon'].join(','), '--limits', 'default', '--out', dir]);
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'));
    expect(run.items.map((i) => i.id)).toEqual(CLASSIC);
    for (const item of run.items) {
      expect(Object.keys(item.engines)).toEqual(['lua54', ...backends, 'wasmoon']);
      for (const [engine, e] of Object.entries(item.engines)) expect({ item: item.id, engine, error: e.error }).toEqual({ item: item.id, engine, error: undefined });
      expect({ item: item.id, agree: item.checksumsAgree }).toEqual({ item: item.id, agree: true });
    }
    expect(fs.readFileSync(path.join(dir, 'latest.md'), 'utf8')).toContain('## Classic programs (ratio to lua5.4)');
  }, 120000);
});

describe('bench/floor.js (the C floor under the wasm module)', () => {
  test('smoke mode links Lua + wasi-libc alone and the two smallest Rust boundaries, each larger than the last, and cold-starts all five', () => {
    const dir = path.join(out, 'floor');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'floor.js'), '--smoke', '--out', dir], { encoding: 'utf8', timeout: 170000 });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    const floor = JSON.parse(fs.readFileSync(path.join(dir, 'floor.json'), 'utf8'));
    // A real Lua (tens of KB compressed), and less than ours, which links the same objects.
    expect(floor.sizes.floor.gzip).toBeGreaterThan(50000);
    expect(floor.sizes.floor.gzip).toBeLessThan(floor.sizes.ours.gzip);
    // The boundaries link the same Lua, plus Rust (and mlua), around it.
    expect(floor.sizes.floor.gzip).toBeLessThan(floor.sizes.raw.gzip);
    expect(floor.sizes.raw.gzip).toBeLessThan(floor.sizes.mlua.gzip);
    for (const name of ['floor', 'raw', 'mlua', 'ours', 'wasmoon']) expect(floor.cold[name]).toBeGreaterThan(0);
    expect(r.stdout).toContain('| Lua 5.4 + wasi-libc alone');
    expect(r.stdout).toContain('| smallest mlua boundary');
    // Browser totals: each boundary's bundle is its wasm plus some JS.
    for (const name of ['raw', 'mlua', 'ours', 'wasmoon']) expect(floor.browser[name]).toBeGreaterThan(floor.sizes[name].gzip);
  }, 180000);
});

describe('bench/lib/targets.js', () => {
  const { checkTargets } = require(path.join(ROOT, 'bench', 'lib', 'targets'));
  // Two workloads, five repeats each; cpu ms per repeat for wasm and wasmoon.
  const item = (id, wasm, wasmoon) => ({
    id, group: 'pure', metrics: ['cpu', 'wall'],
    engines: Object.fromEntries([['wasm', wasm], ['wasmoon', wasmoon], ['lua54', wasmoon]].map(([e, xs]) => {
      const sorted = [...xs].sort((p, q) => p - q);
      return [e, { median: { cpu: sorted[sorted.length >> 1] }, samples: xs.map((cpu) => ({ cpu })) }];
    })),
  });
  const faster = (items) => checkTargets({ clock: 'cpu', items }).find((t) => t.target.startsWith('wasm faster than wasmoon'));

  test('a workload lost on medians reports how many paired repeats wasm still won', () => {
    // Medians 110 vs 100 (a loss), but wasm was faster in repeats 1 and 4.
    const t = faster([item('a', [90, 110, 112, 95, 120], [100, 100, 100, 100, 100]), item('b', [50, 50, 50, 50, 50], [60, 60, 60, 60, 60])]);
    expect(t.status).toBe('MISS');
    expect(t.measured).toBe('1/2 faster; worst a at 1.10× wasmoon; in paired repeats wasm was still faster in 2/5 (a), 0 of them slower in every pair');
  });

  test('a workload lost in every pair is counted as such; all won means PASS without pair notes', () => {
    const lost = faster([item('a', [110, 111, 112, 113, 114], [100, 100, 100, 100, 100])]);
    expect(lost.measured).toMatch(/0\/5 \(a\), 1 of them slower in every pair$/);
    const won = faster([item('a', [90, 91, 92, 93, 94], [100, 100, 100, 100, 100])]);
    expect(won).toEqual(expect.objectContaining({ status: 'PASS', measured: '1/1 faster; worst a at 0.92× wasmoon' }));
  });
});
