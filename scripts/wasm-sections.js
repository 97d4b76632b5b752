'use strict';
// A wasm module's sections and their LEB128 numbers, read and written for the build
// and its tests:
// - scripts/preinit.js replaces the memory and data sections with the prepared VM;
// - the `target_features` custom section lists the features the module's objects were
//   compiled with. wasm-bindgen reads it to choose how its exports return values;
//   scripts/build-wasm.js drops `multivalue` from it before running wasm-bindgen (why:
//   `withoutMultivalue` there);
// - how many values each exported function returns (__tests__/wasm-module.test.js).

/** Reads an unsigned LEB128 at `at`; returns [value, offset after it]. */
function readLeb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** An unsigned LEB128, as an array of bytes. */
function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/** A signed LEB128 (an i32.const's operand), as an array of bytes. */
function sleb(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return out.concat(b);
    out.push(b | 0x80);
  }
}

/** A section with id `id` around `payload` (bytes or an array of them). */
function section(id, payload) {
  return Buffer.concat([Buffer.from([id, ...leb(payload.length)]), Buffer.from(payload)]);
}

/**
 * The module's sections in order: { id, from (its first byte), start and end (its
 * payload's), raw (the whole section), body (the payload), custom (a custom section's
 * name, else null), payload (a custom section's bytes after its name) }.
 */
function sections(bytes) {
  const out = [];
  for (let from = 8; from < bytes.length;) {
    const [size, start] = readLeb(bytes, from + 1);
    const end = start + size;
    const body = bytes.subarray(start, end);
    let custom = null;
    let payload = null;
    if (bytes[from] === 0) {
      const [nameLen, nameAt] = readLeb(body, 0);
      custom = body.subarray(nameAt, nameAt + nameLen).toString();
      payload = body.subarray(nameAt + nameLen);
    }
    out.push({ id: bytes[from], from, start, end, raw: bytes.subarray(from, end), body, custom, payload });
    from = end;
  }
  return out;
}

/** The entries of a target_features payload (after its name): [prefix byte, feature]. */
function parseFeatures(payload) {
  let [count, at] = readLeb(payload, 0);
  const entries = [];
  while (count--) {
    const prefix = payload[at];
    const [len, start] = readLeb(payload, at + 1);
    entries.push([prefix, payload.subarray(start, start + len).toString()]);
    at = start + len;
  }
  return entries;
}

function encodeFeatures(entries) {
  const name = Buffer.from('target_features');
  const parts = [Buffer.from(leb(name.length)), name, Buffer.from(leb(entries.length))];
  for (const [prefix, feature] of entries) parts.push(Buffer.from([prefix, ...leb(feature.length)]), Buffer.from(feature));
  return section(0, Buffer.concat(parts));
}

/**
 * `bytes` (a module) with `feature` left out of its target_features section, if listed.
 * Only the listing changes, not the code. (__tests__/wasm-module.test.js checks the
 * outcome: no export returns several values.)
 */
function dropFeature(bytes, feature) {
  const parts = [bytes.subarray(0, 8)];
  for (const s of sections(bytes)) {
    if (s.custom === 'target_features') parts.push(encodeFeatures(parseFeatures(s.payload).filter(([, f]) => f !== feature)));
    else parts.push(s.raw);
  }
  return Buffer.concat(parts);
}

const SECTION = { type: 1, import: 2, function: 3, export: 7 };
const FUNC = 0; // an import's or export's kind: function

/** A value type's encoded length: one byte, except (ref null? ht) with its LEB heap type. */
function skipValType(body, at) {
  const t = body[at];
  return t === 0x63 || t === 0x64 ? readLeb(body, at + 1)[1] : at + 1;
}

/** The offset after an import's description (which starts after its kind byte at `at`). */
function skipImportDesc(body, kind, at) {
  if (kind === FUNC || kind === 4) return readLeb(body, at)[1]; // type index / tag
  if (kind === 1) return skipLimits(body, skipValType(body, at)); // table: reference type, limits
  if (kind === 2) return skipLimits(body, at); // memory
  return skipValType(body, at) + 1; // global: type, mutability
}

function skipLimits(body, at) {
  const flags = body[at];
  let next = readLeb(body, at + 1)[1];
  if (flags & 1) next = readLeb(body, next)[1];
  return next;
}

/** Each exported function's name and how many values it returns. */
function exportResults(bytes) {
  const results = []; // per type: result count
  const funcTypes = []; // per function index (imports first): type index
  const exports = [];
  for (const { id, body } of sections(bytes)) {
    let [count, at] = readLeb(body, 0);
    for (let i = 0; i < count; i++) {
      if (id === SECTION.type) {
        // 0x60 params results (every type here is a function type; GC types are not used).
        let [n, p] = readLeb(body, at + 1);
        while (n--) p = skipValType(body, p);
        [n, p] = readLeb(body, p);
        results.push(n);
        while (n--) p = skipValType(body, p);
        at = p;
      } else if (id === SECTION.import) {
        for (let name = 0; name < 2; name++) {
          const [len, p] = readLeb(body, at);
          at = p + len;
        }
        const kind = body[at];
        if (kind === FUNC) funcTypes.push(readLeb(body, at + 1)[0]);
        at = skipImportDesc(body, kind, at + 1);
      } else if (id === SECTION.function) {
        let type;
        [type, at] = readLeb(body, at);
        funcTypes.push(type);
      } else if (id === SECTION.export) {
        const [len, p] = readLeb(body, at);
        const name = body.subarray(p, p + len).toString();
        const kind = body[p + len];
        let index;
        [index, at] = readLeb(body, p + len + 1);
        if (kind === FUNC) exports.push([name, index]);
      } else {
        break;
      }
    }
  }
  return exports.map(([name, index]) => ({ name, results: results[funcTypes[index]] }));
}

module.exports = { dropFeature, exportResults, sections, section, readLeb, leb, sleb };
