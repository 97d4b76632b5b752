#!/usr/bin/env node
'use strict';
// `lua-persistent [options] [script [args]]`: see --help and docs/cli.md.
const { main } = require('../cli/main');

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`lua-persistent: internal error: ${(e && e.stack) || e}\n`);
    process.exitCode = 1;
  },
);
