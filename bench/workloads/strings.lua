-- bench: group=pure n=200000 smoke=500
-- String building and patterns: format, concat, gsub, gmatch, find, rep, upper.
local N = N
local parts = {}
for i = 1, N do parts[#parts + 1] = string.format("%d:%x:%s", i, i * 31, "w" .. (i % 97)) end
local s = table.concat(parts, ",")
local words = 0
for w in s:gmatch("w%d+") do words = words + #w end
local replaced, count = s:gsub("(%d+):(%x+)", "%2-%1")
local found, pos = 0, 1
while true do
  local a, b = replaced:find("-1", pos, true)
  if not a then break end
  found, pos = found + 1, b + 1
end
local upper = 0
for i = 1, N // 10 do upper = upper + #(("ab"):rep(i % 20) .. tostring(i)):upper() end
return #s + words + count + found + upper
