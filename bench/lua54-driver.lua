-- Runs one workload on Debian's lua5.4: `lua5.4 bench/lua54-driver.lua FILE N WARMUP`.
-- After the warm-up runs it prints "ready" and waits for a line on stdin; the parent
-- (bench/lib/spawn.js) times wall clock from sending that line to reading the result,
-- because lua5.4 has no sub-second wall clock. The result line is JSON with cpuMs
-- (os.clock(): process CPU time, as process.cpuUsage() on the JS side) and the checksum.
local file, n, warmup = arg[1], tonumber(arg[2]), tonumber(arg[3] or "0")
local fh = assert(io.open(file, "rb"))
local source = fh:read("a")
fh:close()

local function run()
  N = n
  local chunk = assert(load(source, "=" .. file:match("[^/]*$")))
  return chunk()
end

for _ = 1, warmup do run() collectgarbage("collect") end
io.write("ready\n")
io.flush()
io.read("l")
local c0 = os.clock()
local result = run()
local c1 = os.clock()
if math.type(result) == "float" and result == math.floor(result) then
  result = string.format("%.0f", result)
end
io.write(string.format('{"cpuMs":%.4f,"checksum":"%s"}\n', (c1 - c0) * 1000, tostring(result)))
