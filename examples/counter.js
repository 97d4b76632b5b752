#!/usr/bin/env node
'use strict';
// Persistence at work: a Lua script counts its runs in an external table stored in a
// directory. Run it twice: the count goes on. `node examples/counter.js [dir]`
const os = require('os');
const path = require('path');
const { createLua } = require('..');

async function main() {
  const dir = process.argv[2] || path.join(os.tmpdir(), 'lua-persistent-example');
  const lua = await createLua({ storage: dir });

  const runs = lua.eval(`
    local stats = ext.table('stats')
    stats.runs = (stats.runs or 0) + 1
    stats.last = os.date('!%Y-%m-%dT%H:%M:%SZ')
    local log = ext.table('log')
    table.insert(log, 'run ' .. stats.runs)
    return stats.runs
  `, { chunkName: 'counter.lua' });
  await lua.close(); // autosave (on by default with storage) has written the change

  // A brand-new VM over the same directory sees what the first one saved.
  const again = await createLua({ storage: dir });
  const summary = again.eval(`
    local stats, log = ext.table('stats'), ext.table('log')
    return ('%d runs, last at %s, log has %d entries'):format(stats.runs, stats.last, #log)
  `);
  console.log(`lua-persistent (${again.backend} backend): this is run #${runs}`);
  console.log(`reloaded from ${dir}: ${summary}`);
  console.log(`JS sees the same data as Maps: stats =`, Object.fromEntries(again.ext.get('stats')));
  await again.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
