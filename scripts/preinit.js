'use strict';
// The prepared VM (docs/design.md): runs the module's `__lp_prepare` once at build time
// and writes the memory it leaves as the module's data, so that every instance starts
// with a VM already made and V8 compiles none of the code that makes one.
const { readFileSync, writeFileSync } = require('fs');
const { sections, section, readLeb, leb, sleb } = require('./wasm-sections');

/** Where the shadow stack ends and the module's data begins (`__stack_pointer`'s start). */
const STACK_TOP = 1 << 20;
/** The custom section that says a module carries the prepared VM (checked by tests). */
const MARK = 'lua-persistent.prepared';
/** Zero runs at least this long end a data segment (shorter ones cost less inside one). */
const GAP = 64;

/** Active data segments for the non-zero runs of `mem` from `base` on. */
function segments(mem, base) {
  const segs = [];
  let i = base;
  while (i < mem.length) {
    while (i < mem.length && mem[i] === 0) i++;
    if (i >= mem.length) break;
    let end = i;
    let zeros = 0;
    let j = i;
    for (; j < mem.length; j++) {
      if (mem[j] === 0) {
        if (++zeros >= GAP) break;
      } else {
        zeros = 0;
        end = j + 1;
      }
    }
    segs.push([i, mem.subarray(i, end)]);
    i = end;
  }
  return segs;
}

/**
 * Checks that the module's own data segments are all active and above the stack: the
 * image replaces them, which would break a passive one (`memory.init` names segments by
 * index) and must not copy the stack.
 */
function checkSegments(bytes, data) {
  let [count, at] = readLeb(bytes, data.start);
  for (; count > 0; count--) {
    if (bytes[at] !== 0 || bytes[at + 1] !== 0x41) throw new Error('preinit: the module has a data segment that is not active at a constant offset');
    const [offset, after] = readLeb(bytes, at + 2);
    if (offset < STACK_TOP) throw new Error(`preinit: a data segment at ${offset}, below the stack's top`);
    const [size, body] = readLeb(bytes, after + 1);
    at = body + size;
  }
}

/**
 * `bytes` with its data and memory sections replaced by the memory image `mem`:
 * the memory's initial size grows to hold it.
 */
function withImage(bytes, mem) {
  const segs = segments(mem, STACK_TOP);
  const parts = [bytes.subarray(0, 8)];
  for (const s of sections(bytes)) {
    if (s.id === 11) checkSegments(bytes, s);
    if (s.id === 5) {
      const flags = bytes[s.start + 1];
      const [, after] = readLeb(bytes, s.start + 2);
      const max = flags & 1 ? [...bytes.subarray(after, s.end)] : [];
      parts.push(section(5, [1, flags, ...leb(mem.length / 65536), ...max]));
    } else if (s.id === 12) {
      parts.push(section(12, leb(segs.length)));
    } else if (s.id === 11) {
      const chunks = [Buffer.from(leb(segs.length))];
      for (const [at, data] of segs) chunks.push(Buffer.from([0, 0x41, ...sleb(at), 0x0b, ...leb(data.length)]), data);
      parts.push(section(11, Buffer.concat(chunks)));
    } else {
      parts.push(s.raw);
    }
  }
  const name = Buffer.from(MARK);
  parts.push(section(0, [...leb(name.length), ...name]));
  return Buffer.concat(parts);
}

/** Prepares the module at `wasmPath` in place, through the Node glue at `gluePath`. */
function preinit(wasmPath, gluePath) {
  const bytes = readFileSync(wasmPath);
  delete require.cache[require.resolve(gluePath)];
  const { instantiate } = require(gluePath);
  const instance = instantiate(new WebAssembly.Module(bytes));
  const refs = instance.exports.__wbindgen_externrefs.length;
  // The host's seeds (Date.now, Math.random) read 0 meanwhile, so that the image is the
  // same at every build; each VM gets seeds of its own anyway.
  const { now } = Date;
  const { random } = Math;
  Date.now = () => 0;
  Math.random = () => 0;
  let made;
  try {
    made = instance.exports.__lp_prepare();
  } finally {
    Date.now = now;
    Math.random = random;
  }
  if (made !== 1) throw new Error('preinit: __lp_prepare failed');
  if (instance.exports.__wbindgen_externrefs.length !== refs) throw new Error('preinit: the prepared VM holds JS values');
  const out = withImage(bytes, new Uint8Array(instance.exports.memory.buffer));
  new WebAssembly.Module(out); // validates
  writeFileSync(wasmPath, out);
  return out.length;
}

module.exports = { preinit, withImage, MARK };
