local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

-- strings and patterns
show(('hello world from lua'):find('wor'), ('hello'):find('l+'), ('hello'):match('(h)(e)(l+)'))
show(('key=value; k2=v2'):gsub('(%w+)=(%w+)', '%2=%1'))
show(('  trim me  '):match('^%s*(.-)%s*$'), ('abc'):rep(3, ','), ('Hello'):upper(), ('Hello'):lower(), ('abc'):reverse())
show(('%bxy'):len(), ('f(a(b)c)d'):match('%b()'), ('THE (quick) fox'):find('%f[%a]%a+%f[%A]'))
for w in ('one two  three'):gmatch('%a+') do show(w) end
show(('x'):byte(), string.char(72, 105), ('\xe2\x82\xac'):len(), #'\u{10FFFF}')
show(pcall(string.rep, 'x', -1), select('#', ('abc'):byte(1, -1)))
