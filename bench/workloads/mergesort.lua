-- bench: group=classic n=60000 smoke=500
-- Merge sort of records by a comparator function: recursion, closures called per
-- comparison, field reads.
local N = N
local seed = 1
local function rnd() seed = (seed * 16807) % 2147483647 return seed end
local function msort(a, lo, hi, tmp, lt)
  if hi - lo < 1 then return end
  local mid = (lo + hi) // 2
  msort(a, lo, mid, tmp, lt) msort(a, mid + 1, hi, tmp, lt)
  local i, j, k = lo, mid + 1, lo
  while i <= mid and j <= hi do
    if lt(a[j], a[i]) then tmp[k] = a[j] j = j + 1 else tmp[k] = a[i] i = i + 1 end
    k = k + 1
  end
  while i <= mid do tmp[k] = a[i] i = i + 1 k = k + 1 end
  while j <= hi do tmp[k] = a[j] j = j + 1 k = k + 1 end
  for x = lo, hi do a[x] = tmp[x] end
end
local s = 0
for r = 1, 3 do
  local a = {} for i = 1, N do a[i] = { key = rnd() % 100000, id = i } end
  msort(a, 1, N, {}, function(x, y) return x.key < y.key end)
  s = s + a[1].key + a[N].key
end
return s
