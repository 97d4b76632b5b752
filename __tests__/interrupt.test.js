'use strict';
// The interruptBuffer option: another thread stops a running call through a
// SharedArrayBuffer flag, the way a REPL's Ctrl-C or a playground's Stop button would.
const path = require('path');
const { Worker } = require('worker_threads');
const { forEachBackend, ROOT } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

/** A worker that owns a VM and runs each posted chunk, replying with result or error. */
const WORKER = `
const { parentPort, workerData } = require('worker_threads');
const { createLua } = require(workerData.root);
createLua({ backend: workerData.backend, timeout: 0, interruptBuffer: workerData.flag }).then((lua) => {
  parentPort.on('message', (code) => {
    try { parentPort.postMessage({ value: lua.eval(code) }); }
    catch (e) { parentPort.postMessage({ kind: e.kind, message: e.message }); }
  });
  parentPort.postMessage({ ready: true });
});
`;

function startWorker(backend, flag) {
  const worker = new Worker(WORKER, { eval: true, workerData: { root: path.resolve(ROOT), backend, flag } });
  const replies = [];
  let waiting = null;
  worker.on('message', (m) => (waiting ? (waiting(m), (waiting = null)) : replies.push(m)));
  const next = () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((r) => (waiting = r)));
  return { worker, next };
}

forEachBackend((backend) => {
  const make = vms(backend);

  test('another thread interrupts an endless loop; the VM keeps its state', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { worker, next } = startWorker(backend, flag);
    try {
      expect(await next()).toEqual({ ready: true });
      worker.postMessage('kept = 41');
      await next();
      for (const loop of ['while true do end', 'while true do pcall(function() while true do end end) end', "local s = string.rep('a', 60) while true do s:find('.-.-.-.-b') end"]) {
        worker.postMessage(loop);
        setTimeout(() => Atomics.store(flag, 0, 1), 100);
        const reply = await next();
        expect(reply.kind).toBe('interrupted');
        expect(reply.message).toMatch(/interrupted/);
        expect(Atomics.load(flag, 0)).toBe(0);
      }
      worker.postMessage('return kept + 1');
      expect(await next()).toEqual({ value: 42 });
    } finally {
      await worker.terminate();
    }
  });

  test('a request made between calls stops the next call; without one calls run normally', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const lua = await make({ timeout: 0, interruptBuffer: flag });
    expect(lua.eval('local n = 0 for i = 1, 100000 do n = n + i end return n')).toBe(5000050000);
    Atomics.store(flag, 0, 1);
    const e = thrown(() => lua.eval('for i = 1, 1e7 do end'));
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe('interrupted');
    expect(lua.eval('return 1 + 1')).toBe(2);
  });

  test('interruptBuffer must be an Int32Array', async () => {
    await expect(make({ interruptBuffer: new Uint8Array(4) })).rejects.toThrow(/interruptBuffer must be a non-empty Int32Array/);
    await expect(make({ interruptBuffer: new Int32Array(0) })).rejects.toThrow(TypeError);
  });
});
