-- Long runs with the full stdlib (reenter.test.js runs it with stdlib 'all'): finalizers
-- that loop, hooks set and cleared in the middle of a loop (the VM leaves its loop only
-- while no hook is set), and a coroutine closed after long loops.
local function p(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ',', 1, t.n))
end

-- finalizers that run long loops, called from a collection inside a loop
local done = {}
for i = 1, 3 do
  setmetatable({}, { __gc = function() local s = 0 for j = 1, 100000 * i do s = s + j % 7 end done[#done + 1] = s end })
end
local spin = 0
for i = 1, 50000 do spin = spin + i if i == 25000 then collectgarbage() end end
table.sort(done)
p('finalizers', #done, table.concat(done, ' '), spin)

-- a count hook set halfway through a loop, then cleared halfway through the next
local counted = 0
local s = 0
for i = 1, 200000 do
  s = s + i
  if i == 100000 then debug.sethook(function() counted = counted + 1 end, '', 1000) end
end
for i = 1, 200000 do
  s = s - i % 5
  if i == 100000 then debug.sethook() end
end
p('hooks', s, counted)

-- a line hook over a loop that runs far past the VM's 5000-tick period
local lines = 0
debug.sethook(function() lines = lines + 1 end, 'l')
local z = 0
for i = 1, 20000 do
  z = z + i
end
debug.sethook()
p('line hook', z, lines)

-- a coroutine suspended after long loops, then closed with a pending to-be-closed value
local closed = 'no'
local co = coroutine.create(function()
  local guard <close> = setmetatable({}, { __close = function() closed = 'yes' end })
  local t = 0
  for i = 1, 100000 do t = t + i end
  coroutine.yield(t)
  for i = 1, 100000 do t = t - i end
  return t
end)
p('close', coroutine.resume(co))
p('close', coroutine.close(co), closed, coroutine.status(co))
