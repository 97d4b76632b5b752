-- bench: group=classic n=14 smoke=4
-- Binary trees: allocate and walk perfect binary trees of tables (the Benchmarks Game
-- shape), a short-lived garbage load.
local N = N
local function bottomup(d) if d == 0 then return {} end d = d - 1 return { bottomup(d), bottomup(d) } end
local function check(t) if t[1] then return 1 + check(t[1]) + check(t[2]) end return 1 end
local s = 0
local long = bottomup(N)
for d = 4, N, 2 do
  local iters = 2 ^ (N - d + 4) // 1
  for i = 1, iters do s = s + check(bottomup(d)) end
end
return s + check(long)
