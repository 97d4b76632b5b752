'use strict';
// A real redis-server for the tests (Debian's package, installed by scripts/setup.sh):
// bound to 127.0.0.1 on a free port, its data in a temp directory (append-only file on,
// so that a restart keeps the data, as a production Redis would), stopped by `stop()`.
const fs = require('fs');
const os = require('os');
const net = require('net');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      s.destroy();
      resolve(String(d).startsWith('+PONG'));
    });
    s.on('error', () => resolve(false));
  });
}

async function waitFor(port, up) {
  for (let i = 0; i < 200; i++) {
    if ((await ping(port)) === up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not ${up ? 'start' : 'stop'}`);
}

/** Starts a server; `port` to restart one on the same port and directory. */
async function startRedis({ port, dir } = {}) {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server is not installed: run `bash scripts/setup.sh` (it installs the redis-server package)');
  }
  port = port || (await freePort());
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'luap-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'no'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await waitFor(port, true);
  return {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await waitFor(port, false);
    },
    async remove() {
      await this.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRedis };
