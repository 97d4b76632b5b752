local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- time (UTC only)
show(os.date('!%Y-%m-%d %H:%M:%S', 0), os.date('!%c', 86400 * 365), os.date('!%x %X %p %j %a %A %b %B', 1e9))
local d = os.date('!*t', 1234567890) show(d.year, d.month, d.day, d.hour, d.min, d.sec, d.wday, d.yday, d.isdst)
show(os.time({ year = 2020, month = 1, day = 1, hour = 12 }) - os.time({ year = 2019, month = 12, day = 31, hour = 12 }))
show(os.difftime(10, 4), math.type(os.time()), type(os.clock()))
