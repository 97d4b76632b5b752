'use strict';
// Command-line parsing, after lua5.4's conventions: options first, then the script and
// its arguments (everything after the script name belongs to the script).

const path = require('path');

/** A command-line problem: message for stderr and the exit status (2: usage, 1: other). */
class CliError extends Error {
  constructor(message, status = 1) {
    super(message);
    this.status = status;
  }
}

class UsageError extends CliError {
  constructor(message) {
    super(message, 2);
  }
}

const BACKENDS = ['auto', 'native', 'wasm'];
const STDLIBS = ['safe', 'all'];
const SUFFIX = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Where ext tables live when --store is not given. */
function defaultStore(env = process.env) {
  return env.LUA_PERSISTENT_STORE || path.join(process.cwd(), '.lua-persistent');
}

function count(flag, text, { suffixes = false } = {}) {
  const m = /^(\d+)([kmg]?)b?$/i.exec(String(text).trim());
  if (!m || (!suffixes && m[2])) {
    throw new UsageError(`${flag} expects a whole number${suffixes ? ' of bytes (suffix K, M or G allowed)' : ''}, got '${text}'`);
  }
  return Number(m[1]) * SUFFIX[m[2].toLowerCase()];
}

function oneOf(flag, text, allowed) {
  if (!allowed.includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text;
}

/** Options that take a value, and how the value is checked. */
const VALUED = {
  '--store': (v) => v,
  '--backend': (v) => oneOf('--backend', v, BACKENDS),
  '--timeout': (v) => count('--timeout', v),
  '--memory-limit': (v) => count('--memory-limit', v, { suffixes: true }),
  '--instruction-limit': (v) => count('--instruction-limit', v),
  '--stdlib': (v) => oneOf('--stdlib', v, STDLIBS),
};

function defaults(env) {
  return {
    store: defaultStore(env),
    /** No --store: the default store is only made once there is something to write. */
    storeIsDefault: true,
    backend: 'auto',
    timeout: 0,
    memoryLimit: undefined,
    instructionLimit: 0,
    stdlib: 'safe',
    chunks: [], // -e texts, in order
    interactive: false,
    help: false,
    version: false,
    script: null, // a path, '-' for stdin, or null
    scriptArgs: [],
  };
}

/** Splits `--opt=value` and takes the value of `--opt value` from the next argument. */
function takeValue(argv, i, arg) {
  const eq = arg.indexOf('=');
  if (eq > 0) return { name: arg.slice(0, eq), value: arg.slice(eq + 1), next: i };
  if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
  return { name: arg, value: argv[i + 1], next: i + 1 };
}

/** Parses argv (without node and the bin path). Throws UsageError on bad input. */
function parseArgs(argv, env = process.env) {
  const o = defaults(env);
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) break;
    if (arg === '-h' || arg === '--help') o.help = true;
    else if (arg === '-v' || arg === '--version') o.version = true;
    else if (arg === '-i') o.interactive = true;
    else if (arg === '-e' || arg.startsWith('-e')) {
      const inline = arg.slice(2);
      if (inline) o.chunks.push(inline);
      else if (i + 1 < argv.length) o.chunks.push(argv[++i]);
      else throw new UsageError("'-e' needs an argument");
    } else if (VALUED[arg.split('=')[0]]) {
      const { name, value, next } = takeValue(argv, i, arg);
      o[name.slice(2).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = VALUED[name](value);
      if (name === '--store') o.storeIsDefault = false;
      i = next;
    } else {
      throw new UsageError(`unrecognized option '${arg}'`);
    }
  }
  if (i < argv.length) {
    o.script = argv[i];
    o.scriptArgs = argv.slice(i + 1);
  }
  return o;
}

module.exports = { parseArgs, defaultStore, CliError, UsageError };
