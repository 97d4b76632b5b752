'use strict';
// The CLI: parse options, then run -e chunks, the script (or stdin) and/or the REPL,
// each in the VM thread so that Ctrl-C interrupts Lua instead of killing the process.

const fs = require('fs');
const path = require('path');
const { parseArgs, CliError } = require('./args');
const { HELP, VERSION } = require('./help');
const { Session } = require('./session');
const { formatError } = require('./format');

const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 };
const PROG = 'lua-persistent';

const out = (text) => process.stdout.write(`${text}\n`);
const err = (text) => process.stderr.write(`${text}\n`);

/** Script text, with a first '#!' line blanked (line numbers stay right), as lua does. */
function readScript(script) {
  const file = script === '-' ? 0 : script;
  let src;
  try {
    src = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot open ${script} (${e.code || e.message})`);
  }
  return src.startsWith('#') ? src.replace(/^[^\n]*/, '') : src;
}

function vmOptions(o) {
  const options = {
    backend: o.backend,
    storage: o.store === 'memory' ? 'memory' : path.resolve(o.store),
    timeout: o.timeout,
    instructionLimit: o.instructionLimit,
    stdlib: o.stdlib,
  };
  // The vm thread makes the default store on first write (see vm-worker.js).
  if (o.store !== 'memory' && o.storeIsDefault) options.storeOnFirstWrite = true;
  if (o.memoryLimit !== undefined) options.memoryLimit = o.memoryLimit;
  return options;
}

/**
 * Runs each chunk in order; returns the exit status of the first failure, or 0, and
 * whether a chunk called os.exit (stdlib 'all'): its status is the process's, after the
 * ext tables are saved, and no REPL follows, as with lua5.4.
 */
async function runChunks(session, chunks, stdlib) {
  for (const { code, chunkName } of chunks) {
    const r = await session.exec(code, chunkName);
    if (!r.ok) {
      if (r.error.exitCode !== undefined) return { status: r.error.exitCode, exited: true };
      err(formatError(r.error, { prefix: `${PROG}: `, stdlib }));
      return { status: r.error.kind === 'interrupted' ? EXIT.interrupted : EXIT.error };
    }
  }
  return { status: EXIT.ok };
}

/** The chunks to run before any REPL: -e texts, then the script or piped stdin. */
function chunksOf(o, stdinIsTTY) {
  const chunks = o.chunks.map((code) => ({ code, chunkName: '(command line)' }));
  const script = o.script || (!o.chunks.length && !o.interactive && !stdinIsTTY ? '-' : null);
  if (script) chunks.push({ code: readScript(script), chunkName: script === '-' ? 'stdin' : script });
  return { chunks, script };
}

/** Ctrl-C outside the REPL: interrupt the chunk; a second one, or none running, exits. */
function interruptOnSigint(session) {
  let asked = false;
  const onSigint = () => {
    if (asked || !session.interrupt()) process.exit(EXIT.interrupted);
    asked = true;
  };
  process.on('SIGINT', onSigint);
  return () => process.removeListener('SIGINT', onSigint);
}

async function run(o) {
  const stdinIsTTY = Boolean(process.stdin.isTTY);
  const { chunks, script } = chunksOf(o, stdinIsTTY);
  const repl = o.interactive || (!chunks.length && stdinIsTTY);
  const session = new Session({ print: out });
  const opened = await session.open(vmOptions(o), script ? [script, ...o.scriptArgs] : [PROG]);
  if (!opened.ok) {
    err(formatError(opened.error, { prefix: `${PROG}: ` }));
    await session.close();
    return EXIT.error;
  }
  const stopSigint = interruptOnSigint(session);
  let { status, exited } = await runChunks(session, chunks, o.stdlib);
  stopSigint();
  if (status === EXIT.ok && !exited && repl) {
    status = await require('./repl').repl(session, { backend: opened.value.backend, store: o.store, stdlib: o.stdlib });
  }
  const closed = await session.close();
  if (!closed.ok) {
    err(formatError(closed.error, { prefix: `${PROG}: ` }));
    return EXIT.error;
  }
  return status;
}

async function main(argv) {
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok); // a closed pipe (| head) is not our error
    throw e;
  });
  try {
    const o = parseArgs(argv);
    if (o.help || o.version) {
      out(o.help ? HELP : VERSION);
      return EXIT.ok;
    }
    return await run(o);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    err(`${PROG}: ${e.message}`);
    if (e.status === EXIT.usage) err(`usage: ${PROG} [options] [script [args]]  (see ${PROG} --help)`);
    return e.status;
  }
}

module.exports = { main, EXIT };
