// The page's handle on the worker that owns the VM (worker.js). A runaway script blocks
// only that worker; stop() terminates it and starts a fresh one, which reloads the ext
// tables persisted in IndexedDB. Requests still waiting on the old worker are rejected.

export class StoppedError extends Error {
  constructor(why) {
    super(why);
    this.name = 'StoppedError';
  }
}

export class VmClient {
  /** @param {string} query passed on to the worker's URL (db, timeout) */
  constructor(query) {
    this.url = new URL(`./worker.js${query}`, import.meta.url);
    this.worker = null;
    this.pending = new Map();
    this.nextId = 1;
  }

  /** Starts a worker; resolves to its 'ready' message (rejects on 'fatal'). */
  start() {
    const worker = new Worker(this.url, { type: 'module' });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === 'ready') resolve(data);
        else if (data.type === 'fatal') reject(new Error(data.message));
        else this.settle(data);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`the worker failed to start: ${e.message || 'script error'}`));
      };
    });
  }

  settle({ id, result, error }) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (error) p.reject(Object.assign(new Error(error.message), { kind: error.kind }));
    else p.resolve(result);
  }

  /** Sends one request; resolves to its result. */
  request(op, args = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args }, transfer);
    });
  }

  /** Ends the worker at once, whatever it is doing, and starts a new one. */
  restart(why) {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new StoppedError(why));
    this.pending.clear();
    return this.start();
  }
}
