'use strict';
// Loads the wasm backend in Node from the CommonJS glue that wasm-bindgen generated
// (dist/wasm-node). One instance serves every VM; after a trap the glue's
// __wbg_reset_state (wasm-bindgen --experimental-reset-state-function) instantiates the
// module afresh.
const { join } = require('path');
const { wasmInstance } = require('./api');

const GLUE = join(__dirname, '..', 'dist', 'wasm-node', 'lua_persistent.js');

let glue = null;
let current = null;

function load() {
  if (current && current.alive) return current;
  if (glue) glue.__wbg_reset_state();
  else glue = require(GLUE);
  current = wasmInstance(glue.Vm, () => {
    current = null;
  });
  return current;
}

module.exports = { load, GLUE };
