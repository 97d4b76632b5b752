-- bench: group=host n=100000 smoke=2000
-- Ext-table sets then gets from Lua, 2N operations on a host-side JS Map. On our
-- backends `ext` is the real API; the peers get an `ext.table` whose metatable calls
-- JS functions that read and write a JS Map (see bench/engines/).
local N = N
local t = ext.table('b')
for i = 1, N do t[i] = i end
local s = 0
for i = 1, N do s = s + t[i] end
return s
