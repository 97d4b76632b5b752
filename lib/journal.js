'use strict';
// The undo journal that makes calls transactions over ext data (docs/design.md
// "Transactions"). The core decides what is journaled and when a call's changes are kept
// or undone (crates/core/src/journal.rs); this keeps the old entries, which are JS
// values (a nested Map JS may hold must come back as that very object), and puts them
// back. One journal per VM, in its `hooks`.
//
// Entries are flat in one array, four slots each: the Map, the key, the old value and
// the old float tag (see lib/lua.js AUX), ABSENT when there was none. Maps are used
// through the intrinsic Map.prototype methods, as the adapters do.

const { get, has, set } = Map.prototype;
const del = Map.prototype.delete;
const ABSENT = Symbol('absent');

function entry(map, key) {
  return has.call(map, key) ? get.call(map, key) : ABSENT;
}

function put(map, key, value) {
  if (value === ABSENT) del.call(map, key);
  else set.call(map, key, value);
}

/** `journal(map, key)` and `journalEnd(keep, undo)` for a VM's hooks (see the core's
 * `Host::journal`); `auxSymbol` names the Maps' float-tag side Maps. */
function makeJournal(auxSymbol) {
  const log = [];
  const tags = (map) => {
    const aux = map[auxSymbol];
    return aux instanceof Map ? aux : null;
  };
  return {
    journal(map, key) {
      const aux = tags(map);
      log.push(map, key, entry(map, key), aux === null ? ABSENT : entry(aux, key));
    },
    journalEnd(keep, undo) {
      const end = keep * 4;
      if (undo) {
        for (let i = log.length - 4; i >= end; i -= 4) {
          const map = log[i];
          const key = log[i + 1];
          put(map, key, log[i + 2]);
          const aux = tags(map);
          if (aux !== null) put(aux, key, log[i + 3]);
        }
      }
      log.length = end;
    },
  };
}

module.exports = { makeJournal };
