'use strict';
// The undo journal that makes calls transactions over ext data (docs/design.md
// "Transactions"). The core decides what is journaled and when a call's changes are kept
// or undone (crates/core/src/journal.rs); this keeps the old entries, which are JS
// values (a nested Map JS may hold must come back as that very object), and puts them
// back. One journal per VM, in its `hooks`.
//
// Entries are flat in one array, four slots each: the Map, the key, the old value and
// the old float tag (see lib/lua.js AUX), undefined when there was none (an entry JS set
// to undefined reads as absent everywhere, so it comes back absent). Maps are used
// through the intrinsic Map.prototype methods, as the adapters do.

const { get, set } = Map.prototype;
const del = Map.prototype.delete;

function put(map, key, value) {
  if (value === undefined) del.call(map, key);
  else set.call(map, key, value);
}

/** Past this many slots the array is let go after a call instead of kept for the next. */
const KEEP_SLOTS = 1 << 20;

/** `journalSet(map, key, value, tagged)` and `journalEnd(keep, undo)` for a VM's hooks
 * (see the core's `Host::journal_set`); `auxSymbol` names the Maps' float-tag side Maps.
 * The array is written by index and kept between calls (growing it again for every
 * call was most of a journaled write's JS cost); ended slots are cleared so old values
 * are not kept alive. */
function makeJournal(auxSymbol) {
  let log = [];
  let n = 0;
  /** Slots kept for a commit in flight (see `hold`): calls made meanwhile journal after them. */
  let held = 0;
  let holding = false;
  const tags = (map) => {
    const aux = map[auxSymbol];
    return aux instanceof Map ? aux : null;
  };
  return {
    /** Remembers map's entry under key (and its tag, when `tagged`: some Map may
     * carry float tags), then sets it to `value`, or deletes it when `value` is
     * undefined (ext values never are). */
    journalSet(map, key, value, tagged) {
      const aux = tagged ? tags(map) : null;
      log[n] = map;
      log[n + 1] = key;
      log[n + 2] = get.call(map, key);
      log[n + 3] = aux === null ? undefined : get.call(aux, key);
      n += 4;
      put(map, key, value);
    },
    journalEnd(keep, undo) {
      if (holding && keep === 0 && !undo) {
        // The call ended well; a shared store has yet to commit it (lib/shared-store.js).
        held = n;
        return;
      }
      end(held + keep * 4, undo);
    },
    /** Shared stores: the next call that ends well keeps its entries until `release`. */
    hold() {
      holding = true;
    },
    /** Its commit is known: `undo` when it did not happen (a conflict, a failure). */
    release(undo) {
      holding = false;
      const keep = held;
      held = 0;
      if (keep > 0) end(0, undo);
    },
  };

  function end(to, undo) {
    if (to >= n) return;
    if (undo) {
      for (let i = n - 4; i >= to; i -= 4) {
        const map = log[i];
        const key = log[i + 1];
        put(map, key, log[i + 2]);
        const aux = tags(map);
        if (aux !== null) put(aux, key, log[i + 3]);
      }
    }
    if (to === 0 && log.length > KEEP_SLOTS) log = [];
    else log.fill(undefined, to, n);
    n = to;
  }
}

module.exports = { makeJournal };
