local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- utf8
show(utf8.char(72, 228, 8364, 128512), utf8.len('häll€'), utf8.codepoint('häll€', 1, -1))
for p, c in utf8.codes('aä€') do show(p, c) end
show(utf8.offset('aä€x', 3), utf8.len('\xff'), utf8.charpattern)
