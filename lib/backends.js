'use strict';
// The backend wrappers the Lua class drives: a native addon's Vm class, or a wasm glue
// factory with one module instance per VM. Each gives `create`, `isTrap`, `discard` and
// `snapshot` (see nativeBackend).

const { LuaError } = require('./errors');

/**
 * A loaded backend: `create(hooks, options)` makes a VM; `isTrap(vm, e)` tells a failure
 * that lost the VM (a wasm trap) from ordinary errors; `discard(vm)` lets go of a VM
 * that is closed or lost; `snapshot(hooks, options)` encodes the ext tables of `hooks`
 * without the VM (after a trap, the lost VM's own module cannot).
 */
function nativeBackend(Vm) {
  return {
    create(hooks, options) {
      const vm = new Vm(hooks, options);
      // The addon's raw N-API callRef (the hot path of a cached eval), bound to this VM.
      vm.callRef = vm.fastCallRef();
      return vm;
    },
    isTrap: () => false,
    discard() {},
    snapshot: null, // a native VM is never lost
  };
}

/** Whether `e` is a trap: a WebAssembly.RuntimeError (of this realm or another one). */
function isRuntimeError(e) {
  return e instanceof WebAssembly.RuntimeError || (e !== null && typeof e === 'object' && e.name === 'RuntimeError');
}

/**
 * The wasm backend over a glue factory (scripts/wasm-glue.js): `instantiate()` returns a
 * fresh module instance { Vm, memory, terminated() }. Every VM gets an instance of its
 * own, so a trap costs that VM only, each VM has the whole 4 GiB of wasm32 memory, and a
 * closed VM's memory goes back to the JS engine with its instance. Shared by the Node
 * and browser loaders.
 */
function wasmBackend(instantiate) {
  /** Each Vm's instance, for `isTrap` (a property would change the Vm's shape). */
  const glues = new WeakMap();
  const make = (hooks, options) => {
    let glue;
    try {
      glue = instantiate();
    } catch (e) {
      // The engine could not reserve another instance's memory (too many live VMs).
      throw new LuaError({ kind: 'memory', message: `cannot create a wasm module instance for a new VM (${e && e.message}); close VMs no longer used`, cause: e });
    }
    const vm = new glue.Vm(hooks, options);
    glues.set(vm, glue);
    return vm;
  };
  return {
    create: make,
    /** A trap (unreachable, out of bounds, a failed allocation: Rust aborts) or anything
     * else that left the wasm code without being caught there: a stack overflow inside
     * wasm, a JS exception unwinding through wasm frames. The glue marks its instance
     * terminated for those (and refuses every later call); Rust-side errors and a
     * RangeError thrown in JS before wasm was entered leave it alone. */
    isTrap(vm, e) {
      const glue = vm === null ? undefined : glues.get(vm);
      return isRuntimeError(e) || (glue !== undefined && glue.terminated());
    },
    /** The WebAssembly.Memory of `vm`'s instance (for tests and measurements). */
    memoryOf(vm) {
      const glue = glues.get(vm);
      return glue === undefined ? undefined : glue.memory;
    },
    discard(vm) {
      // Detached from the glue's FinalizationRegistry: nothing runs in the instance again.
      if (vm !== null && glues.delete(vm)) vm.__destroy_into_raw();
    },
    snapshot(hooks, options) {
      const vm = make(hooks, options);
      try {
        return vm.snapshot(hooks);
      } finally {
        glues.delete(vm);
        vm.__destroy_into_raw();
      }
    },
  };
}

module.exports = { nativeBackend, wasmBackend };
