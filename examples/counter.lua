-- Persistence: counts its own runs in an external table. Run it twice with the
-- same store and the count goes on:
--   lua-persistent --store /tmp/demo examples/counter.lua
local stats = ext.table('counter')

local previous = stats.last
stats.runs = (stats.runs or 0) + 1
stats.last = os.date('!%Y-%m-%dT%H:%M:%SZ')

print(('run #%d'):format(stats.runs))
if previous then print('previous run at ' .. previous) end
