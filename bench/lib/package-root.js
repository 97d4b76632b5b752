'use strict';
// Which copy of lua-persistent the ours-engines and the size figures use: the working
// tree, or a snapshot made by bench/snapshot.js (--package DIR), so that a dev rebuild
// by someone else during a long run cannot swap the builds being measured.
const path = require('path');

const TREE = path.join(__dirname, '..', '..');

const packageRoot = () => path.resolve(process.env.LUA_BENCH_PACKAGE || TREE);

module.exports = { packageRoot, TREE };
