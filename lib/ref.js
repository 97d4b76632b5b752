'use strict';
// `ref(value)`: a JS object, function or class passed to Lua live instead of copied
// (docs/design.md "Live references"). The core asks the VM's hooks whether a plain
// object it converts is one (`refTarget`), and does every operation on a reference
// through `refOp`: JS semantics (getters, setters, Proxies, `this`, exceptions) come
// with it. A brand in a WeakMap, not a property, so no plain object passes for one.

const targets = new WeakMap();

class Ref {
  constructor(target) {
    targets.set(this, target);
    Object.freeze(this);
  }
}

/** Passes `value` (an object, function or class) to Lua as a live reference. */
function ref(value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw new TypeError('ref() takes an object, a function or a class (plain values are copied to Lua as they are)');
  }
  return new Ref(value);
}

/** The target of a `ref(...)`, or undefined. */
function refTarget(v) {
  return targets.get(v);
}

/** One operation on a reference's target (codes: the core's jsref.rs). */
function refOp(op, target, a, b) {
  switch (op) {
    case 0:
      return target[a];
    case 1:
      target[a] = b;
      return undefined;
    case 2:
      return Reflect.apply(target, a, b);
    case 3:
      return Reflect.construct(target, b);
    case 4:
      return Object.keys(target);
    default:
      return typeof target;
  }
}

module.exports = { ref, refTarget, refOp };
