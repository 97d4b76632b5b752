#!/usr/bin/env node
'use strict';
// `npm start`: bundles the browser playground (apps/playground) with esbuild into
// dist/playground and serves it on http://localhost:PORT (default 8080).
//
// Two bundles: main.js (the page: CodeMirror, inspector) and worker.js (the Lua VM,
// web/index.js through the package's "browser" export condition). The wasm-bindgen glue
// finds the .wasm through `new URL('lua_persistent_bg.wasm', import.meta.url)`, which
// esbuild leaves alone, so the file is copied next to worker.js. Needs dist/wasm-web
// (node scripts/build-wasm.js).
//
//   node scripts/playground.js            build, then serve on PORT or 8080 (HOST: 127.0.0.1)
//   node scripts/playground.js --build    build only
const fs = require('fs');
const http = require('http');
const path = require('path');

const { bundle } = require('./build-web');

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'apps', 'playground');
const OUT = path.join(ROOT, 'dist', 'playground');
const STATIC = ['index.html', 'style.css'];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Bundles the playground into `out` (replaced); returns `out`. */
async function build({ out = OUT, quiet = false } = {}) {
  await bundle(SRC, out, quiet, { entries: ['main.js', 'worker.js'], statics: STATIC });
  return out;
}

/** A static server for `dir`; resolves to the listening http.Server. */
function serve(dir, { port = 8080, host = '127.0.0.1' } = {}) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    const file = path.join(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      reject(e.code === 'EADDRINUSE' ? new Error(`port ${port} is already in use: set PORT to another one (PORT=8081 npm start)`) : e);
    });
    server.listen(port, host, () => resolve(server));
  });
}

async function main() {
  const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${JSON.stringify(process.env.PORT)}`);
  const out = await build();
  console.log(`built ${path.relative(ROOT, out)}/`);
  if (process.argv.includes('--build')) return;
  const server = await serve(out, { port, host: process.env.HOST || '127.0.0.1' });
  const { port: actual } = server.address();
  console.log(`lua-persistent playground: http://localhost:${actual}/  (Ctrl-C to stop)`);
}

module.exports = { build, serve, OUT, MIME };

if (require.main === module) {
  main().catch((e) => {
    console.error(`playground: ${e.message || e}`);
    process.exit(1);
  });
}
