-- bench: group=pure n=2000 smoke=10
-- Library calls in loops, each a C function working through Lua's C API: a FIFO queue
-- on table.insert/table.remove at the front, utf8.char/codes/len, string.byte of
-- ranges and string.char, math functions, and varargs through select/table.pack/unpack.
local N = N
local insert, remove, unpack, pack = table.insert, table.remove, table.unpack, table.pack
local byte, char = string.byte, string.char
local floor, sqrt, fmod, max, min, abs = math.floor, math.sqrt, math.fmod, math.max, math.min, math.abs
local total = 0
-- a queue of 300 jobs: take the oldest from the front, requeue it at the back or the front
local queue = {}
for i = 1, 300 do queue[i] = i end
for i = 1, N * 10 do
  local job = remove(queue, 1)
  if job % 3 == 0 then insert(queue, 1, job + 1) else insert(queue, job + 1) end
  total = (total + job) % 1000003
end
-- UTF-8 text built, measured and walked by code point
local parts = {}
for i = 1, 200 do parts[i] = utf8.char(0x41 + i % 26, 0x3b1 + i % 20, 0x4e00 + i, 0x1f600 + i % 50) end
local text = table.concat(parts)
for _ = 1, N do
  total = total + utf8.len(text)
  for _, c in utf8.codes(text) do total = total + c % 7 end
  total = total % 1000003
end
-- bytes of a line in runs of 3 (as a base64 encoder reads them), and back to text
local line = "The quick brown fox jumps over the lazy dog, 0123456789 times."
for _ = 1, N * 20 do
  for i = 1, #line - 2, 3 do
    local a, b, c = byte(line, i, i + 2)
    total = total + a * 3 + b * 5 + c
  end
  total = (total + #char(byte(line, 1, -1))) % 1000003
end
-- math library calls
for i = 1, N * 200 do
  local x = i / 1000
  total = total + floor(sqrt(x) * 10) + floor(fmod(i, 7)) + max(i % 5, 2) - min(i % 9, 4) + abs(5 - i % 11)
end
-- varargs: counted, packed and unpacked
local function count(...) return select('#', ...) end
local function second(...) return (select(2, ...)) end
for i = 1, N * 100 do
  local t = pack(i, i + 1, i + 2, nil)
  total = total + count(unpack(t, 1, t.n)) + second(i, 7, 9) + t.n
end
return total % 1000003
