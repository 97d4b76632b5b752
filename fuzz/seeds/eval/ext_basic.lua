local t = ext.table('default')
t.user = {name = 'ada', score = 1, tags = {'a', 'b'}}
t.user.score = t.user.score + 1
t[1] = 1.5; t[true] = '\xff'
for k, v in pairs(t) do print(k, v) end
return #t, ext.tables()