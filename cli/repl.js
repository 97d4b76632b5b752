'use strict';
// The interactive loop, after lua5.4's: '> ' prompt, '>> ' while a chunk is incomplete,
// a first line tried as an expression list so its values print. Lines typed while a
// chunk runs wait their turn; Ctrl-C interrupts the running chunk, clears a line being
// typed, or (twice on an empty line) leaves.

const readline = require('readline');
const { formatError, isIncomplete } = require('./format');
const { historyFile, loadHistory, saveHistory, SIZE } = require('./history');
const { VERSION } = require('./help');

const CHUNK = 'stdin';

const COMMANDS_HELP = `.help     this list
.tables   external tables and their sizes
.save     write the external tables to the store now
.exit     leave (Ctrl-D does too); ext data is saved on the way out
Ctrl-C interrupts a running chunk; multi-line input continues at '>> '.`;

class Repl {
  constructor(session, { backend, store, stdlib, input = process.stdin, output = process.stdout }) {
    this.session = session;
    this.store = store;
    this.stdlib = stdlib;
    this.output = output;
    this.buffer = null; // the lines of an incomplete chunk
    this.queue = [];
    this.working = false;
    this.closed = false;
    this.status = 0; // what os.exit asked for, else 0
    this.lastSigint = false;
    const file = input.isTTY ? historyFile() : null;
    this.rl = readline.createInterface({ input, output, prompt: '> ', history: loadHistory(file), historySize: SIZE, terminal: Boolean(input.isTTY) });
    this.rl.on('history', (lines) => saveHistory(file, lines));
    this.say(`${VERSION}, ${backend} backend, store: ${store}\nType .help for commands.`);
  }

  say(text) {
    this.output.write(`${text}\n`);
  }

  /** Resolves when the user leaves, after every queued line ran. */
  run() {
    return new Promise((resolve) => {
      this.done = resolve;
      this.rl.on('line', (line) => this.enqueue(line));
      this.rl.on('SIGINT', () => this.onSigint());
      this.rl.on('close', () => {
        if (this.rl.terminal) this.output.write('\n'); // Ctrl-D leaves the cursor after the prompt
        this.closed = true;
        this.pump();
      });
      this.rl.prompt();
    });
  }

  enqueue(line) {
    this.lastSigint = false;
    this.queue.push(line);
    this.pump();
  }

  async pump() {
    if (this.working) return;
    this.working = true;
    while (this.queue.length) await this.handle(this.queue.shift());
    this.working = false;
    if (this.closed) return this.done(this.status);
    this.rl.setPrompt(this.buffer ? '>> ' : '> ');
    this.rl.prompt();
  }

  onSigint() {
    if (this.session.interrupt()) return;
    const typing = this.rl.line.length > 0 || this.buffer !== null;
    if (!typing && this.lastSigint) return this.rl.close();
    this.lastSigint = !typing;
    this.buffer = null;
    // The typed text stays on screen after '^C'; readline's copy is cleared below it.
    this.say(typing ? '^C' : '^C\n(To exit, press Ctrl-C again, Ctrl-D, or type .exit)');
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
    this.rl.setPrompt('> ');
    this.rl.prompt();
  }

  async handle(line) {
    if (this.buffer === null && /^\s*\.[a-z]+\s*$/.test(line)) return this.command(line.trim());
    if (this.buffer === null) {
      if (!line.trim()) return;
      const r = await this.session.expression(line, CHUNK);
      if (r.ok) return r.value.count > 0 && this.say(r.value.text);
      if (r.error.kind !== 'syntax') return this.fail(r.error);
    }
    const code = this.buffer === null ? line : `${this.buffer}\n${line}`;
    const r = await this.session.exec(code, CHUNK);
    this.buffer = !r.ok && isIncomplete(r.error) ? code : null;
    if (this.buffer !== null) return;
    if (!r.ok) return this.fail(r.error);
    if (r.value.count > 0) this.say(r.value.text);
  }

  fail(error) {
    if (error.exitCode !== undefined) return this.exit(error.exitCode);
    process.stderr.write(`${formatError(error, { stdlib: this.stdlib })}\n`);
  }

  /** os.exit(code) in a chunk (stdlib 'all'): leave with that status, dropping queued lines. */
  exit(code) {
    this.status = code;
    this.queue.length = 0;
    this.rl.close();
  }

  async command(name) {
    const commands = {
      '.help': () => this.say(COMMANDS_HELP),
      '.exit': () => this.rl.close(),
      '.tables': () => this.listTables(),
      '.save': () => this.save(),
    };
    if (!commands[name]) return this.say(`unknown command ${name} (try .help)`);
    return commands[name]();
  }

  async listTables() {
    const r = await this.session.tables();
    if (!r.ok) return this.fail(r.error);
    if (!r.value.length) return this.say('(no external tables)');
    const width = Math.max(...r.value.map((t) => t.name.length));
    for (const t of r.value) this.say(`${t.name.padEnd(width)}  ${t.size} ${t.size === 1 ? 'entry' : 'entries'}`);
  }

  async save() {
    if (this.store === 'memory') return this.say('nothing to save: the store is memory (--store memory)');
    const r = await this.session.save();
    if (!r.ok) return this.fail(r.error);
    this.say(`saved to ${this.store}`);
  }
}

/** Runs the REPL on the terminal until the user leaves; resolves to the exit status. */
function repl(session, options) {
  return new Repl(session, options).run();
}

module.exports = { repl, Repl };
