-- bench: group=pure n=2500 smoke=20
-- JSON-like serialisation: N nested records (arrays, objects, strings needing escapes,
-- integers, floats, booleans) encoded to JSON text with a buffer and sorted keys, then
-- decoded by a hand-written recursive-descent parser (string.byte/find/sub), re-encoded
-- and compared.
local N = N
local byte, sub, find, fmt, concat = string.byte, string.sub, string.find, string.format, table.concat
local floor = math.floor

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t' }
local function encode(v, out)
  local t = type(v)
  if t == "table" then
    if v[1] ~= nil or next(v) == nil then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = '"' .. k .. '":'
        encode(v[k], out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', escapes) .. '"'
  elseif t == "number" then
    out[#out + 1] = (math.type(v) == "integer" or v == floor(v)) and fmt("%d", v) or fmt("%.4f", v)
  else
    out[#out + 1] = tostring(v)
  end
end

local decode
local function skip(s, i) return find(s, "[^ \n\t]", i) end
local function str(s, i)
  local j, parts = i + 1, {}
  while true do
    local a = find(s, '["\\]', j)
    if byte(s, a) == 34 then
      parts[#parts + 1] = sub(s, j, a - 1)
      return concat(parts), a + 1
    end
    parts[#parts + 1] = sub(s, j, a - 1)
    local c = sub(s, a + 1, a + 1)
    parts[#parts + 1] = c == "n" and "\n" or c == "t" and "\t" or c
    j = a + 2
  end
end
function decode(s, i)
  i = skip(s, i)
  local c = byte(s, i)
  if c == 123 then -- {
    local obj = {}
    i = skip(s, i + 1)
    if byte(s, i) == 125 then return obj, i + 1 end
    while true do
      local k
      k, i = str(s, skip(s, i))
      i = skip(s, i) + 1 -- ':'
      obj[k], i = decode(s, i)
      i = skip(s, i)
      if byte(s, i) == 125 then return obj, i + 1 end
      i = i + 1
    end
  elseif c == 91 then -- [
    local arr = {}
    i = skip(s, i + 1)
    if byte(s, i) == 93 then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = decode(s, i)
      i = skip(s, i)
      if byte(s, i) == 93 then return arr, i + 1 end
      i = i + 1
    end
  elseif c == 34 then
    return str(s, i)
  elseif c == 116 then return true, i + 4
  elseif c == 102 then return false, i + 5
  else
    local a, b = find(s, "^-?%d+%.?%d*", i)
    return tonumber(sub(s, a, b)), b + 1
  end
end

local records = {}
for i = 1, N do
  records[i] = {
    id = i, name = "user \"" .. i .. "\"\tline\n", active = i % 2 == 0, score = i / 8,
    tags = { "t" .. (i % 10), "g" .. (i % 3), "x" }, pos = { x = i % 100, y = -(i % 37), z = i / 4 },
    history = { { at = i, v = i % 7 }, { at = i + 1, v = (i * 3) % 11 } },
  }
end
local total = 0
for _ = 1, 3 do
  local out = {}
  encode(records, out)
  local text = concat(out)
  local back = decode(text, 1)
  local out2 = {}
  encode(back, out2)
  local text2 = concat(out2)
  assert(text2 == text, "round trip")
  total = total + #text + #back
end
return total
