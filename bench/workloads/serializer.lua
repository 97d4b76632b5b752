-- bench: group=pure n=8000 smoke=30
-- A serializer: builds N nested records and writes them as Lua source text with sorted
-- keys (pairs order differs between engines), escaping strings with %q; then reads the
-- text back with load() and checks a field.
local N = N
local function record(i)
  return {
    id = i, name = "user" .. i, score = (i * 37) % 1000 + 0.5,
    tags = { "a" .. i % 7, "b" .. i % 11, "c\n\"" .. i % 3 },
    flags = { active = i % 2 == 0, admin = i % 13 == 0 },
    history = { i, i + 1, i + 2, { depth = i % 5 } },
  }
end
local serialize
local function key(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. serialize(k) .. "]"
end
local function sortedKeys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    return a < b
  end)
  return keys
end
function serialize(v)
  local tv = type(v)
  if tv == "string" then return string.format("%q", v) end
  if tv == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    return string.format("%.1f", v)
  end
  if tv == "boolean" then return tostring(v) end
  local out = {}
  for _, k in ipairs(sortedKeys(v)) do out[#out + 1] = key(k) .. "=" .. serialize(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end
local data = {}
for i = 1, N do data[i] = record(i) end
local text = serialize(data)
local back = load("return " .. text)()
local h = 0
for i = 1, #text, 97 do h = (h * 31 + text:byte(i)) % 1000003 end
return #text + h + back[N].history[4].depth + #back
