local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- tables
local t = { 5, 2, 8, 1, 9, 3 }
table.sort(t) show(table.concat(t, ','))
table.sort(t, function(a, b) return a > b end) show(table.concat(t, ','))
show(table.unpack({ 1, 2, 3 }, 2), select('#', table.unpack({}, 1, 3)), #table.pack(1, nil, 3), table.move({ 1, 2, 3 }, 1, 3, 2)[3])
