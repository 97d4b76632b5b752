'use strict';
// Loads the wasm backend in Node from the CommonJS glue that wasm-bindgen generated
// (dist/wasm-node). The module is instantiated once per glue instance.
const { join } = require('path');

const GLUE = join(__dirname, '..', 'dist', 'wasm-node', 'lua_persistent.js');

function load() {
  return require(GLUE).Vm;
}

module.exports = { load, GLUE };
