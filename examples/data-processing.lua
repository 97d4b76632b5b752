-- A batch over 100,000 external entries: the first run loads sensor readings, each
-- later run applies a day's drift to every reading; every run computes aggregates
-- (count, sum, mean, min, max, a histogram) and stores them next to the data.
--   lua-persistent examples/data-processing.lua [count]
local N = math.tointeger(tonumber(arg[1] or '100000')) or error('count must be an integer')
local readings = ext.table('readings') -- i -> integer reading
local summary = ext.table('summary')

-- A small deterministic generator (LCG), so every run of the example is reproducible.
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n
end

local day = (summary.day or 0) + 1
if day == 1 then
  for i = 1, N do readings[i] = 500 + rand(1000) end
else
  seed = seed + day
  for i = 1, N do readings[i] = readings[i] + rand(21) - 10 end
end

local count, sum, min, max = 0, 0, math.maxinteger, math.mininteger
local buckets = {}
for _, v in ipairs(readings) do
  count, sum = count + 1, sum + v
  if v < min then min = v end
  if v > max then max = v end
  local b = v // 250
  buckets[b] = (buckets[b] or 0) + 1
end

summary.day, summary.count, summary.sum, summary.min, summary.max = day, count, sum, min, max
summary.histogram = buckets -- stored as a nested external table

print(('day %d: %d readings, sum %d, mean %.2f, min %d, max %d'):format(day, count, sum, sum / count, min, max))
local keys = {}
for b in pairs(buckets) do keys[#keys + 1] = b end
table.sort(keys)
for _, b in ipairs(keys) do
  print(('  %4d-%4d %6d'):format(b * 250, b * 250 + 249, buckets[b]))
end
