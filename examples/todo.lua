-- CRUD on external tables: a todo list kept in the store between runs.
--   lua-persistent examples/todo.lua add "buy milk"
--   lua-persistent examples/todo.lua list
--   lua-persistent examples/todo.lua done 1
--   lua-persistent examples/todo.lua edit 1 "buy oat milk"
--   lua-persistent examples/todo.lua remove 1
local todos = ext.table('todos') -- id -> { text, done, created }
local meta = ext.table('todo_meta') -- next_id

local function find(id)
  local n = math.tointeger(tonumber(id))
  local item = n and todos[n]
  if not item then error(('no todo #%s (see: list)'):format(tostring(id)), 0) end
  return n, item
end

local commands = {}

function commands.add(text)
  assert(text and text ~= '', 'add needs a text')
  local id = meta.next_id or 1
  todos[id] = { text = text, done = false, created = os.time() }
  meta.next_id = id + 1
  print(('added #%d: %s'):format(id, text))
end

function commands.list()
  local ids = {}
  for id in pairs(todos) do ids[#ids + 1] = id end
  table.sort(ids)
  for _, id in ipairs(ids) do
    local item = todos[id]
    print(('%3d [%s] %s'):format(id, item.done and 'x' or ' ', item.text))
  end
  print(('%d todo(s)'):format(#ids))
end

function commands.done(id)
  local n, item = find(id)
  item.done = true -- a nested ext table: this write persists as it is
  print(('done #%d: %s'):format(n, item.text))
end

function commands.edit(id, text)
  local n, item = find(id)
  assert(text and text ~= '', 'edit needs a text')
  item.text = text
  print(('edited #%d: %s'):format(n, text))
end

function commands.remove(id)
  local n, item = find(id)
  todos[n] = nil
  print(('removed #%d: %s'):format(n, item.text))
end

local name = arg[1] or 'list'
local command = commands[name]
if not command then
  error(('unknown command %q (add, list, done, edit, remove)'):format(name), 0)
end
command(arg[2], arg[3])
