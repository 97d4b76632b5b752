#!/usr/bin/env node
'use strict';
// Every build step, in order: the Node entry (build-js.js), the native addon (build.js)
// and the wasm modules (build-wasm.js). `npm run build` runs it for debug builds and
// `npm run build:release` with `--release` (the optimised addon and wasm module); setup.sh
// and test.sh go through `npm run build`, so this is the one list of build steps.
const { execFileSync } = require('child_process');
const { join } = require('path');

const release = process.argv.includes('--release') ? ['--release'] : [];
const STEPS = [['build-js.js'], ['build.js', ...release], ['build-wasm.js', ...release]];

for (const [script, ...args] of STEPS) {
  try {
    execFileSync(process.execPath, [join(__dirname, script), ...args], { stdio: 'inherit' });
  } catch (e) {
    // The step printed its own error; end with its status, without a second stack.
    process.exit(typeof e.status === 'number' && e.status !== 0 ? e.status : 1);
  }
}
