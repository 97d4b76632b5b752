-- bench: group=classic n=100000 smoke=1000
-- Heapsort of random floats in place, three times: array reads and writes with float
-- comparisons.
local N = N
local seed = 42
local function rnd() seed = (seed * 3877 + 29573) % 139968 return seed / 139968 end
local function heapsort(n, ra)
  local j, i, rra
  local l = (n // 2) + 1
  local ir = n
  while true do
    if l > 1 then l = l - 1 rra = ra[l]
    else rra = ra[ir] ra[ir] = ra[1] ir = ir - 1 if ir == 1 then ra[1] = rra return end end
    i = l j = l * 2
    while j <= ir do
      if j < ir and ra[j] < ra[j + 1] then j = j + 1 end
      if rra < ra[j] then ra[i] = ra[j] i = j j = j + i else j = ir + 1 end
    end
    ra[i] = rra
  end
end
local s = 0
for r = 1, 3 do
  local a = {}
  for i = 1, N do a[i] = rnd() end
  heapsort(N, a)
  for i = 1, N - 1 do if a[i] > a[i + 1] then error("bad") end end
  s = s + a[N // 2]
end
return math.floor(s * 1e6)
