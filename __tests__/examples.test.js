'use strict';
// Every Lua example in examples/ run through the CLI on each backend, twice or more
// where its state must persist between runs.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { forEachBackend, ROOT } = require('./backends');
const { runCli } = require('./helpers');

const EXAMPLES = path.join(ROOT, 'examples');
const TESTED = ['counter.lua', 'todo.lua', 'state-machine.lua', 'data-processing.lua'];

let tmp;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-examples-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every Lua example has a test here', () => {
  expect(fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.lua')).sort()).toEqual([...TESTED].sort());
});

forEachBackend((backend) => {
  /** A runner bound to a fresh store: run(args) -> { status, stdout, stderr }. */
  function withStore(name) {
    const store = path.join(tmp, `${name}-${backend}`);
    return (args) => runCli(['--backend', backend, '--store', store, ...args]);
  }
  const ok = (r) => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };

  test('counter: the count goes on across runs', () => {
    const run = withStore('counter');
    expect(ok(run(['examples/counter.lua']))).toBe('run #1\n');
    expect(ok(run(['examples/counter.lua']))).toMatch(/^run #2\nprevious run at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });

  test('todo: add, done, edit, remove, list, each in its own run', () => {
    const run = withStore('todo');
    const todo = (...args) => run(['examples/todo.lua', ...args]);
    expect(ok(todo('add', 'buy milk'))).toBe('added #1: buy milk\n');
    expect(ok(todo('add', 'write docs'))).toBe('added #2: write docs\n');
    expect(ok(todo('done', '2'))).toBe('done #2: write docs\n');
    expect(ok(todo('edit', '1', 'buy oat milk'))).toBe('edited #1: buy oat milk\n');
    expect(ok(todo('add', 'ship it'))).toBe('added #3: ship it\n');
    expect(ok(todo('remove', '3'))).toBe('removed #3: ship it\n');
    expect(ok(todo())).toBe('  1 [ ] buy oat milk\n  2 [x] write docs\n2 todo(s)\n');
    const missing = todo('done', '3');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^lua-persistent: no todo #3 \(see: list\)\n/);
    const unknown = todo('frobnicate');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  test('state-machine: the state survives runs; a bad event fails with its line and changes nothing', () => {
    const run = withStore('state');
    const send = (event) => run(['examples/state-machine.lua', event]);
    expect(ok(send('pay'))).toBe('new --pay--> paid\nnext: refund, ship\n');
    const bad = send('deliver');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^lua-persistent: examples\/state-machine\.lua:\d+: cannot deliver an order that is paid \(allowed: refund, ship\)\n/);
    expect(ok(send('ship'))).toBe('paid --ship--> shipped\nnext: deliver, lose\n');
    expect(ok(send('deliver'))).toBe('shipped --deliver--> delivered\n');
    expect(send('refund').stderr).toMatch(/cannot refund an order that is delivered \(allowed: none, it is final\)/);
    expect(ok(send('status'))).toBe('state: delivered (3 transitions)\n');
    expect(ok(run(['-e', "local l = ext.table('order_log') print(l[1].event, l[2].event, l[3].to)"]))).toBe('pay\tship\tdelivered\n');
  });

  test('data-processing: 100k entries built, then updated, with aggregates', () => {
    const run = withStore('data');
    const day1 = ok(run(['examples/data-processing.lua']));
    expect(day1.split('\n')[0]).toBe('day 1: 100000 readings, sum 100015216, mean 1000.15, min 500, max 1499');
    const day2 = ok(run(['examples/data-processing.lua']));
    expect(day2.split('\n')[0]).toBe('day 2: 100000 readings, sum 100016219, mean 1000.16, min 490, max 1509');
    const histogram = day2.trim().split('\n').slice(1).map((line) => Number(line.trim().split(/\s+/).pop()));
    expect(histogram.reduce((a, b) => a + b, 0)).toBe(100000);
    const check = "local r, s = ext.table('readings'), ext.table('summary') local n = 0 for _, v in pairs(r) do n = n + v end print(#r, s.day, n == s.sum)";
    expect(ok(run(['-e', check]))).toBe('100000\t2\ttrue\n');
  });
});
