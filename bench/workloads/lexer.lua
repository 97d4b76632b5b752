-- bench: group=classic n=200 smoke=2
-- A hand-written lexer: string.sub and anchored string.find patterns walking generated
-- Lua-like source.
local N = N
local src = {}
for i = 1, 300 do src[#src + 1] = ("local x%d = foo(%d, 'str%d') + bar.baz[%d] * 3.5 -- c%d\n"):format(i, i, i, i, i) end
src = table.concat(src)
local count = 0
for r = 1, N do
  local pos, len = 1, #src
  while pos <= len do
    local c = src:sub(pos, pos)
    if c:find("^%s") then pos = pos + 1
    elseif c:find("^[%a_]") then local s, e = src:find("^[%w_]+", pos) pos = e + 1 count = count + 1
    elseif c:find("^%d") then local s, e = src:find("^%d+%.?%d*", pos) pos = e + 1 count = count + 1
    elseif c == "'" then local e = src:find("'", pos + 1, true) pos = e + 1 count = count + 1
    elseif src:sub(pos, pos + 1) == "--" then local e = src:find("\n", pos, true) pos = e + 1
    else pos = pos + 1 count = count + 1 end
  end
end
return count
