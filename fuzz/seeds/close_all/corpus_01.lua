local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- text to numbers
local inputs = { '10', '  10  ', '0x10', '0x1p4', '1e2', '.5', '5.', '0x.8', '1e', 'abc', '10z', '- 1', '-0x10',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '1e309', '0x7fffffffffffffff', 'inf', 'nan' }
for _, s in ipairs(inputs) do show(s, tonumber(s), math.type(tonumber(s))) end
show(tonumber('ff', 16), tonumber('zz', 36), tonumber('777', 8), tonumber('102', 2), tonumber('1e1', 10))
