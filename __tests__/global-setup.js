'use strict';
// Jest's global set-up: bundles the Node entry (dist/node.js) again when a file of lib/
// changed since, so `npx jest` after an edit tests the edit, not the last build. Only
// then: the cross-built addons' suites run Jest under qemu, where esbuild's own binary
// for this machine cannot run (scripts/build-targets.js).
const { buildJs, staleEntry } = require('../scripts/build-js');

module.exports = async () => {
  if (staleEntry()) await buildJs();
};
