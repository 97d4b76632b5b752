'use strict';
// --help and --version texts.

const { version } = require('../package.json');

const VERSION = `lua-persistent ${version} (Lua 5.4)`;

const HELP = `usage: lua-persistent [options] [script [args]]

Runs Lua 5.4 with external tables (ext.table) persisted in a directory.
With no script and a terminal on stdin, starts an interactive REPL.

Options:
  -e code                 run code (repeatable; runs before the script)
  -i                      enter the REPL after running the script / -e code
  -                       read the script from stdin
  --                      stop handling options
  --store DIR|memory      where ext tables are saved
                          (default: $LUA_PERSISTENT_STORE, else ./.lua-persistent)
  --backend auto|native|wasm   (default: auto)
  --timeout MS            wall-time limit per chunk (default: 0, none; Ctrl-C interrupts)
  --memory-limit BYTES    Lua heap limit, suffix K/M/G allowed (default: 256M)
  --instruction-limit N   VM instructions per chunk (default: 0, none)
  --stdlib safe|all       standard library set (default: safe)
  -h, --help              show this help
  -v, --version           show the version

Script arguments are in the global table 'arg' (arg[0] is the script name).
Exit status: 0 success, 1 Lua or storage error, 2 usage error, 130 interrupted.
REPL commands: .help .tables .save .exit (see docs/cli.md).`;

module.exports = { HELP, VERSION };
