// The playground page: editor, output, ext-table inspector and the buttons. Lua runs in
// worker.js (through client.js); this thread only draws, so it stays responsive while
// a script runs.
import { createEditor } from './editor.js';
import { renderTables } from './inspector.js';
import { VmClient, StoppedError } from './client.js';
import { EXAMPLES, DEFAULT_EXAMPLE } from './examples.js';

const $ = (id) => document.getElementById(id);
const CODE_KEY = 'lua-playground:code';
const MAX_RUNS_SHOWN = 40;
const WATCHDOG_GRACE = 2000; // ms past the VM's own time limit before the page steps in

// ?db=<name>&timeout=<ms> are passed on to the worker (tests use their own values).
const params = new URLSearchParams(location.search);
const query = new URLSearchParams([...params].filter(([k]) => k === 'db' || k === 'timeout')).toString();
const client = new VmClient(query ? `?${query}` : '');

let timeLimit = 5000;
let runCount = 0;
let ready = false; // a VM is up
let busy = false; // a run or a storage action is under way

function setStatus(text, kind = 'info') {
  const s = $('status');
  s.textContent = text;
  s.dataset.kind = kind;
}

function setBusy(value) {
  busy = value;
  document.body.classList.toggle('busy', busy);
  $('run').disabled = busy || !ready;
  $('stop').disabled = !busy;
  for (const id of ['export', 'import-button', 'clear']) $(id).disabled = busy || !ready;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

const el = (tag, className, text = '') => Object.assign(document.createElement(tag), { className, textContent: text });

/** One block in the output pane; old blocks beyond MAX_RUNS_SHOWN are dropped. */
function addOutput(block) {
  const out = $('output');
  out.querySelector('.hint')?.remove();
  out.append(block);
  while (out.children.length > MAX_RUNS_SHOWN) out.firstElementChild.remove();
  out.scrollTop = out.scrollHeight;
}

/** A block with a small heading line; `ok` picks the ✓ or ✗ mark. */
function block(ok, head, extraClass = '') {
  const b = el('div', `run ${ok ? 'ok' : 'failed'} ${extraClass}`.trim());
  b.append(el('div', 'run-head', head));
  return b;
}

/** Storage actions and stops are reported in the output too, where the eye is. */
function note(ok, head, text) {
  const b = block(ok, head, 'note');
  b.append(el('pre', ok ? 'quiet' : 'error', text));
  addOutput(b);
}

/** A run time for people: '6.3 ms', '42 ms' (durationMs is a raw float like 6.2999999998137355). */
function formatMs(ms) {
  return ms < 10 ? `${Number(ms.toFixed(1))} ms` : `${Math.round(ms)} ms`;
}

/** 'runtime error: x.lua:3: boom'; a message that already starts with its kind
 * ('timeout: script ran longer than ...') is not prefixed again. */
function errorText(error) {
  return error.message.startsWith(`${error.kind}:`) ? error.message : `${error.kind} error: ${error.message}`;
}

function showResult(r) {
  const b = block(r.ok, `run #${runCount}${r.ms !== undefined ? ` · ${formatMs(r.ms)}` : ''}`);
  if (r.output) b.append(el('pre', 'print', r.output.replace(/\n$/, '')));
  if (r.count) b.append(el('pre', 'values', r.values));
  if (r.error) b.append(el('pre', 'error', errorText(r.error)));
  if (r.saveError) b.append(el('pre', 'error', r.saveError));
  if (r.ok && !r.output && !r.count) b.append(el('div', 'quiet', 'ok (no output)'));
  addOutput(b);
  if (r.error && r.error.line) editor.showError(r.error.line, errorText(r.error));
}

async function refreshTables() {
  try {
    renderTables($('inspector'), await client.request('tables'));
  } catch (e) {
    if (!(e instanceof StoppedError)) setStatus(`Could not read the ext tables: ${e.message}`, 'error');
  }
}

/** Starts (or restarts) the worker and says what was loaded from IndexedDB. */
async function started(promise, before) {
  ready = false;
  setBusy(false);
  try {
    const info = await promise;
    timeLimit = info.timeout;
    ready = true;
    let text = `${before}${plural(info.tables, 'ext table')} loaded from IndexedDB · time limit ${timeLimit / 1000} s`;
    if (info.recovery) text += ` · the stored data was damaged (${info.recovery.message}); kept as ${info.recovery.keptAs}`;
    setStatus(text, info.recovery ? 'error' : 'info');
    await refreshTables();
  } catch (e) {
    setStatus(`The Lua VM could not start: ${e.message}`, 'error');
  }
  setBusy(false);
}

async function run() {
  if (!ready || busy) return;
  editor.clearError();
  runCount++;
  setBusy(true);
  setStatus(`Running #${runCount}…`, 'busy');
  // The VM ends a run at its time limit; this is the backstop if it ever does not.
  const watchdog = setTimeout(() => stop(`run #${runCount} did not end within its time limit`), timeLimit + WATCHDOG_GRACE);
  try {
    const r = await client.request('run', { code: editor.text() });
    showResult(r);
    setStatus(r.ok ? `Run #${runCount} finished in ${formatMs(r.ms)}` : `Run #${runCount} failed (${r.error.kind})`, r.ok ? 'info' : 'error');
    setBusy(false);
    await refreshTables();
  } catch (e) {
    if (!(e instanceof StoppedError)) {
      note(false, `run #${runCount}`, e.message);
      setBusy(false);
    }
  } finally {
    clearTimeout(watchdog);
  }
}

function stop(why = `run #${runCount} stopped`) {
  if (!busy) return;
  note(false, `run #${runCount} · stopped`, `${why}: the worker was terminated and a new VM started (globals reset, ext tables reloaded from IndexedDB)`);
  started(client.restart(why), 'Stopped; new VM: ');
}

function download(bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: `lua-playground-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.luap` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Runs a storage action with the buttons disabled; `fn` resolves to what to report. */
async function action(what, fn) {
  setBusy(true);
  try {
    const text = await fn();
    setStatus(text);
    note(true, what, text);
  } catch (e) {
    if (!(e instanceof StoppedError)) {
      setStatus(e.message, 'error');
      note(false, what, e.message);
    }
  }
  setBusy(false);
  await refreshTables();
}

const exportSnapshot = () => action('export', async () => {
  const bytes = await client.request('snapshot');
  download(bytes);
  return `Exported a snapshot (${bytes.length} bytes)`;
});

const importSnapshot = (file) => action('import', async () => {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const n = await client.request('restore', { bytes }, [bytes.buffer]);
    return `Imported ${file.name}: ${plural(n, 'ext table')}, saved to IndexedDB`;
  } catch (e) {
    throw new Error(`Could not import ${file.name}: ${e.message} (nothing was changed)`);
  }
});

const clearStorage = () => {
  if (!confirm('Delete every ext table from IndexedDB and start a fresh VM?')) return;
  action('clear storage', async () => {
    await client.request('clear');
    return 'Storage cleared: a fresh VM with no ext tables';
  });
};

const editor = createEditor($('editor'), localStorage.getItem(CODE_KEY) ?? EXAMPLES[DEFAULT_EXAMPLE], {
  onRun: run,
  onChange: (text) => localStorage.setItem(CODE_KEY, text),
});

for (const name of Object.keys(EXAMPLES)) $('example').append(new Option(name, name));
$('example').onchange = (e) => {
  if (e.target.value) editor.setText(EXAMPLES[e.target.value]);
  e.target.value = '';
  editor.view.focus();
};
$('run').onclick = run;
$('stop').onclick = () => stop();
$('export').onclick = exportSnapshot;
$('import-button').onclick = () => $('import').click();
$('import').onchange = (e) => {
  const file = e.target.files[0];
  e.target.value = ''; // the same file can be picked again
  if (file) importSnapshot(file);
};
$('clear').onclick = clearStorage;
$('clear-output').onclick = () => $('output').replaceChildren();

editor.view.focus();
setStatus('Starting Lua (wasm)…', 'busy');
started(client.start(), '');
