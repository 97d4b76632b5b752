-- bench: group=classic n=600000 smoke=1000
-- K-nucleotide: substring frequencies of a random DNA string in hash tables, then
-- table.sort with a comparator.
local N = N
local seed = 7
local acgt = { "a", "c", "g", "t" }
local parts = {}
for i = 1, N do seed = (seed * 1103515245 + 12345) % 2147483648 parts[i] = acgt[seed % 4 + 1] end
local seq = table.concat(parts)
local total = 0
for frame = 1, 6 do
  local counts = {}
  for i = 1, #seq - frame + 1 do
    local k = string.sub(seq, i, i + frame - 1)
    counts[k] = (counts[k] or 0) + 1
  end
  local keys = {}
  for k in pairs(counts) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return counts[a] > counts[b] or (counts[a] == counts[b] and a < b) end)
  total = total + counts[keys[1]] + #keys
end
return total
