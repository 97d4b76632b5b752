-- bench: group=pure n=20000 smoke=40
-- Pattern matching over a generated log: string.match with captures per line (gmatch
-- over lines), find with anchors and classes, gsub with a function, a table and a
-- pattern replacement, frontier and balanced patterns.
local N = N
local levels = { "INFO", "WARN", "ERROR", "DEBUG" }
local lines = {}
for i = 1, N do
  lines[i] = string.format("2026-12-%02d 12:%02d:%02d [%s] user=u%d path=/api/v%d/items/%d took=%dms (ok=%s)",
    i % 28 + 1, i % 60, (i * 7) % 60, levels[i % 4 + 1], i % 313, i % 3 + 1, i, (i * 37) % 900, tostring(i % 5 ~= 0))
end
local log = table.concat(lines, "\n")
local sum, errors, slow = 0, 0, 0
for _ = 1, 4 do
  for line in log:gmatch("[^\n]+") do
    local d, lvl, user, ver, id, ms = line:match("^(%d+%-%d+%-%d+) [%d:]+ %[(%u+)%] user=(%w+) path=/api/v(%d)/items/(%d+) took=(%d+)ms")
    if lvl == "ERROR" then errors = errors + 1 end
    local t = tonumber(ms)
    if t > 500 then slow = slow + 1 end
    sum = sum + #d + #user + tonumber(ver) + tonumber(id) % 1000
    if line:find("%(ok=false%)$") then sum = sum + 1 end
  end
end
-- replacements
local masked = log:gsub("user=(%w+)", function(u) return "user=" .. #u end)
local levelsShort = { INFO = "I", WARN = "W", ERROR = "E", DEBUG = "D" }
local short = log:gsub("%[(%u+)%]", levelsShort)
local dates = log:gsub("(%d+)%-(%d+)%-(%d+)", "%3/%2/%1")
local words = 0
for _ in log:gmatch("%f[%a]%a+%f[%A]") do words = words + 1 end
local nested = string.rep("(a(b)c)", 200)
local balanced = 0
for _ = 1, N // 20 do
  for b in nested:gmatch("%b()") do balanced = balanced + #b end
end
return sum + errors + slow + #masked + #short + #dates + words + balanced % 100000
