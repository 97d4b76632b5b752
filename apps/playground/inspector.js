// The ext-table inspector: one section per table, rows key | type | value, nested
// tables as <details> that expand in place. Redrawn after every run; which tables and
// nested tables were open is kept across redraws (by their key path, data-path: a JSON
// array of the table name and the keys down to it).

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const cells = (r) => [el('span', { className: 'key' }, r.key), el('span', { className: `type t-${r.type}` }, r.type), el('span', { className: `value v-${r.type}` }, r.value)];

/** A nested table takes a whole row (all three columns), so deep levels keep their width. */
function row(r, path) {
  if (!r.rows) return el('tr', {}, ...cells(r).map((c) => el('td', {}, c)));
  const d = el('details', { className: 'nested' }, el('summary', {}, ...cells(r)));
  d.dataset.path = JSON.stringify(path);
  if (r.rows.length) d.append(rowsTable(r.rows, path));
  return el('tr', { className: 'nested-row' }, el('td', { colSpan: 3 }, d));
}

function rowsTable(rows, path, head = false) {
  const table = el('table', { className: 'rows' });
  table.append(el('colgroup', {}, el('col', { className: 'c-key' }), el('col', { className: 'c-type' }), el('col')));
  if (head) table.append(el('thead', {}, el('tr', {}, el('th', {}, 'key'), el('th', {}, 'type'), el('th', {}, 'value'))));
  table.append(el('tbody', {}, ...rows.map((r) => row(r, [...path, r.key]))));
  return table;
}

function openPaths(root) {
  return new Set([...root.querySelectorAll('details[open]')].map((d) => d.dataset.path));
}

const seen = new WeakMap(); // root -> names of the tables drawn before

/** Draws `tables` ([{ name, size, rows }] from tables.js) into `root`. */
export function renderTables(root, tables) {
  const open = openPaths(root);
  if (!seen.has(root)) seen.set(root, new Set());
  const known = seen.get(root);
  if (!tables.length) {
    root.replaceChildren(el('p', { className: 'hint' }, 'No ext tables yet. Try ', el('code', {}, "ext.table('notes').hello = 'world'"), '.'));
    return;
  }
  root.replaceChildren(...tables.map((t) => {
    const d = el('details', { className: 'ext-table' },
      el('summary', {}, el('span', { className: 'name' }, t.name), el('span', { className: 'count' }, `${t.size} ${t.size === 1 ? 'entry' : 'entries'}`)));
    d.dataset.path = JSON.stringify([t.name]);
    d.dataset.table = t.name;
    d.append(t.rows.length ? rowsTable(t.rows, [t.name], true) : el('p', { className: 'hint' }, 'empty'));
    return d;
  }));
  // A table seen for the first time starts open; after that the user's choice is kept.
  for (const d of root.querySelectorAll('details')) {
    d.open = open.has(d.dataset.path) || (d.classList.contains('ext-table') && !known.has(d.dataset.table));
  }
  for (const t of tables) known.add(t.name);
}
