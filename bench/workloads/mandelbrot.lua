-- bench: group=classic n=800 smoke=16
-- Mandelbrot set as bits: float iterations per pixel, packed with shifts, or and and.
local N = N
local w, h = N, N
local bits, bitnum, sum = 0, 0, 0
for y = 0, h - 1 do
  local ci = 2.0 * y / h - 1.0
  for x = 0, w - 1 do
    local cr = 2.0 * x / w - 1.5
    local zr, zi, tr, ti = 0.0, 0.0, 0.0, 0.0
    local i = 0
    while i < 50 and tr + ti <= 4.0 do
      zi = 2.0 * zr * zi + ci
      zr = tr - ti + cr
      tr = zr * zr
      ti = zi * zi
      i = i + 1
    end
    bits = (bits << 1) | (tr + ti <= 4.0 and 1 or 0)
    bitnum = bitnum + 1
    if bitnum == 8 then sum = (sum + bits) & 0xffffff bits, bitnum = 0, 0 end
  end
end
return sum
