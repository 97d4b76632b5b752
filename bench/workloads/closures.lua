-- bench: group=pure n=240000 smoke=3000
-- Closures and metatables: a small class hierarchy with __index chains, operator
-- metamethods (__add, __eq, __lt, __len, __call) and closure counters.
local N = N
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({ x = x, y = y }, Vec) end
Vec.__add = function(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a.x < b.x end
Vec.__len = function(a) return a.x + a.y end
function Vec:scaled(k) return Vec.new(self.x * k, self.y * k) end
local Named = setmetatable({}, { __index = Vec })
Named.__index = Named
Named.__add = Vec.__add
Named.__call = function(self, d) return self.x + d end
local function counter()
  local c = 0
  return function(step) c = (c + step) % 1000003 return c end
end
local acc, tick, eq, lt = Vec.new(0, 0), counter(), 0, 0
local named = setmetatable({ x = 1, y = 2 }, Named)
for i = 1, N do
  local v = Vec.new(i % 10, i % 3)
  acc = acc + v:scaled(2)
  if acc.x > 100000 then acc = Vec.new(acc.x % 1000, acc.y % 1000) end
  if v == Vec.new(i % 10, i % 3) then eq = eq + 1 end
  if v < named then lt = lt + 1 end
  tick(#v + named(i % 5) + named:scaled(1).y)
end
return acc.x + acc.y + eq + lt + tick(0)
