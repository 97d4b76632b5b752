'use strict';
// The main thread's handle on the VM thread (vm-worker.js): one request at a time,
// print output forwarded as it comes, Ctrl-C turned into an interrupt of the running chunk.

const path = require('path');
const { Worker } = require('worker_threads');

const ROOT = path.resolve(__dirname, '..');

class Session {
  /** `print(text)` receives each line Lua prints. */
  constructor({ print }) {
    this.flag = new Int32Array(new SharedArrayBuffer(4));
    this.pending = new Map();
    this.nextId = 1;
    this.busy = false;
    this.worker = new Worker(path.join(__dirname, 'vm-worker.js'), {
      workerData: { root: ROOT, interruptBuffer: this.flag },
    });
    this.worker.on('message', (m) => this.onMessage(m, print));
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', (code) => this.failAll(new Error(`the VM thread exited (code ${code})`)));
  }

  onMessage(m, print) {
    if (m.print !== undefined) return print(m.print);
    const done = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.busy = this.pending.size > 0;
    if (done) done(m);
  }

  failAll(e) {
    for (const done of this.pending.values()) done({ ok: false, error: { kind: 'host', message: e.message } });
    this.pending.clear();
    this.busy = false;
  }

  /** Sends one request; resolves to { ok, value } or { ok: false, error } (never rejects). */
  request(op, args = {}) {
    const id = this.nextId++;
    this.busy = true;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, op, ...args });
    });
  }

  /** Creates the VM: `options` for createLua, `args` as the global `arg` table. */
  open(options, args) {
    return this.request('open', { options, args });
  }

  /** Runs a chunk; value: { count, text } (its values as the REPL prints them). */
  exec(code, chunkName) {
    return this.request('exec', { code, chunkName });
  }

  /** Runs `line` as an expression list; value: { count, text } (tostring'ed, tab-separated). */
  expression(code, chunkName) {
    return this.request('expression', { code, chunkName });
  }

  tables() {
    return this.request('tables');
  }

  save() {
    return this.request('save');
  }

  /** Stops the running chunk (kind 'interrupted'). Returns whether one was running. */
  interrupt() {
    if (!this.busy) return false;
    Atomics.store(this.flag, 0, 1);
    return true;
  }

  /** Closes the VM (waiting for its last save), then ends the thread. */
  async close() {
    const r = await this.request('close');
    await this.worker.terminate();
    return r;
  }
}

module.exports = { Session };
