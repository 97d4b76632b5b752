-- bench: group=pure n=450 smoke=5
-- Tight loops, the VM's dispatch and its back-edges with little else: numeric for with
-- an if/else, a while and a repeat loop, nested fors over a grid (a Game of Life step
-- on a table of rows) and a matrix product walking one matrix by columns.
local N = N
local total = 0
-- a numeric for with a taken branch every turn
local s = 0
for i = 1, N * 20000 do
  if i % 3 == 0 then s = s + 1 else s = s + 2 end
end
total = total + s
-- while and repeat loops counting with locals
local i, w = 0, 0
while i < N * 20000 do i = i + 1; w = (w + i) % 1000003 end
total = total + w
local r, j = 0, N * 10000
repeat r = r ~ j; j = j - 1 until j == 0
total = total + r
-- Game of Life on a 64x64 torus, N/5 steps
local size = 64
local grid = {}
for y = 1, size do
  local row = {}
  for x = 1, size do row[x] = ((x * 7 + y * 13) % 5 == 0) and 1 or 0 end
  grid[y] = row
end
for _ = 1, N // 5 do
  local nextg = {}
  for y = 1, size do
    local up, row, down = grid[(y - 2) % size + 1], grid[y], grid[y % size + 1]
    local out = {}
    for x = 1, size do
      local l, rr = (x - 2) % size + 1, x % size + 1
      local n = up[l] + up[x] + up[rr] + row[l] + row[rr] + down[l] + down[x] + down[rr]
      out[x] = (n == 3 or (n == 2 and row[x] == 1)) and 1 or 0
    end
    nextg[y] = out
  end
  grid = nextg
end
for y = 1, size do for x = 1, size do total = total + grid[y][x] * (x + y) end end
-- a matrix product, the second matrix read by columns
local n = 40 + N // 5
local a, b = {}, {}
for y = 1, n do
  a[y], b[y] = {}, {}
  for x = 1, n do a[y][x] = (y + x) % 7 - 3; b[y][x] = (y * x) % 5 - 2 end
end
local c = 0
for y = 1, n do
  local ay = a[y]
  for x = 1, n do
    local acc = 0
    for k = 1, n do acc = acc + ay[k] * b[k][x] end
    c = (c + acc * (x + y)) % 1000003
  end
end
return (total + c) % 1000000007
