-- Finalizers left for close() to run: they print, write ext tables, call os.exit,
-- raise errors, loop, resurrect themselves and create more objects with finalizers.
keep = {}
local function gc(f) keep[#keep + 1] = setmetatable({}, { __gc = f }) end
gc(function() print('bye') end)
gc(function() ext.table('x').y = 1 end)
gc(function() error('in a finalizer') end)
gc(function() os.exit(3) end)
gc(function(o) keep2 = o end)
gc(function() gc(function() print('late') end) end)
gc(function() for i = 1, 1e9 do end end)
gc(function() local co = coroutine.wrap(function() coroutine.yield(print) end) co()('from a coroutine') end)
gc(function() pcall(string.dump, print) end)
gc(function() collectgarbage() end)
