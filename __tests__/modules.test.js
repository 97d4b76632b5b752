'use strict';
// Host interop for scripts (issue 20, the synchronous part): modules a host gives its
// scripts (`createLua({ modules })`, `require` in the safe stdlib for exactly those
// names), several values from a JS function (`multi`), and all of a Lua function's
// values for JS (`callAll`). Both backends, same results.
const { forEachBackend } = require('./backends');
const { createLua, LuaError, vms, thrown } = require('./helpers');
const { multi } = require('..');

forEachBackend((backend) => {
  const make = vms(backend);

  describe('modules', () => {
    const modules = {
      greet: "local M = {} function M.hi(n) return 'hi ' .. n end return M",
      counter: 'calls = (calls or 0) + 1 return { n = calls }',
      config: { level: 3, tags: ['a', 'b'] },
      util: { add: (a, b) => a + b },
      answer: 42,
    };

    test('require gives Lua sources run once and JS values converted once', async () => {
      const lua = await make({ modules });
      expect(lua.evalAll(`local g = require('greet') local c = require('config') local u = require('util')
        return g.hi('ann'), c.level, #c.tags, u.add(2, 3), require('answer'), require('greet') == g`)).toEqual(['hi ann', 3, 2, 5, 42, true]);
      // A source module runs on its first require only, and gets its name.
      expect(lua.evalAll("local a = require('counter') local b = require('counter') return a.n, b.n, a == b, calls")).toEqual([1, 1, true, 1]);
      // As lua5.4's: the first require also gives the loader data, later ones only the module.
      const fresh = await make({ modules });
      expect(fresh.evalAll("return select('#', require('greet')), select(2, require('answer'))")).toEqual([2]);
      expect(fresh.evalAll("return select(2, require('counter'))")).toEqual([':preload:']);
    });

    test('unknown names and bad arguments fail as Lua errors, catchable by pcall', async () => {
      const lua = await make({ modules });
      const e = thrown(() => lua.eval("require('io')"));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.message).toBe("eval:1: module 'io' not found: this VM was given no module of that name (createLua's modules option)");
      expect(thrown(() => lua.eval('require()')).message).toBe("eval:1: bad argument #1 to 'require' (string expected, got no value)");
      expect(lua.evalAll("return pcall(require, 'nope')")[0]).toBe(false);
      // The safe stdlib still has no package library, no files.
      expect(lua.evalAll('return package, io, loadfile')).toEqual([undefined, undefined, undefined]);
    });

    test('without the option the safe stdlib has no require; with stdlib all, Lua\'s own require finds them', async () => {
      const plain = await make();
      expect(plain.eval('return require')).toBeUndefined();
      const all = await make({ stdlib: 'all', modules });
      expect(all.evalAll("return require('greet').hi('x'), package.loaded.config.level, require('answer')")).toEqual(['hi x', 3, 42]);
    });

    test('a module that fails to compile rejects createLua with its syntax error; one that fails to run fails require', async () => {
      const e = await createLua({ backend, modules: { broken: 'return +' } }).then(() => null, (err) => err);
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('syntax');
      expect(e.message).toMatch(/^broken:1: /);
      const lua = await make({ modules: { boom: "error('module failed')" } });
      expect(thrown(() => lua.eval("require('boom')")).message).toMatch(/boom:1: module failed/);
      // Not cached as loaded: the next require runs it again.
      expect(thrown(() => lua.eval("require('boom')")).message).toMatch(/boom:1: module failed/);
    });

    test('reset() keeps the modules; bad options are TypeErrors', async () => {
      const lua = await make({ modules });
      lua.eval("require('counter')");
      lua.reset();
      expect(lua.eval("return require('counter').n")).toBe(1);
      await expect(createLua({ backend, modules: 'greet' })).rejects.toThrow(TypeError);
      await expect(createLua({ backend, modules: [] })).rejects.toThrow(/modules must be an object/);
      await expect(createLua({ backend, modules: { '': 'return 1' } })).rejects.toThrow(/module names/);
    });
  });

  describe('multi and callAll', () => {
    test('a JS function returns several values with multi(), nil holes kept', async () => {
      const lua = await make();
      lua.setGlobal('pair', () => multi(1, 'two', undefined, 4));
      lua.setGlobal('none', () => multi());
      expect(lua.evalAll("local a, b, c, d = pair() return select('#', pair()), a, b, c, d")).toEqual([4, 1, 'two', undefined, 4]);
      expect(lua.eval("return select('#', none())")).toBe(0);
      // Without multi an array is one value, a table, as before.
      lua.setGlobal('arr', () => [1, 2]);
      expect(lua.evalAll("return select('#', arr()), #arr()")).toEqual([1, 2]);
    });

    test('callAll gives all of a Lua function\'s values, by name or for a function handed to JS', async () => {
      const lua = await make();
      lua.eval('function three(x) return x, x + 1, x + 2 end');
      expect(lua.callAll('three', 1)).toEqual([1, 2, 3]);
      expect(lua.call('three', 1)).toBe(1);
      const f = lua.eval('return three');
      expect(f(5)).toBe(5);
      expect(lua.callAll(f, 5)).toEqual([5, 6, 7]);
      expect(lua.callAll(lua.eval('return function() end'))).toEqual([]);
      expect(() => lua.callAll(() => 1)).toThrow(TypeError);
      expect(thrown(() => lua.callAll('missing')).message).toMatch(/attempt to call global 'missing'/);
    });
  });
});
