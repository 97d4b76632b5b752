'use strict';
// Fresh processes for every measurement: a Node child running bench/child.js for the
// JS engines, or lua5.4 running bench/lua54-driver.lua with a ready/go handshake so the
// wall clock (taken here) covers the run only.
const { spawn } = require('child_process');
const path = require('path');

const CHILD = path.join(__dirname, '..', 'child.js');
const DRIVER = path.join(__dirname, '..', 'lua54-driver.lua');
const LIMIT_MS = 10 * 60 * 1000;

// Running children, so an interrupted run can end them instead of leaving them behind.
const active = new Set();

function killChildren() {
  for (const child of active) child.kill('SIGKILL');
}

/** Spawns a process; `onLine(line, child)` sees stdout lines; resolves with the last JSON line. */
function runProcess(cmd, args, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    active.add(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    let buf = '';
    let err = '';
    let last = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('{')) last = line;
        onLine(line, child);
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => { clearTimeout(timer); active.delete(child); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      active.delete(child);
      if (code !== 0 || !last) {
        reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${signal || code}): ${err.trim().slice(-800)}`));
        return;
      }
      resolve(JSON.parse(last));
    });
  });
}

/** One task in a fresh Node process for a JS engine; see bench/child.js. */
function runChild(engine, task) {
  return runProcess(process.execPath, [CHILD, engine, JSON.stringify(task)]);
}

/** One workload on lua5.4; adds wallMs measured around the run from here. */
async function runLua54(file, n, warmup) {
  let t0 = 0;
  let wallMs = NaN;
  const result = await runProcess('lua5.4', [DRIVER, file, String(n), String(warmup)], (line, child) => {
    if (line === 'ready') {
      t0 = performance.now();
      child.stdin.end('go\n');
    } else if (line.startsWith('{')) {
      wallMs = performance.now() - t0;
    }
  });
  return { ...result, wallMs };
}

/** Wall time of a whole process from spawn to exit, measured here. */
async function timeProcess(cmd, args) {
  const t0 = performance.now();
  await runProcess(cmd, args);
  return performance.now() - t0;
}

module.exports = { runChild, runLua54, runProcess, timeProcess, killChildren };
