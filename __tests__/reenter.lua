-- Long runs that leave and re-enter the VM loop (luap_reenter, crates/lua-sys): on
-- wasm, every 5000 ticks a jump leaves luaV_execute and ldo.c's luap_execute enters it
-- again at the same instruction. Each section runs far past 5000 ticks, in a different
-- frame layout, and prints what it computed; reenter.test.js compares the output with
-- the reference interpreter lua5.4 and across backends.
local function p(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ',', 1, t.n))
end

-- numeric for loops: integer, float, negative step, nested
local s = 0
for i = 1, 200000 do s = s + i % 7 end
local f = 0.0
for x = 0.5, 20000.5, 0.25 do f = f + x end
local d = 0
for i = 100000, 1, -3 do d = d ~ i end
local n = 0
for i = 1, 300 do for j = 1, 300 do n = n + (i * j) % 5 end end
p('for', s, f, d, n)
-- loops around the run length of wasm's for-loop ticks (64): one, 64, 65 and 129 turns
local r = 0
for i = 1, 4000 do
  for j = 1, 1 do r = r + j end
  for j = 1, 64 do r = r + j % 3 end
  for j = 65, 1, -1 do r = r - j % 2 end
  for j = 1, 129, 1 do r = r + i % j end
end
p('for runs', r)

-- while, repeat and goto loops, with locals live across the jumps
local a, b, c = 1, 0, 0
while a < 300000 do a = a + 1; if a % 3 == 0 then b = b + 1 else c = c - 1 end end
local r = 0
repeat r = r + 2 until r >= 150000
local g = 0
::top:: g = g + 1 if g < 100000 then goto top end
p('loops', a, b, c, r, g)

-- recursion whose only jumps are the conditionals
local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end
local function ack(m, k)
  if m == 0 then return k + 1 end
  if k == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, k - 1))
end
p('recursion', fib(24), ack(2, 300))

-- loops in callees, results through several frames, varargs and multiple returns
local function sum(...)
  local t, total = { ... }, 0
  for _ = 1, 2000 do for i = 1, #t do total = total + t[i] end end
  return total, select('#', ...), ...
end
local function relay(k) return sum(k, k + 1, k + 2) end
local acc = 0
for k = 1, 50 do local x, cnt, first = relay(k) acc = acc + x + cnt + first end
p('frames', acc, select('#', relay(1)))

-- tail calls in a loop of frames
local function count(k, total) if k == 0 then return total end return count(k - 1, total + k % 11) end
p('tail', count(200000, 0))

-- upvalues written in a loop, closures made in a loop
local counter = 0
local function bump() counter = counter + 1 end
local fs = {}
for i = 1, 100000 do bump() if i % 1000 == 0 then fs[#fs + 1] = function() return i + counter end end end
local cs = 0
for _, fn in ipairs(fs) do cs = cs + fn() end
p('upvalues', counter, #fs, cs)

-- generic for over Lua iterators and pairs/ipairs
local function range(k) local i = 0 return function() i = i + 1 if i <= k then return i end end end
local gsum = 0
for i in range(100000) do gsum = gsum + i end
local t = {}
for i = 1, 20000 do t[i] = i * 2 end
local psum, isum = 0, 0
for _, v in pairs(t) do psum = psum + v end
for i, v in ipairs(t) do isum = isum + i + v end
p('generic', gsum, psum, isum)

-- metamethods running loops, and loops calling metamethods
local V = {}
V.__index = function(_, k) local z = 0 for i = 1, k do z = z + i end return z end
V.__add = function(x, y) return setmetatable({ v = x.v + y.v }, getmetatable(x)) end
V.__lt = function(x, y) return x.v < y.v end
local proxy = setmetatable({}, V)
local msum = 0
for k = 1, 300 do msum = msum + proxy[k] end
local vec = setmetatable({ v = 0 }, V)
local one = setmetatable({ v = 1 }, V)
local limit = setmetatable({ v = 50000 }, V)
while vec < limit do vec = vec + one end
p('metamethods', msum, vec.v)

-- pcall and xpcall around loops, errors raised after long loops
local ok, e = pcall(function() local z = 0 for i = 1, 100000 do z = z + i end error('after ' .. z, 0) end)
p('pcall', ok, e)
ok, e = xpcall(function() local z = 0 while true do z = z + 1 if z == 80000 then error({ z }) end end end,
  function(m) return m[1] * 2 end)
p('xpcall', ok, e)
p('pcall loop', pcall(function() local z = 0 for i = 1, 60000 do z = z + i % 3 end return z end))

-- coroutines: loops in a fresh coroutine, between yields, and in the resumer
local co = coroutine.wrap(function()
  local z = 0
  for i = 1, 100000 do z = z + i if i % 20000 == 0 then coroutine.yield(z) end end
  return 'done', z
end)
local outs = {}
for _ = 1, 6 do local v, w = co() outs[#outs + 1] = tostring(v) .. (w and ('/' .. w) or '') end
p('coroutine', table.concat(outs, ' '))
local gen = coroutine.wrap(function() for i = 1, 30000 do coroutine.yield(i) end end)
local ysum = 0
for _ = 1, 30000 do ysum = ysum + gen() end
p('generator', ysum)
local nested = coroutine.wrap(function()
  local inner = coroutine.wrap(function() local z = 0 for i = 1, 50000 do z = z + i end coroutine.yield(z) end)
  local z = inner()
  for i = 1, 50000 do z = z - i % 7 end
  coroutine.yield(z)
end)
p('nested coroutine', nested())

-- to-be-closed variables across a long loop
local closed = {}
do
  local x <close> = setmetatable({}, { __close = function() closed[#closed + 1] = 'x' end })
  for i = 1, 50000 do
    local y <close> = (i % 10000 == 0) and setmetatable({}, { __close = function() closed[#closed + 1] = i end }) or nil
  end
end
p('close', table.concat(closed, ' '))

-- string work and table.sort's comparator (a Lua function called from C) in loops
local parts = {}
for i = 1, 20000 do parts[#parts + 1] = string.format('%d:%s', i, i % 3 == 0 and 'x' or 'y') end
local joined = table.concat(parts, ',')
local hits = 0
for _ in joined:gmatch('%d+:x') do hits = hits + 1 end
local arr = {}
for i = 1, 5000 do arr[i] = (i * 7919) % 5003 end
table.sort(arr, function(x, y) local w = 0 for _ = 1, 3 do w = w + 1 end return x < y end)
p('strings', #joined, hits, arr[1], arr[2500], arr[5000])

-- a loop whose body is one jump back to itself, ended by a counter in a metamethod
local ticks = 0
local stopper = setmetatable({}, { __index = function() ticks = ticks + 1 return ticks >= 100000 end })
while not stopper.done do end
p('tight', ticks)
