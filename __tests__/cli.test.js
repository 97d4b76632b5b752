'use strict';
// The command line (bin/lua-persistent.js) run as a real child process on each backend:
// output, exit statuses, error messages with line numbers, persistence between runs.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { forEachBackend, ROOT } = require('./backends');
const { runCli } = require('./helpers');

const BIN = path.join(ROOT, 'bin', 'lua-persistent.js');

const cli = (args, opts) => runCli(args, { timeout: 30000, ...opts });

let tmp;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function script(name, text) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('without a VM', () => {
  test('--help prints usage, options and defaults', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: lua-persistent \[options\] \[script \[args\]\]/);
    for (const opt of ['--store', '--backend', '--timeout', '--memory-limit', '--stdlib', '-e', '-i', '.lua-persistent']) {
      expect(r.stdout).toContain(opt);
    }
  });

  test('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`lua-persistent ${require('../package.json').version} (Lua 5.4)`);
  });

  test.each([
    [['--bogus'], /unrecognized option '--bogus'/],
    [['--backend', 'java'], /--backend must be one of auto, native, wasm, got 'java'/],
    [['--timeout', 'soon'], /--timeout expects a whole number, got 'soon'/],
    [['--memory-limit', '-5'], /--memory-limit expects a whole number of bytes/],
    [['--stdlib=none'], /--stdlib must be one of safe, all/],
    [['-e'], /'-e' needs an argument/],
    [['--store'], /--store needs a value/],
  ])('usage error %j exits 2 with a clear message', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/see lua-persistent --help/);
    expect(r.stdout).toBe('');
  });

  test('a missing script exits 1 naming the file', () => {
    const r = cli(['--store', 'memory', path.join(tmp, 'nope.lua')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lua-persistent: cannot open .*nope\.lua \(ENOENT\)/);
  });
});

forEachBackend((backend) => {
  const run = (args, opts) => cli(['--backend', backend, ...args], opts);

  test('runs a script: print output, arg table, shebang line skipped', () => {
    const file = script(`args-${backend}.lua`, '#!/usr/bin/env lua-persistent\nprint(arg[0]:match("[^/]+$"), #arg, arg[1], arg[2])\nprint(1 / 2, 7 // 2, "done")\n');
    const r = run(['--store', 'memory', file, 'one', 'two']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`args-${backend}.lua\t2\tone\ttwo\n0.5\t3\tdone\n`);
  });

  test('-e chunks run in order before the script and share globals', () => {
    const file = script(`e-${backend}.lua`, 'print("script sees", x)\n');
    const r = run(['--store', 'memory', '-e', 'x = 20', '-ex = x + 1', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('script sees\t21\n');
  });

  test('a runtime error names the script and line, with a traceback, and exits 1', () => {
    const file = script(`boom-${backend}.lua`, 'print("before")\nlocal t = nil\nprint(t.field)\n');
    const r = run(['--store', 'memory', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toContain(`lua-persistent: ${file}:3: attempt to index a nil value (local 't')\nstack traceback:`);
  });

  test('a syntax error names the line, and nothing of the script runs', () => {
    const file = script(`syntax-${backend}.lua`, 'print("never")\nlocal x = = 2\n');
    const r = run(['--store', 'memory', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`lua-persistent: ${file}:2: unexpected symbol near '='\n`);
  });

  test('-e errors are reported as (command line)', () => {
    const r = run(['--store', 'memory', '-e', 'local a = 1\nerror("bad " .. a)']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lua-persistent: \(command line\):2: bad 1\n/);
  });

  test('the script can come from stdin, by default or with -', () => {
    for (const args of [[], ['-']]) {
      const r = run(['--store', 'memory', ...args], { input: 'local n = 0\nfor i = 1, 10 do n = n + i end\nprint(n)\nerror("at four")\n' });
      expect(r.stdout).toBe('55\n');
      expect(r.stderr).toMatch(/^lua-persistent: stdin:4: at four/);
      expect(r.status).toBe(1);
    }
  });

  test("os.exit (--stdlib all) sets the exit status, as lua5.4's does; a failing one undoes the run", () => {
    const store = path.join(tmp, `exit-${backend}`);
    const counter = (how) => `local t = ext.table() t.n = (t.n or 0) + 1 print(t.n) os.exit(${how})`;
    // A success status ends the run as a script ends: its ext writes are saved.
    for (const expected of ['1\n', '2\n']) {
      const r = run(['--store', store, '--stdlib', 'all', '-e', counter('true')]);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, expected, '']);
    }
    // Any other status is a failed run: its writes are undone, the status is kept.
    for (const expected of [13, 13]) {
      const r = run(['--store', store, '--stdlib', 'all', '-e', counter('t.n + 10')]);
      expect([r.status, r.stdout, r.stderr]).toEqual([expected, '3\n', '']);
    }
    // No REPL after an exiting chunk; in the REPL, os.exit leaves with its status.
    expect(run(['--store', 'memory', '--stdlib', 'all', '-i', '-e', 'os.exit(0)']).stdout).toBe('');
    const repl = run(['--store', 'memory', '--stdlib', 'all', '-i'], { input: 'print("a")\nos.exit(4)\nprint("b")\n' });
    expect(repl.status).toBe(4);
    expect(repl.stdout).toContain('a\n');
    expect(repl.stdout).not.toContain('b\n');
    expect(run(['--store', 'memory', '-e', 'os.exit(3)']).stderr).toMatch(/attempt to call a nil value \(field 'exit'\)/);
  });

  test('limits: --timeout, --memory-limit, --instruction-limit end the chunk with a clear error', () => {
    const timeout = run(['--store', 'memory', '--timeout', '150', '-e', 'while true do end']);
    expect(timeout.status).toBe(1);
    expect(timeout.stderr).toMatch(/timeout/);
    const memory = run(['--store', 'memory', '--memory-limit', '2M', '-e', 'local t = {} for i = 1, 1e7 do t[i] = i end']);
    expect(memory.status).toBe(1);
    expect(memory.stderr).toMatch(/not enough memory/);
    const steps = run(['--store', 'memory', '--instruction-limit', '10000', '-e', 'for i = 1, 1e9 do end']);
    expect(steps.status).toBe(1);
    expect(steps.stderr).toMatch(/instruction/);
  });

  test('--stdlib: io is absent by default and present with all', () => {
    const safe = run(['--store', 'memory', '-e', 'print(io)']);
    expect(safe.stdout).toBe('nil\n');
    const all = run(['--store', 'memory', '--stdlib', 'all', '-e', 'print(type(io.write))']);
    expect(all.stdout).toBe('function\n');
  });

  test('require in the safe stdlib fails with a hint to --stdlib all; other errors get none', () => {
    const safe = run(['--store', 'memory', '-e', 'local json = require("json")']);
    expect(safe.status).toBe(1);
    expect(safe.stderr).toMatch(/attempt to call a nil value \(global 'require'\)\nstack traceback:[\s\S]*\n\(require is not in the safe standard library; use --stdlib all for trusted code\)\n$/);
    const all = run(['--store', 'memory', '--stdlib', 'all', '-e', 'local json = require("json")']);
    expect(all.stderr).toMatch(/module 'json' not found/);
    expect(all.stderr).not.toMatch(/--stdlib all/);
    expect(run(['--store', 'memory', '-e', 'error("plain")']).stderr).not.toMatch(/--stdlib/);
  });

  test('ext tables persist across runs in --store DIR; a failed run changes nothing', () => {
    const store = path.join(tmp, `store-${backend}`);
    const file = script(`persist-${backend}.lua`, "local t = ext.table('runs')\nt.n = (t.n or 0) + 1\nprint('run', t.n)\nif arg[1] == 'fail' then error('failing after the write') end\n");
    expect(run(['--store', store, file]).stdout).toBe('run\t1\n');
    const failed = run(['--store', store, file, 'fail']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/:4: failing after the write/);
    // The failed run was a transaction: its write was undone.
    expect(run([`--store=${store}`, file]).stdout).toBe('run\t2\n');
    expect(fs.existsSync(path.join(store, 'ext.luap'))).toBe(true);
    expect(fs.existsSync(path.join(store, 'ext.luap.lock'))).toBe(false);
  });

  test('the default store is ./.lua-persistent, or $LUA_PERSISTENT_STORE', () => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const code = "local t = ext.table('d') t.n = (t.n or 0) + 1 print(t.n)";
    // A run that writes no ext table needs no store: none is made.
    expect(run(['-e', 'print(1)'], { cwd }).stdout).toBe('1\n');
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(run(['-e', code], { cwd }).stdout).toBe('1\n');
    expect(run(['-e', code], { cwd }).stdout).toBe('2\n');
    expect(fs.readdirSync(path.join(cwd, '.lua-persistent')).sort()).toEqual(['ext.luap', 'ext.luap.prev']);
    const env = { LUA_PERSISTENT_STORE: path.join(cwd, 'elsewhere') };
    expect(run(['-e', code], { cwd, env }).stdout).toBe('1\n');
    expect(fs.existsSync(path.join(cwd, 'elsewhere', 'ext.luap'))).toBe(true);
  });

  test('--store memory writes nothing', () => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'mem-'));
    const r = run(['--store', 'memory', '-e', "ext.table('x').y = 1 print(ext.table('x').y)"], { cwd });
    expect(r.stdout).toBe('1\n');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('a store held by another process is a clear error, exit 1', async () => {
    const store = path.join(tmp, `locked-${backend}`);
    const holder = spawn(process.execPath, [BIN, '--backend', backend, '--store', store, '-e', 'while true do end'], { stdio: 'ignore' });
    try {
      const lock = path.join(store, 'ext.luap.lock');
      for (const deadline = Date.now() + 10000; !fs.existsSync(lock) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
      const r = run(['--store', store, '-e', 'print(1)']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^lua-persistent: the store .* is in use by .*close it first\n$/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('SIGINT interrupts a running script: exit 130, its writes undone, earlier runs kept', async () => {
    const store = path.join(tmp, `sigint-${backend}`);
    expect(run(['--store', store, '-e', "ext.table('s').earlier = true"]).status).toBe(0);
    const child = spawn(process.execPath, [BIN, '--backend', backend, '--store', store, '-e', "ext.table('s').before = true print('looping') while true do end"]);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => child.stdout.on('data', (d) => ((stdout += d), stdout.includes('looping') && resolve())));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/^lua-persistent: interrupted/);
    expect(run(['--store', store, '-e', "print(ext.table('s').earlier, ext.table('s').before)"]).stdout).toBe('true\tnil\n');
  });
});
