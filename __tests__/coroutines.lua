-- Coroutine semantics the fast yield path (luap_fastyield, crates/lua-sys) must keep:
-- yields by return and by long jump, tail calls, varargs, metamethods, iterators,
-- pcall/xpcall, to-be-closed variables, errors and C-call boundaries. Printed output
-- is compared with the reference interpreter lua5.4 by coroutines.test.js.
local function p(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, ',', 1, t.n))
end
-- basic generator
local g = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i, i*2) end return 'done' end)
p(g()) p(g()) p(g()) p(g())
-- tail-call yield
local co = coroutine.create(function(a) local b = coroutine.yield(a+1); return coroutine.yield(b*2) end)
p(coroutine.resume(co, 1)) p(coroutine.resume(co, 10)) p(coroutine.resume(co, 'x')) p(coroutine.resume(co))
-- yield across pcall (slow path), error after yield
co = coroutine.create(function() local ok, e = pcall(function() coroutine.yield(1); error('boom') end); coroutine.yield(ok, e); return 'end' end)
p(coroutine.resume(co)) p(select(2, coroutine.resume(co))) p(coroutine.resume(co))
-- yield inside metamethod
local mt = {__index = function(t, k) return coroutine.yield(k) end}
co = coroutine.wrap(function() local t = setmetatable({}, mt); return 'got ' .. t.foo end)
p(co()) p(co('bar'))
-- yield in for iterator
co = coroutine.wrap(function() for k in coroutine.yield do p('iter', k) ; if k == 3 then break end end return 'fin' end)
co() co(1) co(2) p(co(3))
-- body is yield itself
co = coroutine.wrap(coroutine.yield)
p(co(5, 6)) p(co(7))
-- vararg function tail-yield
co = coroutine.wrap(function(...) local n = select('#', ...); return coroutine.yield(n, ...) end)
p(co(1, 2, 3)) p(co('a', 'b'))
-- error in coroutine after yields, status
co = coroutine.create(function() coroutine.yield(); error("bad", 0) end)
coroutine.resume(co); p(coroutine.resume(co)) p(coroutine.status(co))
-- yield across C boundary error
p(pcall(function() table.sort({3,2,1}, function(a,b) coroutine.yield() end) end))
co = coroutine.wrap(function() table.sort({3,2,1}, function(a,b) coroutine.yield() return a<b end) end)
p(pcall(co))
-- to-be-closed variables with yield
co = coroutine.wrap(function() local x <close> = setmetatable({}, {__close=function() p('closed') end}); coroutine.yield(1); return 2 end)
p(co()) p(co())
-- isyieldable, running
co = coroutine.wrap(function() p(coroutine.isyieldable()); coroutine.yield(); return 'ok' end) co() p(co())
-- deep: yield from nested Lua calls
local function deep(n) if n == 0 then return coroutine.yield('bottom') end return deep(n-1) end
local function deep2(n) if n == 0 then local v = coroutine.yield('b2'); return v end local r = deep2(n-1); return r end
co = coroutine.wrap(function() return deep(100) end) p(co()) p(co('up'))
co = coroutine.wrap(function() return deep2(50) end) p(co()) p(co('up2'))
-- coroutine.close on suspended
co = coroutine.create(function() local x <close> = setmetatable({}, {__close=function() p('c2') end}); coroutine.yield() end)
coroutine.resume(co) p(coroutine.close(co)) p(coroutine.status(co))
-- wrap error propagation
co = coroutine.wrap(function() coroutine.yield(1) error({code=1}) end) co() local ok, e = pcall(co) p(ok, type(e), e.code)
-- producer/consumer sum
local function prod(n) return coroutine.wrap(function() for i=1,n do coroutine.yield(i) end end) end
local function filt(src) return coroutine.wrap(function() for v in src do if v % 3 ~= 0 then coroutine.yield(v % 1000) end end end) end
local s = 0 for v in filt(prod(30000)) do s = (s + v) % 1000003 end p(s)
-- yield within pcall inside coroutine then normal return from pcall
co = coroutine.wrap(function() local ok, v = pcall(function() local r = coroutine.yield('in') return r * 2 end) return ok, v end)
p(co()) p(co(21))
-- xpcall with handler, yield in body
co = coroutine.wrap(function() return xpcall(function() coroutine.yield('x'); error('e2') end, function(m) return 'handled' end) end)
p(co()) p(co())

