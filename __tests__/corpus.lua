-- A corpus of library behaviour whose text output must be byte-identical on every
-- backend and match the reference interpreter (lua5.4). Only the safe stdlib is used,
-- and dates are UTC ('!'), so the output does not depend on the machine.
local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- numbers to text
show(0.1, 1/3, -0.0, 1/0, -1/0, 2^53, 2^63, math.maxinteger, math.mininteger, 1e15, 1e16, 1e100, 123456789012)
show(math.pi, -math.pi, 3.0, -3.0, 1e-310, 5e-324, 2^-1074, 0x10p-2)
show(1e-4, 9.99999999999995e-5, 0.00012345678901234567, 99999999999999.5, 1e14 - 1, 2^46 + 0.5, 1e13 + 0.5, 1e13 + 1.5, -1/7, 123.456, 2.5, 0.5)
show(math.tointeger(3.0), math.tointeger(3.5), 7 // 2, -7 // 2, 7 % -3, -7 % 3, 7.5 % 2, 2^31, 1 << 62, 5 // 0.0, -5 // 0.0)
show(math.type(1), math.type(1.0), math.type('1'), 3 | 0, math.ult(1, -1), math.abs(math.mininteger))
local fmts = { '%d', '%5d', '%-5d|', '%05d', '%+d', '%x', '%X', '%#x', '%o', '%c', '%i' }
for _, f in ipairs(fmts) do show(f, string.format(f, 65)) end
show(string.format('%02d|%05d|%3d|%1d|%02d|%20d|%i', -3, -42, 7, 12345, 0, math.mininteger, -0))
show(string.format('%d|%i|%d|%d|%d', 0, -7, math.mininteger, math.maxinteger, -10), 'k' .. -0 .. 10 .. -123 .. math.mininteger, -1, 9, 10, 99, 100, 1e3 // 1, 2^53 // 1 | 0)
local ffmts = { '%f', '%.3f', '%10.2f', '%-10.2f|', '%e', '%.0e', '%E', '%g', '%.3g', '%#g', '%G', '%a', '%A', '%.2a', '%5.1f' }
for _, f in ipairs(ffmts) do
  show(f, string.format(f, 3.14159265358979), string.format(f, -0.000123456), string.format(f, 1e300), string.format(f, 0.0))
end
show(string.format('%.2f|%.1f|%.0f|%.0f|%8.3f|%.2f|%.1f|%f|%.17f', 0.125, 0.25, 2.5, 3.5, -1/3, -0.001, 1e15/7, -0.0, 0.1))
show(string.format('%q', 'a\nb\0c"\\\r\t\200'), string.format('%q', 1/0), string.format('%q', -1/0), string.format('%q', 0/0 ~= 0/0))
show(string.format('%q', math.mininteger), string.format('%q', 2^63), string.format('%q', 0.1))
show(string.format('%s|%10s|%-10s|%.2s', 'abc', 'abc', 'abc', 'abc'), string.format('%%'))
show(string.format('%5.2f|%g|%d|%s|%x|%q|%a', 3.14159, 1e20, 42, 'hi', 255, 'a\nb', 1.5))
-- conversion specifications: flags, width and precision accepted or refused per conversion
local specs = { '%-+ 05d', '%#d', '%+x', '%#-08x', '%-5c', '%05c', '%-#10.3g', '% 08.2f', '%.99f', '%123d', '%-05s',
  '%.3q', '%#o', '%-+ #0e', '%10.10a', '%+-5i', '%0-5u', '%--5d' }
for _, f in ipairs(specs) do
  local ok, r = pcall(string.format, f, 42)
  show(f, ok, ok and r or (r:gsub('^.-: ', '')))
end

-- text to numbers
local inputs = { '10', '  10  ', '0x10', '0x1p4', '1e2', '.5', '5.', '0x.8', '1e', 'abc', '10z', '- 1', '-0x10',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '1e309', '0x7fffffffffffffff', 'inf', 'nan' }
for _, s in ipairs(inputs) do show(s, tonumber(s), math.type(tonumber(s))) end
show(tonumber('ff', 16), tonumber('zz', 36), tonumber('777', 8), tonumber('102', 2), tonumber('1e1', 10))

-- strings and patterns
show(('hello world from lua'):find('wor'), ('hello'):find('l+'), ('hello'):match('(h)(e)(l+)'))
show(('key=value; k2=v2'):gsub('(%w+)=(%w+)', '%2=%1'))
show(('  trim me  '):match('^%s*(.-)%s*$'), ('abc'):rep(3, ','), ('Hello'):upper(), ('Hello'):lower(), ('abc'):reverse())
show(('%bxy'):len(), ('f(a(b)c)d'):match('%b()'), ('THE (quick) fox'):find('%f[%a]%a+%f[%A]'))
for w in ('one two  three'):gmatch('%a+') do show(w) end
show(('x'):byte(), string.char(72, 105), ('\xe2\x82\xac'):len(), #'\u{10FFFF}')
show(pcall(string.rep, 'x', -1), select('#', ('abc'):byte(1, -1)))
show(('h\xe9\0\xffz'):byte(1, -1)) show(('abcdef'):byte(-3, -2)) show(select('#', ('abc'):byte(3, 2)), ('abc'):byte(10), ('abc'):byte(0, 1))

-- every pattern class (and escaped non-classes) over every byte, as a 256-bit hex map
for cl in ('acdglpsuwxzACDGLPSUWXZ.%@[]^-_`{|'):gmatch('.') do
  local bits = {}
  for hi = 0, 63 do
    local nibble = 0
    for lo = 0, 3 do
      if string.find(string.char(hi * 4 + lo), '^%' .. cl .. '$') then nibble = nibble | (1 << lo) end
    end
    bits[#bits + 1] = string.format('%x', nibble)
  end
  show('%' .. cl, table.concat(bits), ('x1_A'):gsub('[%' .. cl .. ']', '#'))
end

-- string.pack
local packed = string.pack('<i4 >i8 d z s1 B', -2, 1 << 40, 1.5, 'zs', 'len', 255)
show(#packed, (packed:gsub('.', function(c) return string.format('%02x', c:byte()) end)))
show(string.unpack('<i4 >i8 d z s1 B', packed))
show(string.packsize('i4i8d'), pcall(string.pack, 'i17', 1))

-- utf8
show(utf8.char(72, 228, 8364, 128512), utf8.len('häll€'), utf8.codepoint('häll€', 1, -1))
for p, c in utf8.codes('aä€') do show(p, c) end
show(utf8.offset('aä€x', 3), utf8.len('\xff'), utf8.charpattern)

-- tables
local t = { 5, 2, 8, 1, 9, 3 }
table.sort(t) show(table.concat(t, ','))
table.sort(t, function(a, b) return a > b end) show(table.concat(t, ','))
show(table.unpack({ 1, 2, 3 }, 2), select('#', table.unpack({}, 1, 3)), #table.pack(1, nil, 3), table.move({ 1, 2, 3 }, 1, 3, 2)[3])
-- moves longer than one charged run (1024 elements, luap_workrun in ltablib.c)
local function digest(t, n) local h = 0 for i = 1, n do h = (h * 31 + (t[i] or -1)) % 1000003 end return h end
for _, n in ipairs({ 1023, 1024, 1025, 2049 }) do
  local q = {} for i = 1, n do q[i] = i end
  table.insert(q, 1, 0) table.insert(q, n // 2, -5)
  local a, b = table.remove(q, 1), table.remove(q, 3)
  local m = table.move(q, 1, n, 3) local r = table.move(q, 5, n + 1, 1) local c = table.move(q, 1, n, 1, {})
  local log = {}
  local p = setmetatable({}, { __index = function(_, k) return k * 2 end, __newindex = function(t, k, v) log[#log + 1] = k rawset(t, k, v) end, __len = function() return n end })
  table.insert(p, 1, 7) local z = table.remove(p, 1)
  show(n, a, b, #q, digest(q, n + 2), m == q, r == q, digest(c, n), #log, log[1], log[#log], z, rawget(p, n))
end

-- stores into the array part (wasm ends them early: luap_arrayfast in lvm.c)
do
  local log = {}
  local t = setmetatable({ 1, nil, 3 }, { __newindex = function(t, k, v) log[#log + 1] = k rawset(t, k, v * 10) end })
  local k = 2
  t[k] = 5 t[1] = 7 t[3] = 9 k = 3 t[k] = 11
  for _, key in ipairs({ 0, -1, 4, 2.0, 2 ^ 53 }) do t[key] = 1 end
  show(t[1], t[2], t[3], t[4], t[0], t[-1], t[2 ^ 53], table.concat(log, ','))
  local a = {} for i = 1, 10 do a[i] = i end a[5] = nil
  for i = 1, 12 do a[i] = (a[i] or 0) + i end
  show(#a, a[5], a[11], a[12])
  -- fresh collectables stored into an old table survive collections (the write barrier)
  local old = {} for i = 1, 200 do old[i] = false end
  collectgarbage() collectgarbage()
  for i = 1, 200 do old[i] = { v = i } if i % 20 == 0 then collectgarbage('step', 1) end end
  collectgarbage()
  local sum = 0 for i = 1, 200 do sum = sum + old[i].v end
  local w = setmetatable({}, { __mode = 'v' }) for i = 1, 4 do w[i] = {} end collectgarbage()
  show(sum, next(w))
end

-- time (UTC only)
show(os.date('!%Y-%m-%d %H:%M:%S', 0), os.date('!%c', 86400 * 365), os.date('!%x %X %p %j %a %A %b %B', 1e9))
local d = os.date('!*t', 1234567890) show(d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
show(os.time({ year = 2020, month = 1, day = 1, hour = 12 }) - os.time({ year = 2019, month = 12, day = 31, hour = 12 }))
show(os.difftime(10, 4), math.type(os.time()), type(os.clock()))

-- errors and coroutines
show(type(select(2, pcall(error, { code = 1 }))), select(2, pcall(error, 'msg', 0)), select(2, pcall(error)))
show(select(2, pcall(function() local x = nil; return x.y end)))
show(select(2, pcall(function() return 1 + {} end)), select(2, pcall(function() return #5 end)))
local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
show(co(1), co(10), coroutine.isyieldable(), select(2, coroutine.running()))
do
  local log = {}
  do local x <close> = setmetatable({}, { __close = function() log[#log + 1] = 'closed' end }) end
  show(table.concat(log))
end
show(string.format('%d', 3.0), pcall(string.format, '%d', 3.5), math.floor(-3.5), math.ceil(-3.5), math.fmod(-7, 3), math.max(1, 2.5))
