'use strict';
// lua-persistent through its public API, limits off (timeout, instructionLimit and
// memoryLimit 0 = none; --limits default keeps createLua's defaults: a 10 s timeout and
// a 256 MiB heap), in-memory storage, stdlib from --stdlib (default 'safe', what
// users get; its sandbox wraps a few functions such as load and setmetatable, so 'all' is
// the like-for-like comparison with lua5.4). `ext` is the real ext API.
// Loaded from the tree or from a release snapshot (see lib/package-root.js).
const { packageRoot } = require('../lib/package-root');

function engine(backend) {
  return {
    async open({ stdlib = 'safe', limits = 'off' } = {}) {
      const { createLua } = require(packageRoot());
      const off = limits === 'off' ? { timeout: 0, instructionLimit: 0, memoryLimit: 0 } : {};
      const lua = await createLua({ backend, ...off, stdlib });
      if (lua.backend !== backend) throw new Error(`asked for the ${backend} backend, got ${lua.backend}`);
      return {
        run: (code) => lua.eval(code),
        setGlobal: (name, v) => lua.setGlobal(name, v),
        installExt() {},
        getArray: (name) => lua.getGlobal(name),
        callWithArray: (fname, arr) => lua.call(fname, arr),
        gc: () => lua.gc(),
        memory: () => ({ used: lua.memory().used, count: lua.eval("return collectgarbage('count')") * 1024 }),
        close: () => lua.close(),
      };
    },
  };
}

module.exports = { native: engine('native'), wasm: engine('wasm') };
