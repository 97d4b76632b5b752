-- bench: group=classic n=600000 smoke=1000
-- Shapes and a queue: small classes with metatable inheritance, method calls and a FIFO
-- of objects.
local N = N
local Shape = {} Shape.__index = Shape
function Shape.new(kind, a, b) return setmetatable({ kind = kind, a = a, b = b }, Shape) end
function Shape:area() if self.kind == 1 then return self.a * self.b elseif self.kind == 2 then return 3.14159 * self.a * self.a else return 0.5 * self.a * self.b end end
function Shape:scale(f) self.a = self.a * f self.b = self.b * f return self end
local Square = setmetatable({}, { __index = Shape }) Square.__index = Square
function Square.new(s) local o = Shape.new(1, s, s) return setmetatable(o, Square) end
function Square:perimeter() return 4 * self.a end
local Queue = {} Queue.__index = Queue
function Queue.new() return setmetatable({ first = 1, last = 0, items = {} }, Queue) end
function Queue:push(v) self.last = self.last + 1 self.items[self.last] = v end
function Queue:pop() local v = self.items[self.first] self.items[self.first] = nil self.first = self.first + 1 return v end
function Queue:empty() return self.first > self.last end
local q = Queue.new()
local total = 0
for i = 1, N do
  local s = (i % 3 == 0) and Square.new(i % 7 + 1) or Shape.new(i % 3 + 1, i % 5 + 1, i % 11 + 1)
  q:push(s)
  if i % 4 == 0 then
    while not q:empty() do local x = q:pop() total = total + x:scale(1.5):area() if x.perimeter then total = total + x:perimeter() end end
  end
end
return math.floor(total)
