local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ' | '))
end

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
