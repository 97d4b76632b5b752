'use strict';
// Post-processing of wasm-bindgen's JS glue. Our module uses legacy wasm exception
// handling (Lua's setjmp/longjmp), so wasm-bindgen 0.2.130 wraps every import as
//   function() { return wrapError(function (a, b) { BODY }, arguments); }
// to turn a JS exception into a WebAssembly.Exception its wasm-side `catch` wrappers
// recognise. That costs a closure, an `arguments` object and an `apply` on every import
// call: most of an ext read's time on wasm. The same try/catch written inline behaves
// identically (the bodies never use `this`) and costs nothing until something throws.
const { readFileSync, writeFileSync } = require('fs');

const WRAPPED = /function\(\) \{ return wrapError\(function (\([^)]*\)) \{([\s\S]*?)\n(\s*)\}, arguments\); \}/g;

/** Rewrites the glue at `file` in place; throws when wasm-bindgen's shape changed. */
function inlineImportWrappers(file) {
  const src = readFileSync(file, 'utf8');
  const out = src.replace(WRAPPED, (_, params, body, indent) =>
    `function ${params} { try {${body}\n${indent}} catch (e) { wrapError(() => { throw e; }, []); } }`);
  if (out.includes('return wrapError(')) {
    throw new Error(`wasm-glue: ${file} has import wrappers of an unknown shape (wasm-bindgen changed?)`);
  }
  writeFileSync(file, out);
}

module.exports = { inlineImportWrappers };
