'use strict';
// Memory growth under load (docs/security.md "Memory"): many evals, many create/close
// cycles, many ext operations, and evals interleaved with awaits (wasmoon's published
// build crashes after ~60 async calls). The work runs in a child process started with
// `node --expose-gc` (this same file, run as a script), which reports process RSS, the
// Lua heap (`lua.memory().used`) and, for wasm, the size of the module's linear memory
// after a warm-up and at the end. Growth past the bounds below fails the test.
//
//   npx jest __tests__/memory-growth.test.js           scaled counts (CI, ~15 s for both backends)
//   HEAVY=1 npx jest __tests__/memory-growth.test.js   the counts: 100,000 evals,
//                                                      10,000 create/close, 1,000,000 ext ops
//   node --expose-gc __tests__/memory-growth.test.js wasm 100000 10000 1000000 1000
//                                                      one run by hand, prints the figures
const path = require('path');
const { spawnSync } = require('child_process');

const MB = 1024 * 1024;

/** Counts: [evals, create/close cycles, ext operations, async evals]. */
const COUNTS = process.env.HEAVY ? [100000, 10000, 1000000, 1000] : [20000, 500, 100000, 200];

/**
 * Bounds on growth between the warm-up and the end of a phase. RSS is noisy (V8 heap
 * sizing, allocator caches): the bound catches a leak of a few hundred bytes per
 * operation at these counts, not a fixed cost. The Lua heap and the wasm memory are
 * exact and must come back to their warm-up size or close to it.
 */
const BOUNDS = { rss: 48 * MB, luaHeap: 256 * 1024, wasmMemory: 8 * MB };
// Measured (HEAVY=1, this machine): RSS grows by at most 17 MiB in any phase and then
// stays flat (checked up to 3,000,000 ext operations and 30,000 create/close cycles);
// the Lua heap comes back within 2 KiB; the wasm memory does not grow at all. Each wasm
// VM has an instance of its own, collected once the VM is closed: after create/close
// cycles the live instances' memory is back to that of the VMs still open.

// ---------------------------------------------------------------- the child

/**
 * How many wasm instances (one per VM) are alive, counted by a FinalizationRegistry: a
 * closed VM's instance must be collected, memory and all. (Not WeakRefs: V8 keeps their
 * targets alive until the current task ends, and the loops below run in one task.)
 */
function countWasmInstances() {
  let live = 0;
  const registry = new FinalizationRegistry(() => { live--; });
  const Original = WebAssembly.Instance;
  WebAssembly.Instance = function Instance(module, imports) {
    const inst = new Original(module, imports);
    live++;
    registry.register(inst, null);
    return inst;
  };
  return () => live;
}

/** The linear memory of `lua`'s own wasm instance (0 on native). */
function wasmMemory(lua) {
  const memory = lua && lua._impl.memoryOf ? lua._impl.memoryOf(lua._vm) : undefined;
  return memory ? memory.buffer.byteLength : 0;
}

async function child([backend, evals, cycles, extOps, asyncEvals]) {
  const liveInstances = countWasmInstances();
  const { createLua } = require('..');
  const sample = async (lua) => {
    global.gc();
    await new Promise((r) => setTimeout(r, 20)); // let FinalizationRegistry callbacks run
    global.gc();
    if (lua) lua.gc();
    const m = process.memoryUsage();
    return { rss: m.rss, jsHeap: m.heapUsed, luaHeap: lua ? lua.memory().used : 0, wasmMemory: wasmMemory(lua), wasmInstances: liveInstances() };
  };
  /** Runs `step(i)` n times; samples after the first 10% (warm-up) and at the end. */
  async function phase(lua, n, step) {
    const warm = Math.max(1, Math.floor(n / 10));
    let before;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      if (i === warm) before = await sample(lua);
      await step(i);
    }
    const ms = Date.now() - t0;
    return { n, ms, before, after: await sample(lua) };
  }

  const lua = await createLua({ backend, timeout: 0 });
  lua.setGlobal('js', (x) => x + 1);
  lua.eval('function f(x) local t = {x, tostring(x), {x}} return #t + js(x) end ext.table("e").n = 0');
  const out = {};

  out.evals = await phase(lua, Number(evals), (i) => {
    if (lua.eval(`return f(${i}) + #("${i}"):rep(3)`) !== 3 + i + 1 + 3 * String(i).length) throw new Error('wrong result');
    if (i % 100 === 0) lua.call('f', i);
  });

  const opsPerEval = 10000;
  lua.eval(`function touch(n, base)
    local t = ext.table("e")
    for i = 1, n do
      local k = (base + i) % 1000
      if i % 3 == 0 then t[k] = nil elseif i % 3 == 1 then t[k] = {v = i, s = "x" .. k} else local v = t[k] end
    end
    t.n = t.n + n
  end`);
  out.ext = await phase(lua, Math.ceil(Number(extOps) / opsPerEval), (i) => lua.call('touch', opsPerEval, i * opsPerEval));
  out.ext.n = lua.eval('return ext.table("e").n');

  out.async = await phase(lua, Number(asyncEvals), async (i) => {
    await new Promise((r) => setImmediate(r));
    if (i % 10 === 0) await lua.save();
    if (lua.eval(`return f(${i})`) !== 3 + i + 1) throw new Error('wrong async result');
  });
  await lua.close();

  out.cycles = await phase(null, Number(cycles), async (i) => {
    const vm = await createLua({ backend });
    vm.eval(`ext.table("c").i = ${i} x = string.rep("y", 1000)`);
    if (vm.ext.get('c').get('i') !== i) throw new Error('wrong cycle result');
    await vm.close();
  });
  process.stdout.write(JSON.stringify(out));
}

if (require.main === module) {
  child(process.argv.slice(2)).catch((e) => {
    process.stderr.write(String((e && e.stack) || e));
    process.exit(3);
  });
} else {
  const { forEachBackend } = require('./backends');

  const runChild = (backend) => {
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, backend, ...COUNTS.map(String)], {
      encoding: 'utf8',
      timeout: process.env.HEAVY ? 1800000 : 120000,
      cwd: path.resolve(__dirname, '..'),
    });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    return JSON.parse(r.stdout);
  };

  const grew = ({ before, after }, key) => after[key] - before[key];
  const fmt = (b) => `${(b / MB).toFixed(1)} MiB`;

  forEachBackend((backend) => {
    let result;
    beforeAll(() => {
      result = runChild(backend);
      const lines = Object.entries(result).map(([name, p]) => `${name}: ${p.n} in ${p.ms} ms; RSS ${fmt(p.before.rss)} -> ${fmt(p.after.rss)}, Lua heap ${p.before.luaHeap} -> ${p.after.luaHeap}, wasm memory ${fmt(p.before.wasmMemory)} -> ${fmt(p.after.wasmMemory)}, wasm instances ${p.before.wasmInstances} -> ${p.after.wasmInstances}`);
      if (process.env.HEAVY || process.env.MEMORY_REPORT) console.log(`${backend} (counts ${COUNTS.join(', ')}):\n${lines.join('\n')}`);
    }, process.env.HEAVY ? 1800000 : 120000);

    test.each(['evals', 'ext', 'async', 'cycles'])('%s: RSS, Lua heap and wasm memory stay within bounds', (name) => {
      const p = result[name];
      expect(p.n).toBeGreaterThan(0);
      expect(grew(p, 'rss')).toBeLessThan(BOUNDS.rss);
      expect(grew(p, 'luaHeap')).toBeLessThan(BOUNDS.luaHeap);
      expect(grew(p, 'wasmMemory')).toBeLessThanOrEqual(backend === 'wasm' ? BOUNDS.wasmMemory : 0);
      // Closed VMs' instances are collected: at most a few await their GC.
      expect(grew(p, 'wasmInstances')).toBeLessThanOrEqual(backend === 'wasm' ? 2 : 0);
    });

    test('every ext operation ran', () => {
      expect(result.ext.n).toBe(Math.ceil(COUNTS[2] / 10000) * 10000);
    });

    if (backend === 'wasm') {
      test('the wasm memory and instances were measured', () => {
        expect(result.evals.after.wasmMemory).toBeGreaterThan(0);
        expect(result.evals.after.wasmInstances).toBeGreaterThan(0);
      });
    }
  });
}
