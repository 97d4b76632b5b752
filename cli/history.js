'use strict';
// REPL history kept across sessions in a text file, oldest line first.

const fs = require('fs');
const os = require('os');
const path = require('path');

const SIZE = 1000;

/** $LUA_PERSISTENT_HISTORY, else ~/.lua_persistent_history; set it empty for none. */
function historyFile(env = process.env) {
  if (env.LUA_PERSISTENT_HISTORY !== undefined) return env.LUA_PERSISTENT_HISTORY || null;
  return path.join(os.homedir(), '.lua_persistent_history');
}

/** Newest first, as readline wants it. A missing or unreadable file is an empty history. */
function loadHistory(file) {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, SIZE);
  } catch {
    return [];
  }
}

/** Writes readline's history (newest first); a failed write only costs the history. */
function saveHistory(file, lines) {
  if (!file) return;
  try {
    fs.writeFileSync(file, `${lines.slice(0, SIZE).reverse().join('\n')}\n`);
  } catch {
    // e.g. a read-only home: the REPL works on without a saved history
  }
}

module.exports = { historyFile, loadHistory, saveHistory, SIZE };
