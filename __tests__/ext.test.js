'use strict';
// External tables: ext.table / ext.tables / ext.drop, the live Maps in lua.ext, nested
// tables, the table library on proxies, number types, rejected values.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, isMap, local } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);
  // See values.test.js "realm": Maps made in the test's realm are not recognized by
  // the native addon under Jest, and its Maps fail `instanceof Map`.
  let lua;
  beforeEach(async () => {
    lua = await make();
  });

  describe('ext.table / ext.tables / ext.drop', () => {
    test('ext.table(name) creates a Map in lua.ext', () => {
      expect(lua.ext.has('scores')).toBe(false);
      lua.eval('local t = ext.table("scores") t.alice = 10');
      expect(lua.ext.has('scores')).toBe(true);
      const m = lua.ext.get('scores');
      expect(isMap(m)).toBe(true);
      expect(typeof m.get).toBe('function');
      expect(m.get('alice')).toBe(10);
    });

    test('lua.ext.get(name) is instanceof Map', () => {
      lua.eval('ext.table("x").a = 1');
      expect(lua.ext.get('x')).toBeInstanceOf(Map);
    });

    test('the name defaults to "default"', () => {
      lua.eval('ext.table().v = 1');
      expect(lua.ext.get('default').get('v')).toBe(1);
    });

    test('the same name gives the same data', () => {
      lua.eval('ext.table("s").a = 1');
      expect(lua.eval('return ext.table("s").a')).toBe(1);
      expect(lua.eval('local a, b = ext.table("s"), ext.table("s") a.z = 9 return b.z')).toBe(9);
    });

    test('ext.tables() lists the table names', () => {
      // no tables yet: an empty Lua table (which converts to {})
      expect(lua.eval('return #ext.tables()')).toBe(0);
      lua.eval('ext.table("a") ext.table("b")');
      const names = lua.eval('return ext.tables()');
      expect([...names].sort()).toEqual(['a', 'b']);
    });

    test('ext.drop(name) removes the table from Lua and from lua.ext', () => {
      lua.eval('ext.table("gone").x = 1 ext.table("kept").y = 2');
      lua.eval('ext.drop("gone")');
      expect(lua.ext.has('gone')).toBe(false);
      expect(lua.ext.get('kept').get('y')).toBe(2);
      expect(lua.eval('return ext.tables()')).toEqual(['kept']);
      expect(lua.eval('return ext.table("gone").x')).toBeUndefined();
    });

    test('a name that is not a string is a bad argument, worded as Lua words its own', () => {
      const e = thrown(() => lua.eval('local t = ext.table({})'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('runtime');
      expect(e.message).toBe("eval:1: bad argument #1 to 'ext.table' (string expected, got table)");
      expect(lua.evalAll('return pcall(ext.drop)')).toEqual([false, "bad argument #1 to 'ext.drop' (string expected, got no value)"]);
      // ext.drop needs a name: a nil variable does not drop the default table.
      lua.eval('ext.table().x = 1');
      expect(lua.evalAll('return pcall(ext.drop, nil)')).toEqual([false, "bad argument #1 to 'ext.drop' (string expected, got nil)"]);
      expect(lua.ext.get('default').get('x')).toBe(1);
      // numbers are names, as Lua's string arguments take them
      expect(lua.eval('ext.table(12).n = 1 return ext.table("12").n')).toBe(1);
    });

    test('the proxy returned to JS is the live Map', () => {
      lua.eval('ext.table("live").a = 1');
      expect(lua.eval('return ext.table("live")')).toBe(lua.ext.get('live'));
    });

    test('tables whose proxies were collected leave no stale data behind (slots are reused)', () => {
      // Each proxy is read twice (the native adapter then keeps a reference to its
      // Map's slot); once collected, their slots serve the next tables.
      lua.eval('for i = 1, 60 do local t = ext.table("t" .. i) t.v = i local _ = t.v + t.v end');
      lua.eval('collectgarbage() collectgarbage()');
      expect(lua.eval('local s = 0 for i = 61, 120 do local t = ext.table("t" .. i) t.v = i s = s + t.v + t.v end return s')).toBe(2 * 5430);
      expect(lua.eval('local s = 0 for i = 1, 120 do s = s + ext.table("t" .. i).v end return s')).toBe(7260);
      expect(lua.ext.get('t7').get('v')).toBe(7);
      expect(lua.ext.get('t99').get('v')).toBe(99);
      expect([...lua.ext.get('t61').keys()]).toEqual(['v']);
    });
  });

  describe('JS <-> Lua visibility', () => {
    test('Lua writes are visible in JS immediately', () => {
      lua.eval('local t = ext.table("s") t.name = "bob" t.age = 30 t[1] = "first" t[true] = "yes"');
      const m = lua.ext.get('s');
      expect(local(m)).toEqual(new Map([['name', 'bob'], ['age', 30], [1, 'first'], [true, 'yes']]));
    });

    test('JS writes to the Map are visible in Lua', () => {
      lua.eval('ext.table("s")');
      const m = lua.ext.get('s');
      m.set('fromJs', 'hello');
      m.set('n', 42);
      m.set('f', 1.5);
      m.set(7, 'seven');
      expect(lua.evalAll('local t = ext.table("s") return t.fromJs, t.n, math.type(t.n), t.f, math.type(t.f), t[7]')).toEqual([
        'hello', 42, 'integer', 1.5, 'float', 'seven',
      ]);
    });

    test('JS deletes are visible in Lua', () => {
      lua.eval('ext.table("s").gone = 1');
      lua.ext.get('s').delete('gone');
      expect(lua.eval('return ext.table("s").gone')).toBeUndefined();
    });

    test('a reference to the Map keeps seeing later Lua writes', () => {
      lua.eval('ext.table("s").v = 1');
      const m = lua.ext.get('s');
      lua.eval('ext.table("s").v = 2');
      expect(m.get('v')).toBe(2);
    });

    test('a table created from JS with lua.ext.set is usable from Lua', () => {
      lua.ext.set('fromjs', new Map([['a', 1], ['n', new Map([['b', 2]])]]));
      expect(lua.evalAll('local t = ext.table("fromjs") return t.a, t.n.b')).toEqual([1, 2]);
    });

    test('a nested Map written by JS reads as a nested table in Lua', () => {
      lua.eval('ext.table("s")');
      lua.ext.get('s').set('inner', new Map([['q', 5]]));
      expect(lua.eval('return ext.table("s").inner.q')).toBe(5);
    });
  });

  describe('nested tables', () => {
    test('a stored table becomes a nested Map (deep copy)', () => {
      lua.eval('local src = {name = "bob", tags = {"a", "b"}} local t = ext.table("s") t.user = src src.name = "changed"');
      const user = lua.ext.get('s').get('user');
      expect(isMap(user)).toBe(true);
      expect(user.get('name')).toBe('bob');
      expect(isMap(user.get('tags'))).toBe(true);
      expect(local(user.get('tags'))).toEqual(new Map([[1, 'a'], [2, 'b']]));
    });

    test('t.user.score = 5 persists into the nested Map', () => {
      lua.eval('local t = ext.table("s") t.user = {name = "bob"}');
      const user = lua.ext.get('s').get('user');
      lua.eval('local t = ext.table("s") t.user.score = 5');
      expect(user.get('score')).toBe(5);
      expect(lua.ext.get('s').get('user').get('score')).toBe(5);
      lua.eval('local t = ext.table("s") t.user.prefs = {dark = true} t.user.prefs.size = 12');
      expect(local(user.get('prefs'))).toEqual(new Map([['dark', true], ['size', 12]]));
    });

    test('a nested proxy read in Lua and kept in a local still writes through', () => {
      lua.eval('local t = ext.table("s") t.cfg = {} local c = t.cfg c.a = 1 c.b = 2');
      expect(local(lua.ext.get('s').get('cfg'))).toEqual(new Map([['a', 1], ['b', 2]]));
    });

    test('JS writes into a nested Map are visible through the nested proxy', () => {
      lua.eval('ext.table("s").user = {name = "bob"}');
      lua.ext.get('s').get('user').set('score', 77);
      expect(lua.eval('return ext.table("s").user.score')).toBe(77);
    });

    test('a nested proxy returned to JS is the nested Map itself', () => {
      lua.eval('ext.table("s").user = {name = "bob"}');
      expect(lua.eval('return ext.table("s").user')).toBe(lua.ext.get('s').get('user'));
    });
  });

  describe('proxies support the table protocol', () => {
    beforeEach(() => {
      lua.eval('local t = ext.table("seq") for i = 1, 5 do t[i] = i * 10 end');
    });

    test('# length', () => {
      expect(lua.eval('return #ext.table("seq")')).toBe(5);
    });

    test('ipairs in order', () => {
      expect(lua.eval('local out = {} for i, v in ipairs(ext.table("seq")) do out[#out + 1] = i .. "=" .. v end return table.concat(out, ",")')).toBe(
        '1=10,2=20,3=30,4=40,5=50',
      );
    });

    test('pairs visits every key exactly once', () => {
      lua.eval('local t = ext.table("seq") t.name = "x" t[true] = false');
      const seen = lua.eval(`
        local seen = {}
        for k, v in pairs(ext.table("seq")) do seen[#seen + 1] = tostring(k) .. "=" .. tostring(v) end
        table.sort(seen)
        return table.concat(seen, " ")`);
      expect(seen).toBe('1=10 2=20 3=30 4=40 5=50 name=x true=false');
    });

    test('table.insert (append and at position) and table.remove', () => {
      const r = lua.evalAll(`
        local t = ext.table("seq")
        table.insert(t, 60)
        table.insert(t, 1, 0)
        local last = table.remove(t)
        local first = table.remove(t, 1)
        return last, first, #t`);
      expect(r).toEqual([60, 0, 5]);
      expect(local(lua.ext.get('seq'))).toEqual(new Map([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]));
    });

    test('table.concat', () => {
      expect(lua.eval('return table.concat(ext.table("seq"), "-")')).toBe('10-20-30-40-50');
    });

    test('table.sort (default and with a comparator)', () => {
      lua.eval('local t = ext.table("seq") t[1], t[5] = 50, 10');
      expect(lua.eval('local t = ext.table("seq") table.sort(t) return table.concat(t, ",")')).toBe('10,20,30,40,50');
      lua.eval('table.sort(ext.table("seq"), function(a, b) return a > b end)');
      expect([1, 2, 3, 4, 5].map((i) => lua.ext.get('seq').get(i))).toEqual([50, 40, 30, 20, 10]);
    });

    test('table.unpack', () => {
      expect(lua.evalAll('return table.unpack(ext.table("seq"))')).toEqual([10, 20, 30, 40, 50]);
    });

    test('pairs on an empty table visits nothing', () => {
      expect(lua.eval('local n = 0 for _ in pairs(ext.table("empty")) do n = n + 1 end return n')).toBe(0);
    });

    test('next: nil on an empty table, the first entry otherwise (the emptiness idiom)', () => {
      expect(lua.evalAll('return next(ext.table("empty")) == nil, next(ext.table("seq")) == nil')).toEqual([true, false]);
      expect(lua.evalAll('return next(ext.table("seq"))')).toEqual([1, 10]);
      expect(lua.evalAll('local t = ext.table("seq") return next(t, 5)')).toEqual([undefined]);
    });

    test('a loop of next calls visits every key once, in Map order, and may clear entries', () => {
      lua.eval('local t = ext.table("seq") t.name = "x"');
      expect(lua.eval(`
        local t, out = ext.table("seq"), {}
        local k, v = next(t)
        while k ~= nil do out[#out + 1] = tostring(k) .. "=" .. tostring(v) k, v = next(t, k) end
        return table.concat(out, " ")`)).toBe('1=10 2=20 3=30 4=40 5=50 name=x');
      expect(lua.eval('local t = ext.table("seq") for k in next, t do t[k] = nil end return next(t) == nil')).toBe(true);
      expect(lua.ext.get('seq').size).toBe(0);
    });

    test('next resumes from any key, also across proxies and interleaved loops', () => {
      expect(lua.evalAll('return next(ext.table("seq"), 3)')).toEqual([4, 40]);
      expect(lua.eval(`
        local a, b, n = ext.table("seq"), ext.table("seq"), 0
        for i in next, a do for j in next, a do n = n + 1 end end
        local k = next(a) return n .. " " .. tostring(next(b, k))`)).toBe('25 2');
    });

    test('next with a key not in the Map raises Lua\'s own error; on tables next is unchanged', () => {
      expect(lua.evalAll('return pcall(next, ext.table("seq"), "nope")')).toEqual([false, "invalid key to 'next'"]);
      expect(lua.evalAll('return pcall(next, {}, "nope")')).toEqual([false, "invalid key to 'next'"]);
      expect(lua.evalAll('return next({7})')).toEqual([1, 7]);
      expect(thrown(() => lua.eval('return next(1)')).message).toMatch(/bad argument #1 to 'next' \(table expected, got number\)/);
      expect(lua.eval('local t = ext.table("seq") t.a = {b = 1} local k, v = next(t, 5) return k .. v.b')).toBe('a1');
    });

    test('== compares the Maps: two proxies of one table are equal', () => {
      lua.eval('ext.table("seq").sub = {1}');
      expect(lua.evalAll(`
        local a, b = ext.table("seq"), ext.table("seq")
        return a == b, a.sub == b.sub, a ~= ext.table("other"), a.sub == a, rawequal(a, b), a == {}, a == 1`)).toEqual([
        true, true, true, false, false, false, false,
      ]);
      lua.ext.set('seq', new Map());
      expect(lua.eval('local a = ext.table("seq") return a == ext.table("seq")')).toBe(true);
    });

    test('ipairs and # work on nested proxies', () => {
      lua.eval('local t = ext.table("s") t.list = {"a", "b", "c"} table.insert(t.list, "d")');
      expect(lua.evalAll('local l = ext.table("s").list local n = 0 for _ in ipairs(l) do n = n + 1 end return #l, n, table.concat(l)')).toEqual([
        4, 4, 'abcd',
      ]);
    });
  });

  describe('proxy userdata under the full stdlib (debug reaches the hidden metatable)', () => {
    let full;
    beforeEach(async () => {
      full = await make({ stdlib: 'all' });
    });

    test('tostring, type and the metatable a script can see', () => {
      expect(full.evalAll('local p = ext.table("t") return tostring(p), type(p), getmetatable(p)')).toEqual(['ext.table: t', 'userdata', false]);
    });

    test('__gc called by hand retires the proxy once: later use is a clean error, the data and VM stay', () => {
      const r = full.evalAll(`
        local p = ext.table("t") p.x = 1
        local gc = debug.getmetatable(p).__gc
        gc(p) gc(p)                               -- twice: the second finds nothing to drop
        local ok, err = pcall(function() return p.x end)
        local ok2 = pcall(function() p.y = 2 end)
        local ok3 = pcall(function() return #p end)
        return ok, err, ok2, ok3, ext.table("t").x`);
      expect(r.slice(0, 5)).toEqual([false, expect.stringMatching(/ext\.table expected/), false, false, 1]);
      full.gc();
      expect(full.eval('return ext.table("t").x')).toBe(1);
    });

    test('the metamethods refuse what is not a live proxy', () => {
      const r = full.evalAll(`
        local mt = debug.getmetatable(ext.table("t"))
        local results = {}
        for _, name in ipairs({"__index", "__newindex", "__len", "__pairs", "__next", "__tostring"}) do
          results[#results + 1] = (pcall(mt[name], {}, "k", 1))
          results[#results + 1] = (pcall(mt[name], io.stdout, "k", 1))
        end
        mt.__gc({}) mt.__gc(io.stdout) mt.__gc(nil)   -- no effect
        return results, io.type(io.stdout), mt.__eq(io.stdout, ext.table("t")), ext.table("t") == io.stdout`);
      expect(r).toEqual([Array(12).fill(false), 'file', false, false]);
      expect(full.eval('local t = ext.table("t") t.v = 3 return t.v')).toBe(3);
    });

    test('a proxy resurrected by another finalizer is retired, not freed memory', () => {
      const r = full.evalAll(`
        do
          local p = ext.table("t") p.x = 1
          setmetatable({}, {__gc = function() saved = p end})
        end
        collectgarbage() collectgarbage()
        local ok, err = pcall(function() return saved.x end)
        return saved ~= nil, ok, err`);
      // The proxy and the table die in one cycle; whichever finalizer runs first, the
      // proxy is either still live (x = 1) or retired (a clean error).
      expect(r[0]).toBe(true);
      if (r[1]) expect(r[2]).toBe(1);
      else expect(r[2]).toMatch(/ext\.table expected/);
      expect(full.eval('collectgarbage() return ext.table("t").x')).toBe(1);
    });

    test('running out of memory while making proxies leaves the VM and its data intact', async () => {
      const small = await make({ memoryLimit: 4 * 1024 * 1024 });
      small.eval('local t = ext.table("t") t.sub = {a = 1}');
      // Every read of t.sub makes a new proxy userdata; kept, they fill the heap.
      const e = thrown(() => small.eval('local keep, t = {}, ext.table("t") while true do keep[#keep + 1] = t.sub end'));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('memory');
      small.gc();
      expect(small.evalAll('local t = ext.table("t") t.sub.b = 2 return t.sub.a, t.sub.b, #ext.tables()')).toEqual([1, 2, 1]);
      expect(small.memory().used).toBeLessThan(1024 * 1024);
    });

    test('debug.setmetatable lends the proxy metatable to another value without harm', () => {
      const r = full.evalAll(`
        local t = {}
        debug.setmetatable(t, debug.getmetatable(ext.table("t")))
        local ok = pcall(function() return t.k end)
        t = nil collectgarbage()
        return ok`);
      expect(r).toEqual([false]);
    });
  });

  describe('values', () => {
    test('integer vs float is kept: t.x = 2.0 reads back as a float, JS sees 2', () => {
      lua.eval('local t = ext.table("s") t.x = 2.0 t.i = 2 t.h = 0.5');
      expect(lua.evalAll('local t = ext.table("s") return math.type(t.x), math.type(t.i), math.type(t.h)')).toEqual([
        'float', 'integer', 'float',
      ]);
      const m = lua.ext.get('s');
      expect(m.get('x')).toBe(2);
      expect(m.get('i')).toBe(2);
      expect(m.get('h')).toBe(0.5);
      expect(lua.eval('return tostring(ext.table("s").x)')).toBe('2.0');
    });

    test('integral floats nested in stored tables stay floats', () => {
      lua.eval('ext.table("s").pt = {x = 1.0, y = 2}');
      expect(lua.evalAll('local p = ext.table("s").pt return math.type(p.x), math.type(p.y)')).toEqual(['float', 'integer']);
    });

    test('big integers and -0.0 survive', () => {
      lua.eval('local t = ext.table("s") t.big = math.maxinteger t.nz = -0.0');
      expect(lua.evalAll('local t = ext.table("s") return t.big == math.maxinteger, math.type(t.big), 1/t.nz')).toEqual([
        true, 'integer', -Infinity,
      ]);
      expect(lua.ext.get('s').get('big')).toBe(9223372036854775807n);
    });

    test('non-UTF-8 byte strings round trip byte-exact', () => {
      lua.eval('ext.table("s").bin = "\\xff\\0\\1\\x80"');
      const b = lua.ext.get('s').get('bin');
      expect(b).toBeInstanceOf(Uint8Array);
      expect(Array.from(b)).toEqual([255, 0, 1, 128]);
      expect(lua.evalAll('local b = ext.table("s").bin return b == "\\xff\\0\\1\\x80", #b')).toEqual([true, 4]);
    });

    test('a Uint8Array written by JS reads as a byte string in Lua', () => {
      lua.eval('ext.table("s")');
      lua.ext.get('s').set('raw', new Uint8Array([0, 255]));
      expect(lua.evalAll('local r = ext.table("s").raw return type(r), #r, r:byte(2)')).toEqual(['string', 2, 255]);
    });

    test('keys: strings, integers, floats, booleans', () => {
      lua.eval('local t = ext.table("k") t.s = 1 t[2] = 2 t[1.5] = 3 t[true] = 4 t[false] = 5');
      expect(lua.evalAll('local t = ext.table("k") return t.s, t[2], t[1.5], t[true], t[false]')).toEqual([1, 2, 3, 4, 5]);
      expect(local(lua.ext.get('k'))).toEqual(new Map([['s', 1], [2, 2], [1.5, 3], [true, 4], [false, 5]]));
    });

    test('assigning nil deletes the key', () => {
      lua.eval('local t = ext.table("s") t.a = 1 t.b = 2');
      lua.eval('ext.table("s").a = nil');
      expect(lua.ext.get('s').has('a')).toBe(false);
      expect(lua.ext.get('s').get('b')).toBe(2);
      expect(lua.eval('return ext.table("s").a')).toBeUndefined();
      lua.eval('ext.table("s").user = {n = 1} ext.table("s").user.n = nil');
      expect(lua.ext.get('s').get('user').size).toBe(0);
    });
  });

  describe('unsupported values are rejected with kind "ext", nothing written', () => {
    const before = (name) => local(lua.ext.get(name));

    beforeEach(() => {
      lua.eval('local t = ext.table("s") t.a = 1 t.user = {name = "bob", info = {level = 3}}');
    });

    test.each([
      ['a function', 'print'],
      ['a Lua closure', 'function() end'],
      ['a coroutine', 'coroutine.create(function() end)'],
    ])('%s', (_, expr) => {
      const snapshot = before('s');
      const e = thrown(() => lua.eval(`local t = ext.table("s")\n\nt.bad = ${expr}`));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('ext');
      expect(e.message).toContain('bad');
      expect(e.line).toBe(3);
      expect(e.message).toMatch(/:3:/);
      expect(local(lua.ext.get('s'))).toEqual(snapshot);
      expect(lua.ext.get('s').has('bad')).toBe(false);
    });

    test('a cyclic table', () => {
      const snapshot = before('s');
      const e = thrown(() => lua.eval('local c = {}\nc.me = c\nlocal t = ext.table("s") t.cyc = c'));
      expect(e.kind).toBe('ext');
      expect(e.message).toContain('cyc');
      expect(e.line).toBe(3);
      expect(local(lua.ext.get('s'))).toEqual(snapshot);
    });

    test('a table with a function deep inside: nothing of it is written', () => {
      const snapshot = before('s');
      const e = thrown(() => lua.eval('local t = ext.table("s")\nt.deep = {ok = 1, a = {b = {c = {f = print}}}}'));
      expect(e.kind).toBe('ext');
      expect(e.message).toContain('deep');
      expect(e.line).toBe(2);
      expect(lua.ext.get('s').has('deep')).toBe(false);
      expect(local(lua.ext.get('s'))).toEqual(snapshot);
    });

    test('a bad value inside a list', () => {
      const snapshot = before('s');
      const e = thrown(() => lua.eval('ext.table("s").list = {1, 2, {f = print}}'));
      expect(e.kind).toBe('ext');
      expect(e.message).toContain('list');
      expect(local(lua.ext.get('s'))).toEqual(snapshot);
    });

    test('a bad deep field written into an existing nested table leaves it unchanged', () => {
      const user = lua.ext.get('s').get('user');
      const userBefore = local(user);
      const snapshot = before('s');
      const e = thrown(() => lua.eval('local t = ext.table("s")\nt.user.extra = {x = {y = {fn = print}}}'));
      expect(e.kind).toBe('ext');
      expect(e.message).toContain('extra');
      expect(e.line).toBe(2);
      expect(local(user)).toEqual(userBefore);
      expect(user.has('extra')).toBe(false);
      expect(local(lua.ext.get('s'))).toEqual(snapshot);
    });

    test('overwriting a good value with a bad one keeps the old value', () => {
      const e = thrown(() => lua.eval('ext.table("s").a = {ok = 2, bad = print}'));
      expect(e.kind).toBe('ext');
      expect(lua.ext.get('s').get('a')).toBe(1);
    });

    test('the error is catchable in Lua as a string naming the key', () => {
      const [ok, msg, t] = lua.evalAll('local ok, e = pcall(function() ext.table("s").fn = print end) return ok, e, type(e)');
      expect(ok).toBe(false);
      expect(t).toBe('string');
      expect(msg).toContain('fn');
      expect(lua.ext.get('s').has('fn')).toBe(false);
    });

    test('the VM and its ext data stay usable after a rejected write', () => {
      expect(() => lua.eval('ext.table("s").f = print')).toThrow(LuaError);
      lua.eval('ext.table("s").after = true');
      expect(lua.ext.get('s').get('after')).toBe(true);
      expect(lua.ext.get('s').get('a')).toBe(1);
    });
  });
});
