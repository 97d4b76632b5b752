local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- string.pack
local packed = string.pack('<i4 >i8 d z s1 B', -2, 1 << 40, 1.5, 'zs', 'len', 255)
show(#packed, (packed:gsub('.', function(c) return string.format('%02x', c:byte()) end)))
show(string.unpack('<i4 >i8 d z s1 B', packed))
show(string.packsize('i4i8d'), pcall(string.pack, 'i17', 1))
