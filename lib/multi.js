'use strict';
// `multi(...values)`: what a JS function returns to give Lua several values
// (`return multi(1, 2)` reads in Lua as `local a, b = f()`). The core asks the VM's
// hooks (`multiValues`) whether a callback's result is one; a brand in a WeakSet, not a
// property, so no plain object can pass for one.

const made = new WeakSet();

class Multi {
  constructor(values) {
    this.values = values;
    Object.freeze(this);
    made.add(this);
  }
}

/** Several values for Lua, from a JS function called by Lua. */
function multi(...values) {
  return new Multi(values);
}

/** The values of a `multi(...)`, or undefined. */
function multiValues(v) {
  return made.has(v) ? v.values : undefined;
}

module.exports = { multi, multiValues, Multi };
