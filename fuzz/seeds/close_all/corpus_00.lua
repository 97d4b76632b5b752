local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- numbers to text
show(0.1, 1/3, -0.0, 1/0, -1/0, 2^53, 2^63, math.maxinteger, math.mininteger, 1e15, 1e16, 1e100, 123456789012)
show(math.pi, -math.pi, 3.0, -3.0, 1e-310, 5e-324, 2^-1074, 0x10p-2)
show(math.tointeger(3.0), math.tointeger(3.5), 7 // 2, -7 // 2, 7 % -3, -7 % 3, 7.5 % 2, 2^31, 1 << 62, 5 // 0.0, -5 // 0.0)
show(math.type(1), math.type(1.0), math.type('1'), 3 | 0, math.ult(1, -1), math.abs(math.mininteger))
local fmts = { '%d', '%5d', '%-5d|', '%05d', '%+d', '%x', '%X', '%#x', '%o', '%c', '%i' }
for _, f in ipairs(fmts) do show(f, string.format(f, 65)) end
local ffmts = { '%f', '%.3f', '%10.2f', '%-10.2f|', '%e', '%.0e', '%E', '%g', '%.3g', '%#g', '%G', '%a', '%A', '%.2a', '%5.1f' }
for _, f in ipairs(ffmts) do
  show(f, string.format(f, 3.14159265358979), string.format(f, -0.000123456), string.format(f, 1e300), string.format(f, 0.0))
end
show(string.format('%q', 'a\nb\0c"\\\r\t\200'), string.format('%q', 1/0), string.format('%q', -1/0), string.format('%q', 0/0 ~= 0/0))
show(string.format('%q', math.mininteger), string.format('%q', 2^63), string.format('%q', 0.1))
show(string.format('%s|%10s|%-10s|%.2s', 'abc', 'abc', 'abc', 'abc'), string.format('%%'))
show(string.format('%5.2f|%g|%d|%s|%x|%q|%a', 3.14159, 1e20, 42, 'hi', 255, 'a\nb', 1.5))
