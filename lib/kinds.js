'use strict';
// What kind of object a JS value is, for the backends' conversion to Lua (the rules are
// the core's: crates/core/src/convert.rs). Both adapters call `objectKind` through the
// VM's hooks: the wasm one for every object, the napi one for what its native checks
// (arrays, typed arrays, DataViews, ArrayBuffers, Dates, Errors, Maps of this realm)
// did not settle, with the same answers for those. So both backends classify alike, by
// brand rather than by `instanceof`: objects of another realm and subclasses are seen as
// what they are, and look-alikes (a Proxy of a builtin, an object with a forged
// Symbol.toStringTag, an object made with a builtin's prototype) as plain objects.
//
// They differ only on contrived objects: a Date or Error subclass that overrides
// Symbol.toStringTag, or an ArrayBuffer whose prototype was replaced, is what it is to
// N-API's native checks but a plain object here.

/**
 * The codes `objectKind` returns; crates/core/src/host.rs `object_kind` decodes them
 * (keep the two lists equal). A typed array other than Uint8Array is TYPED + its index
 * in TYPED_NAMES.
 */
const CODES = {
  OBJECT: 0,
  THENABLE: 1,
  ARRAY: 2,
  MAP: 3,
  SET: 4,
  ERROR: 5,
  ARRAY_BUFFER: 6,
  UINT8_ARRAY: 7,
  DATE: 8,
  DATA_VIEW: 9,
  SHARED_ARRAY_BUFFER: 10,
  REG_EXP: 11,
  WEAK_MAP: 12,
  WEAK_SET: 13,
  WEAK_REF: 14,
  FINALIZATION_REGISTRY: 15,
  BOXED: 16,
  OTHER_TYPED_ARRAY: 17,
  TYPED: 20,
};
/** In the order of crates/core/src/host.rs `TypedArray::ALL`. */
const TYPED_NAMES = ['Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

const { getPrototypeOf, getOwnPropertyDescriptor } = Object;
const { isArray } = Array;
const { isView } = ArrayBuffer;
const objectToString = Object.prototype.toString;
const getter = (proto, key) => getOwnPropertyDescriptor(proto, key).get;

// The intrinsic %TypedArray% getters: they read internal slots, so a subclass or an
// own property cannot lie to them. The tag getter returns undefined for a DataView.
const typedArrayProto = getPrototypeOf(Int8Array.prototype);
const typedArrayName = getter(typedArrayProto, Symbol.toStringTag);
const typedArrayBuffer = getter(typedArrayProto, 'buffer');
const typedArrayOffset = getter(typedArrayProto, 'byteOffset');
const typedArrayByteLength = getter(typedArrayProto, 'byteLength');
const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const TYPED_CODES = new Map(TYPED_NAMES.map((name, i) => [name, CODES.TYPED + i]));
TYPED_CODES.set('Uint8Array', CODES.UINT8_ARRAY);

/**
 * Builtins told apart by brand: [code, constructor, a method that throws unless its
 * receiver really is an instance]. Only candidates are confirmed, so nothing throws for
 * an ordinary object. Candidates are found by prototype (this realm's builtins, the
 * fast way) or else by `Object.prototype.toString` tag, which an internal slot or the
 * builtin prototype's Symbol.toStringTag gives: objects of any realm, subclasses and
 * objects whose prototype was changed have it. A forged tag fails the confirmation.
 */
const BUILTINS = [
  [CODES.MAP, Map, Map.prototype.has],
  [CODES.SET, Set, Set.prototype.has],
  [CODES.DATE, Date, Date.prototype.getTime],
  [CODES.REG_EXP, RegExp, getter(RegExp.prototype, 'source')],
  [CODES.WEAK_MAP, WeakMap, WeakMap.prototype.has],
  [CODES.WEAK_SET, WeakSet, WeakSet.prototype.has],
  [CODES.ARRAY_BUFFER, ArrayBuffer, arrayBufferByteLength],
  [CODES.BOXED, Number, Number.prototype.valueOf],
  [CODES.BOXED, String, String.prototype.valueOf],
  [CODES.BOXED, Boolean, Boolean.prototype.valueOf],
  [CODES.BOXED, BigInt, BigInt.prototype.valueOf],
  [CODES.BOXED, Symbol, Symbol.prototype.valueOf],
];
// Absent from some engines (SharedArrayBuffer outside cross-origin isolated pages).
if (typeof WeakRef === 'function') BUILTINS.push([CODES.WEAK_REF, WeakRef, WeakRef.prototype.deref]);
if (typeof FinalizationRegistry === 'function') {
  BUILTINS.push([CODES.FINALIZATION_REGISTRY, FinalizationRegistry, FinalizationRegistry.prototype.unregister]);
}
if (typeof SharedArrayBuffer === 'function') {
  BUILTINS.push([CODES.SHARED_ARRAY_BUFFER, SharedArrayBuffer, getter(SharedArrayBuffer.prototype, 'byteLength')]);
}
/** Both map to the same [code, check] pair, so a candidate found twice is checked once. */
const BY_PROTO = new Map();
const BY_TAG = new Map();
for (const [code, C, check] of BUILTINS) {
  const brand = [code, check];
  BY_PROTO.set(C.prototype, brand);
  BY_TAG.set(`[object ${C.name}]`, brand);
}
/** An argument every confirming method accepts from a real instance. */
const PROBE = {};
/** `Error.isError` (a brand check) where the engine has it; else the tag decides. */
const isError = typeof Error.isError === 'function' ? Error.isError : () => true;

function branded(method, v) {
  try {
    method.call(v, PROBE);
    return true;
  } catch {
    return false;
  }
}

/**
 * The kind of the object (or Proxy) `v`, as one of CODES. Reads `v.then` for
 * thenables, and a Proxy's traps run: both may throw, which fails the conversion.
 */
function objectKind(v) {
  if (isView(v)) {
    const name = typedArrayName.call(v);
    if (name === undefined) return CODES.DATA_VIEW;
    return TYPED_CODES.get(name) ?? CODES.OTHER_TYPED_ARRAY;
  }
  if (isArray(v)) return CODES.ARRAY;
  const known = BY_PROTO.get(getPrototypeOf(v));
  if (known !== undefined && branded(known[1], v)) return known[0];
  const tag = objectToString.call(v);
  if (tag !== '[object Object]') {
    const brand = BY_TAG.get(tag);
    if (brand !== undefined) {
      if (brand !== known && branded(brand[1], v)) return brand[0];
    } else if (tag === '[object Error]' && isError(v)) {
      return CODES.ERROR;
    }
  }
  return typeof v.then === 'function' ? CODES.THENABLE : CODES.OBJECT;
}

/** The bytes of a typed array, DataView or ArrayBuffer, as a Uint8Array (a view, not a copy). */
function viewBytes(v) {
  if (isView(v)) {
    // A DataView has no %TypedArray% slots: its bytes are never asked for.
    const length = typedArrayByteLength.call(v);
    return length === 0 ? new Uint8Array(0) : new Uint8Array(typedArrayBuffer.call(v), typedArrayOffset.call(v), length);
  }
  // A detached buffer has length 0 (a view of it could not be made).
  return arrayBufferByteLength.call(v) === 0 ? new Uint8Array(0) : new Uint8Array(v);
}

const setForEach = Set.prototype.forEach;

/** The members of the Set `s`, by the intrinsic `forEach` (a subclass's overrides do not run). */
function setValues(s) {
  const out = [];
  setForEach.call(s, (x) => out.push(x));
  return out;
}

module.exports = { objectKind, viewBytes, setValues };
