-- bench: group=pure n=600 smoke=24
-- Float loops: a Mandelbrot escape count on an N x N grid plus a short n-body
-- integration; the checksum is integral so every engine formats it alike.
local N = N
local iterations = 0
for y = 0, N - 1 do
  local ci = 2.0 * y / N - 1.0
  for x = 0, N - 1 do
    local cr = 2.5 * x / N - 2.0
    local zr, zi, i = 0.0, 0.0, 0
    while i < 50 and zr * zr + zi * zi <= 4.0 do
      zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
      i = i + 1
    end
    iterations = iterations + i
  end
end
local px, py, vx, vy = 1.0, 0.0, 0.0, 1.0
local dt = 0.001
for _ = 1, N * 200 do
  local r2 = px * px + py * py
  local inv = 1.0 / (r2 * math.sqrt(r2))
  vx, vy = vx - px * inv * dt, vy - py * inv * dt
  px, py = px + vx * dt, py + vy * dt
end
return iterations + math.floor((px * px + py * py) * 1e6)
