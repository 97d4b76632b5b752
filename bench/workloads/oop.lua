-- bench: group=pure n=800000 smoke=1000
-- Objects and method calls: a three-level class hierarchy built with setmetatable and
-- __index chains, constructors, overridden and inherited methods called with `:`,
-- getters/setters, and closures as callbacks (an event emitter).
local N = N
local Shape = {}
Shape.__index = Shape
function Shape.new(x, y) return setmetatable({ x = x, y = y }, Shape) end
function Shape:move(dx, dy) self.x = self.x + dx self.y = self.y + dy return self end
function Shape:area() return 0 end
function Shape:describe() return self:name() .. self:area() end
function Shape:name() return "shape" end

local Rect = setmetatable({}, { __index = Shape })
Rect.__index = Rect
function Rect.new(x, y, w, h)
  local r = Shape.new(x, y)
  r.w, r.h = w, h
  return setmetatable(r, Rect)
end
function Rect:area() return self.w * self.h end
function Rect:name() return "rect" end

local Square = setmetatable({}, { __index = Rect })
Square.__index = Square
function Square.new(x, y, s) return setmetatable(Rect.new(x, y, s, s), Square) end
function Square:name() return "square" end
function Square:side() return self.w end

local Emitter = {}
Emitter.__index = Emitter
function Emitter.new() return setmetatable({ handlers = {} }, Emitter) end
function Emitter:on(f) local h = self.handlers h[#h + 1] = f end
function Emitter:emit(v) local s = 0 for i = 1, #self.handlers do s = s + self.handlers[i](v) end return s end

local shapes = {}
for i = 1, 300 do
  local k = i % 3
  shapes[i] = k == 0 and Shape.new(i, -i) or k == 1 and Rect.new(i, i, i % 7 + 1, i % 5 + 1) or Square.new(-i, i, i % 9 + 1)
end
local acc = 0
for i = 1, N do
  local s = shapes[i % 300 + 1]
  s:move(1, -1)
  acc = acc + s:area() + (s.x - s.y) % 3
  if s.side then acc = acc + s:side() end
end
local names = 0
for i = 1, N // 10 do names = names + #shapes[i % 300 + 1]:describe() end
local em = Emitter.new()
local count = 0
for k = 1, 8 do em:on(function(v) count = count + 1 return v * k end) end
for i = 1, N // 4 do acc = (acc + em:emit(i % 100)) % 1000000 end
local made = 0
for i = 1, N // 3 do made = made + Square.new(i, i, i % 4):area() end
return acc + names + count + made % 1000000
