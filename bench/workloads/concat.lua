-- bench: group=pure n=80000 smoke=300
-- String building: `..` in a loop (short strings and a growing line), table.concat of
-- buffers, string.format with floats, integers and strings, tostring of numbers.
local N = N
local fmt, concat = string.format, table.concat
local total = 0
-- a line grown by `..` and flushed every 40 pieces, as a naive writer does
local line, lines = "", 0
for i = 1, N do
  line = line .. "item" .. i .. "=" .. (i * 3) .. ";"
  if i % 40 == 0 then total = total + #line line, lines = "", lines + 1 end
end
-- records formatted into a buffer, joined
local buf = {}
for i = 1, N do
  buf[#buf + 1] = fmt("%6d|%-8s|%8.3f|%5.1f%%|%x", i, "n" .. (i % 1000), i / 7, (i % 1000) / 10, i)
end
local text = concat(buf, "\n")
total = total + #text
-- tostring of floats and integers, and a CSV row per record
for i = 1, N do
  local row = { tostring(i), tostring(i / 4), tostring(i * 2), fmt("%.2f", i / 3) }
  total = total + #concat(row, ",")
end
-- small strings built up and compared
local keys = {}
for i = 1, N // 4 do keys[i] = "k" .. (i % 500) .. "_" .. (i % 7) end
local same = 0
for i = 2, #keys do if keys[i] == keys[i - 1] then same = same + 1 end end
return total + lines + same
