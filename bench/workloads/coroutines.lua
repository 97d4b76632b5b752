-- bench: group=pure n=1400000 smoke=4000
-- Coroutines: a generator pipeline (producer -> filter -> consumer), one resume/yield
-- pair per item per stage, plus many short-lived coroutines.
local N = N
local function producer(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local function filter(src)
  return coroutine.wrap(function()
    for v in src do
      if v % 3 ~= 0 then coroutine.yield(v % 1000) end
    end
  end)
end
local sum = 0
for v in filter(producer(N)) do sum = (sum + v) % 1000003 end
local short = 0
for i = 1, N // 20 do
  local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return a + b end)
  local _, x = coroutine.resume(co, i % 100)
  local _, y = coroutine.resume(co, x)
  short = short + y
end
return sum + short
