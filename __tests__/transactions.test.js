'use strict';
// Calls are transactions over ext data (docs/design.md "Transactions"): a call that
// fails, whatever its error kind, leaves the ext Maps as they were before it; nested
// calls are savepoints. Lua globals and JS's own writes to lua.ext are not undone.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);

  /** The ext tables as plain data (nested Maps as sorted entries), for comparing. An
   * entry a failed call deleted comes back at the end of its Map's order (JS Maps
   * cannot insert elsewhere), so order is not compared. */
  function dump(lua) {
    const plain = (m) => [...m]
      .map(([k, v]) => JSON.stringify([typeof k === 'bigint' ? `${k}n` : k, Object.prototype.toString.call(v) === '[object Map]' ? plain(v) : v]))
      .sort();
    return JSON.stringify(plain(lua.ext));
  }

  async function seeded(options = {}) {
    const lua = await make(options);
    lua.eval(`local t = ext.table('acct')
      t.balance = 100 t.f = 2.0 t.user = { name = 'ann', tags = { 'a', 'b' } }
      for i = 1, 10 do t[i] = i end
      ext.table('other').x = 1`);
    return lua;
  }

  const WRITES = `local t = ext.table('acct')
    t.balance = t.balance - 50 t.f = 3 t.new = 'n' t[3] = nil t.user.name = 'bob'
    t.user.tags[3] = 'c' t.user = nil ext.table('made').y = 1 ext.drop('other')`;

  const failures = {
    'a runtime error': [{}, `${WRITES} error('boom')`, 'runtime'],
    'a timeout': [{}, `${WRITES} while true do end`, 'timeout', { timeout: 50 }],
    'the instruction limit': [{ instructionLimit: 200000 }, `${WRITES} while true do end`, 'instructions'],
    'the memory limit': [{ memoryLimit: 8 * 1024 * 1024 }, `${WRITES} local s = {} for i = 1, 1e8 do s[i] = i end`, 'memory'],
    'storageLimit': [{ storageLimit: 64 * 1024 }, `${WRITES} ext.table('acct').big = string.rep('x', 100000)`, 'memory'],
    'an ext rule': [{}, `${WRITES} ext.table('acct').bad = print`, 'ext'],
    'os.exit': [{}, `${WRITES} os.exit(3)`, 'runtime'],
  };

  describe.each(Object.entries(failures))('a call failing with %s undoes every ext change', (_, [options, code, kind, callOptions]) => {
    test('eval: the Maps are as before, the same objects', async () => {
      const lua = await seeded(options);
      const before = dump(lua);
      const acct = lua.ext.get('acct');
      const user = acct.get('user');
      const other = lua.ext.get('other');
      const e = thrown(() => lua.eval(code, callOptions));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe(kind);
      expect(dump(lua)).toBe(before);
      expect(lua.ext.get('acct')).toBe(acct);
      expect(lua.ext.get('acct').get('user')).toBe(user);
      expect(lua.ext.get('other')).toBe(other);
      expect(lua.ext.has('made')).toBe(false);
      // Floats stay floats: their tags came back too.
      expect(lua.eval("return math.type(ext.table('acct').f)")).toBe('float');
      // The VM goes on, and its next call commits.
      expect(lua.eval("local t = ext.table('acct') t.balance = t.balance + 1 return t.balance")).toBe(101);
    });

    test('run: ok false, nothing kept', async () => {
      const lua = await seeded(options);
      const before = dump(lua);
      const r = lua.run(code, callOptions);
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe(kind);
      expect(dump(lua)).toBe(before);
    });
  });

  test('call() and Lua functions called from JS are transactions too', async () => {
    const lua = await seeded();
    const before = dump(lua);
    lua.eval(`function spend(n) local t = ext.table('acct') t.balance = t.balance - n if t.balance < 0 then error('overdrawn') end return t.balance end`);
    expect(thrown(() => lua.call('spend', 500)).message).toMatch(/overdrawn/);
    expect(dump(lua)).toBe(before);
    const spend = lua.eval('return spend');
    expect(() => spend(1000)).toThrow(/overdrawn/);
    expect(dump(lua)).toBe(before);
    expect(spend(30)).toBe(70);
  });

  test('an error caught by pcall inside the call undoes nothing: only the call fails or not', async () => {
    const lua = await seeded();
    expect(lua.eval(`local t = ext.table('acct') t.balance = 1
      pcall(function() t.balance = 2 error('x') end) return t.balance`)).toBe(2);
    expect(lua.ext.get('acct').get('balance')).toBe(2);
  });

  test('nested calls: a failed inner call undoes only its own changes', async () => {
    const lua = await seeded();
    lua.setGlobal('inner', () => {
      try {
        lua.eval("ext.table('acct').balance = 0 ext.table('acct').inner = true error('inner fails')");
      } catch (e) {
        return e.message;
      }
      return 'no error';
    });
    const msg = lua.eval("local t = ext.table('acct') t.outer = 1 local m = inner() t.after = 2 return m");
    expect(msg).toMatch(/inner fails/);
    const acct = lua.ext.get('acct');
    expect([acct.get('outer'), acct.get('after'), acct.get('balance'), acct.has('inner')]).toEqual([1, 2, 100, false]);
  });

  test('nested calls: an inner call that returned is undone with the outer call that fails', async () => {
    const lua = await seeded();
    const before = dump(lua);
    lua.setGlobal('inner', () => lua.eval("ext.table('acct').balance = 0 ext.table('acct').inner = true return 1"));
    expect(() => lua.eval("ext.table('acct').outer = 1 inner() error('outer fails')")).toThrow(/outer fails/);
    expect(dump(lua)).toBe(before);
  });

  test('a key written in the outer call, then in a failed inner call, gets the outer value back', async () => {
    const lua = await seeded();
    lua.setGlobal('inner', () => thrown(() => lua.eval("ext.table('acct').balance = -1 error('no')")).kind);
    expect(lua.eval("local t = ext.table('acct') t.balance = 7 inner() return t.balance")).toBe(7);
    expect(lua.ext.get('acct').get('balance')).toBe(7);
  });

  test('Lua globals are not undone, nor what JS itself wrote to lua.ext', async () => {
    const lua = await seeded();
    lua.setGlobal('jsWrites', () => {
      lua.ext.get('acct').set('byJs', 1);
    });
    expect(() => lua.eval("counter = 5 jsWrites() ext.table('acct').byLua = 1 error('x')")).toThrow();
    expect(lua.eval('return counter')).toBe(5);
    expect(lua.ext.get('acct').get('byJs')).toBe(1);
    expect(lua.ext.get('acct').has('byLua')).toBe(false);
  });

  test('a call that changes more entries than storageLimit can undo fails with kind memory, undone', async () => {
    // 64 bytes per journal entry: 64 KiB lets one call change about a thousand entries.
    const lua = await seeded({ storageLimit: 64 * 1024 });
    const before = dump(lua);
    const e = thrown(() => lua.eval("local t = ext.table('acct') for i = 1, 5000 do t['k' .. i] = 1 t['k' .. i] = nil end"));
    expect(e.kind).toBe('memory');
    expect(e.message).toMatch(/not enough memory to undo this call/);
    expect(dump(lua)).toBe(before);
    // Writing one key many times journals it once.
    expect(lua.eval("local t = ext.table('acct') for i = 1, 100000 do t.balance = i end return t.balance")).toBe(100000);
  });

  test('undo restores deleted entries and dropped tables in their place', async () => {
    const lua = await seeded();
    const keys = [...lua.ext.get('acct').keys()];
    const tables = [...lua.ext.keys()];
    expect(() => lua.eval("local t = ext.table('acct') for k in pairs(t) do t[k] = nil end ext.drop('acct') ext.drop('other') error('x')")).toThrow();
    // Values and tables are back; Map order may differ for entries deleted and put back.
    expect(new Set(lua.ext.get('acct').keys())).toEqual(new Set(keys));
    expect(new Set(lua.ext.keys())).toEqual(new Set(tables));
  });
});
