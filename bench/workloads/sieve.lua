-- bench: group=classic n=40 smoke=1
-- Sieve of Eratosthenes on 200,000 booleans, N times: array fills and strided stores.
local N = N
local c = 0
for r = 1, N do
  local n = 200000
  local p = {}
  for i = 2, n do p[i] = true end
  for i = 2, n do
    if p[i] then c = c + 1 for j = i * i, n, i do p[j] = false end end
  end
end
return c
