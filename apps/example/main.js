// The example page: bundled by scripts/build-web.js, which resolves 'lua-persistent'
// through the package's own "exports" (browser condition -> web/index.js).
import { createLua, LuaError } from 'lua-persistent';

const EXAMPLES = {
  'ext tables': `-- Globals persist between runs; ext tables live in JS Maps.
runs = (runs or 0) + 1

local visits = ext.table('visits')
visits.count = (visits.count or 0) + 1
visits.pi = math.pi

local users = ext.table('users')
users.ada = users.ada or { score = 0, tags = { 'admin', 'math' } }
users.ada.score = users.ada.score + 10

print(('run #%d: ada has %d points'):format(runs, users.ada.score))
for i, tag in ipairs(users.ada.tags) do print(i, tag) end
return visits.count, users.ada.score`,
  'runtime error': `local t = ext.table('visits')
print('about to fail...')
local n = nil
return n + 1  -- line 4: arithmetic on a nil value`,
  'syntax error': `local x = 1
if x == 1 then
  print('missing end')
-- no 'end' here`,
  'timeout': `-- each run has a 1 s time limit
while true do end`,
  'memory limit': `-- the VM has a 16 MiB heap limit
local t = {}
for i = 1, 1e8 do t[i] = ('x'):rep(64) .. i end`,
};

const $ = (id) => document.getElementById(id);
const code = $('code');
const output = $('output');
const status = $('status');
const errorBox = $('error');
const extView = $('ext');

// Exposed for tests and the console.
window.lp = { createLua, LuaError };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function scalar(v) {
  if (typeof v === 'string') return el('span', 's', JSON.stringify(v));
  if (typeof v === 'number') return el('span', 'n', String(v));
  if (typeof v === 'bigint') return el('span', 'n', `${v}n`);
  if (typeof v === 'boolean') return el('span', 'b', String(v));
  if (v instanceof Uint8Array) return el('span', 't', `Uint8Array(${v.length})`);
  return el('span', 't', String(v));
}

/** A Map as a nested list: key → value, nested Maps indented. */
function renderMap(map, root) {
  const ul = el('ul', root ? 'map root' : 'map');
  for (const [k, v] of map) {
    const li = el('li');
    li.append(typeof k === 'string' ? el('span', 'k', k) : scalar(k), ' → ');
    if (v instanceof Map) {
      li.append(el('span', 't', `Map(${v.size})`), renderMap(v, false));
    } else {
      li.append(scalar(v));
    }
    ul.append(li);
  }
  return ul;
}

function showExt(lua) {
  extView.replaceChildren();
  if (lua.ext.size === 0) {
    extView.append(el('span', 'hint', 'no external tables yet'));
    return;
  }
  const ul = el('ul', 'map root');
  for (const [name, table] of lua.ext) {
    const li = el('li');
    li.append(el('span', 'k', `ext.table(${JSON.stringify(name)})`), ' ', el('span', 't', `Map(${table.size})`), renderMap(table, false));
    ul.append(li);
  }
  extView.append(ul);
}

function formatValue(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Map) return `Map(${v.size})`;
  if (typeof v === 'function') return 'function';
  if (v && typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

function showResult(r, lua) {
  output.textContent = r.output || '';
  if (r.ok) {
    errorBox.style.display = 'none';
    status.className = 'ok';
    const values = r.values.length ? ` → ${r.values.map(formatValue).join(', ')}` : '';
    const ms = r.stats && r.stats.durationMs !== undefined ? ` in ${r.stats.durationMs.toFixed(1)} ms` : '';
    status.textContent = `ok${ms}${values}`;
  } else {
    const e = r.error;
    status.className = 'bad';
    status.textContent = `${e.kind} error`;
    errorBox.replaceChildren(
      el('span', 'kind', `${e.kind} error${e.line ? ` at line ${e.line}` : ''}: `),
      el('span', '', e.luaMessage || e.message),
    );
    errorBox.style.display = 'block';
  }
  showExt(lua);
}

async function main() {
  const lua = await createLua({ timeout: 1000, memoryLimit: 16 * 1024 * 1024, print: () => {} });
  window.lp.lua = lua;

  const select = $('examples');
  for (const name of Object.keys(EXAMPLES)) select.append(new Option(name, name));
  select.addEventListener('change', () => {
    code.value = EXAMPLES[select.value];
    code.focus();
  });
  code.value = EXAMPLES['ext tables'];

  const runCode = () => {
    const r = lua.run(code.value, { chunkName: 'main.lua' });
    showResult(r, lua);
    return r;
  };
  $('run').addEventListener('click', runCode);
  $('reset').addEventListener('click', () => {
    lua.reset();
    output.textContent = '';
    errorBox.style.display = 'none';
    status.className = '';
    status.textContent = 'fresh VM (ext tables kept)';
  });
  code.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      runCode();
    }
  });
  $('run').disabled = false;
  $('reset').disabled = false;
  window.lp.runCode = runCode;
  return runCode();
}

window.lpReady = main().catch((e) => {
  status.className = 'bad';
  status.textContent = `failed to start: ${e && e.message}`;
  console.error(e);
  throw e;
});
