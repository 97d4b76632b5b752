-- bench: group=classic n=1000000 smoke=1000
-- Fasta: a linear-congruential generator picks letters by cumulative weight, lines
-- built with string.sub, string.rep and table.concat.
local N = N
local alu = "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGGGAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGACCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAATACAAAAATTAGCCGGG"
local iub = { {"a",0.27},{"c",0.12},{"g",0.12},{"t",0.27},{"B",0.02},{"D",0.02},{"H",0.02},{"K",0.02},{"M",0.02},{"N",0.02},{"R",0.02},{"S",0.02},{"V",0.02},{"W",0.02},{"Y",0.02} }
local seed = 42
local function rnd(m) seed = (seed * 3877 + 29573) % 139968 return m * seed / 139968 end
local acc = 0 for _, p in ipairs(iub) do acc = acc + p[2] p[3] = acc end
local out, len = {}, 0
local function line(s) out[#out + 1] = s len = len + #s if #out > 1000 then out = {} end end
-- repeat
local k, n = 1, N
while n > 0 do
  local m = n < 60 and n or 60
  local s = string.rep(alu, 2):sub(k, k + m - 1)
  line(s) k = k + m if k > #alu then k = k - #alu end n = n - m
end
-- random
n = N
local buf = {}
while n > 0 do
  local m = n < 60 and n or 60
  for i = 1, m do
    local r = rnd(1)
    for _, p in ipairs(iub) do if r < p[3] then buf[i] = p[1] break end end
  end
  line(table.concat(buf, "", 1, m)) n = n - m
end
return len
