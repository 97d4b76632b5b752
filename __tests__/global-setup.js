'use strict';
// Jest's global set-up: bundles the Node entry (dist/node.js) from lib/ before any
// suite runs, so `npx jest` after an edit in lib/ tests the edit, not the last build.
const { buildJs } = require('../scripts/build-js');

module.exports = async () => {
  await buildJs();
};
