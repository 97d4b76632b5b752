'use strict';
// The REPL driven through a real terminal: tmux runs the CLI in a pane, keys are sent
// with send-keys and the screen read back with capture-pane, polling with a deadline.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { forEachBackend, ROOT } = require('./backends');

const BIN = path.join(ROOT, 'bin', 'lua-persistent.js');
const SOCKET = `lp-repl-test-${process.pid}`; // a private tmux server: other sessions untouched

const tmux = (...args) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PROMPT = /\n>$/; // the screen ends at an empty prompt: the last line has finished
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A string expected on screen as a regex; the terminal shows a tab as spaces. */
const matcher = (p) => (typeof p === 'string' ? new RegExp(p.split('\t').map(escape).join(' +')) : p);
const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

let tmp;
let sessions = 0;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-repl-'));
  // An idle session keeps the server up between tests (it exits with its last session).
  tmux('new-session', '-d', '-s', 'keep', 'sleep 600');
});
afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A REPL in its own tmux window; `[exit N]` is printed when the CLI ends. */
async function startRepl(backend, { store = 'memory', history = path.join(tmp, `history-${backend}`) } = {}) {
  const name = `s${++sessions}`;
  const cmd = `env LUA_PERSISTENT_HISTORY=${quote(history)} ${quote(process.execPath)} ${quote(BIN)} --backend ${backend} --store ${quote(store)}; echo "[exit $?]"; sleep 600`;
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', name, cmd);
  const pane = {
    /** The whole pane with its scrollback; trailing blanks dropped, so a prompt reads '>'. */
    screen: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name).replace(/[ \t]+$/gm, '').trimEnd(),
    keys: (...keys) => tmux('send-keys', '-t', name, ...keys),
    /** Types a line and presses Enter. */
    line: (text) => (tmux('send-keys', '-t', name, '-l', text), tmux('send-keys', '-t', name, 'Enter')),
    /** Waits until the screen matches; returns it. `after` skips text already seen. */
    async waitFor(pattern, { timeout = 10000, after = 0 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const text = pane.screen();
        const rest = text.slice(after);
        if (matcher(pattern).test(rest)) return text;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
        await sleep(50);
      }
    },
    /** Types a line and waits for `expected` to show up from the current prompt on. */
    async run(text, expected) {
      const screen = pane.screen();
      const before = screen.lastIndexOf('\n') + 1;
      pane.line(text);
      return pane.waitFor(expected, { after: before });
    },
    close: () => tmux('kill-session', '-t', name),
  };
  await pane.waitFor(/Type \.help for commands\.\n>$/);
  return pane;
}

forEachBackend((backend) => {
  test('expressions print their values; multi-line chunks continue at >>; errors do not end it', async () => {
    const repl = await startRepl(backend);
    try {
      await repl.run('1 + 1', '> 1 + 1\n2\n>');
      await repl.run("10 // 3, 2^2, 'txt', nil, {}", /> 10 \/\/ 3.*\n3 +4\.0 +txt +nil +table: 0x[0-9a-f]+\n>$/);
      await repl.run('x = 5', '> x = 5\n>');
      await repl.run('function twice(n)', /\n>>$/);
      await repl.run('  return n * 2', '>>   return n * 2\n>>');
      await repl.run('end', '>> end\n>');
      await repl.run('twice(x) -- comment', '\n10\n>');
      await repl.run('return {1, 2, k = "v"}', /\n\{\[1\] = 1, \[2\] = 2, k = "v"\}\n>$/);
      // The printer shared with the playground (lib/format-value.js): numbers as Lua
      // writes them, functions by name, nested tables as constructors.
      await repl.run('return -0.0, math.huge, print, {n = {1, print}}', /\n-0\.0 +inf +function +\{n = \{1, function\}\}\n>$/);
      await repl.run('local y = nil; print(y.z)', "stdin:1: attempt to index a nil value (local 'y')\nstack traceback:");
      await repl.run('print("still alive", x)', 'still alive\t5\n>');
      await repl.run('x = = 1', "stdin:1: unexpected symbol near '='\n>");
      await repl.run('.help', '.tables');
      await repl.run('.nope', 'unknown command .nope (try .help)');
    } finally {
      repl.close();
    }
  });

  test('.tables, .save and .exit; the data is there for the next run', async () => {
    const store = path.join(tmp, `store-${backend}`);
    const repl = await startRepl(backend, { store });
    await repl.run('.tables', '(no external tables)');
    await repl.run("local t = ext.table('todo'); t[1] = 'a'; t[2] = 'b'; ext.table('cfg').on = true", PROMPT);
    await repl.run('.tables', 'cfg   1 entry\ntodo  2 entries\n>');
    await repl.run('.save', `saved to ${store}\n>`);
    expect(fs.existsSync(path.join(store, 'ext.luap'))).toBe(true);
    await repl.run("ext.table('todo')[3] = 'c'", PROMPT);
    await repl.run('.exit', '[exit 0]');
    repl.close();
    const again = await startRepl(backend, { store });
    try {
      await again.run("#ext.table('todo'), ext.table('todo')[3], ext.table('cfg').on", '3\tc\ttrue\n>');
    } finally {
      again.close();
    }
  });

  test('Ctrl-C interrupts a running chunk and keeps the globals; on the prompt it hints, twice leaves', async () => {
    const repl = await startRepl(backend);
    try {
      await repl.run('kept = 41', PROMPT);
      await repl.run('while true do end', '> while true do end');
      await sleep(300);
      const busy = repl.screen();
      repl.keys('C-c');
      await repl.waitFor(/interrupted.*\n>$/m, { after: busy.trimEnd().length });
      await repl.run('kept + 1', '\n42\n>');
      repl.keys('-l', 'half typed');
      repl.keys('C-c');
      await repl.waitFor('> half typed^C\n>');
      repl.keys('C-c');
      await repl.waitFor('(To exit, press Ctrl-C again, Ctrl-D, or type .exit)\n>');
      repl.keys('C-c');
      await repl.waitFor('[exit 0]');
    } finally {
      repl.close();
    }
  });

  test('history: Up recalls earlier lines, also from the previous session; Ctrl-D leaves', async () => {
    const history = path.join(tmp, `hist-up-${backend}`);
    const first = await startRepl(backend, { history });
    await first.run('first_line = 7', PROMPT);
    await first.run('second_line = 8', PROMPT);
    first.keys('C-d');
    await first.waitFor('[exit 0]');
    first.close();
    expect(fs.readFileSync(history, 'utf8')).toBe('first_line = 7\nsecond_line = 8\n');
    const repl = await startRepl(backend, { history });
    try {
      await repl.run('third = 1', PROMPT);
      repl.keys('Up', 'Up');
      await repl.waitFor(/> second_line = 8$/m);
      repl.keys('Up', 'Enter');
      await repl.waitFor(/> first_line = 7\n>$/);
      await repl.run('first_line * 6', '\n42\n>');
    } finally {
      repl.close();
    }
  });
});
