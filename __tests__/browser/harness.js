'use strict';
// What the browser suites share: a static file server on loopback and a headless
// Debian Chromium launched through playwright-core (no browser download).
const fs = require('fs');
const http = require('http');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Serves `dir` on 127.0.0.1 at a random port; resolves to the http.Server. */
function serve(dir) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const file = path.join(dir, rel.endsWith('/') ? `${rel}index.html` : rel);
      if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      fs.createReadStream(file).pipe(res);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

/** Headless Chromium with the flags this closed network needs. */
function launchChromium() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The same browser on the profile in `dir` (kept across launches: its HTTP cache and
 * V8's code cache are on disk), as a BrowserContext. */
function launchPersistent(dir) {
  const { chromium } = require('playwright-core');
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Records everything a page does wrong (console errors, uncaught errors, failed or
 * 4xx/5xx requests) into `problems`, so tests can fail on it. */
function watchProblems(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}

module.exports = { serve, launchChromium, launchPersistent, watchProblems, CHROMIUM, MIME };
