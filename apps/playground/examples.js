// Starter programs for the example menu (the first is the default editor text).
export const EXAMPLES = {
  'ext tables': `-- ext tables live in JS Maps and persist in IndexedDB:
-- run this, reload the page, run it again.
local visits = ext.table('visits')
visits.count = (visits.count or 0) + 1
visits.last = os.date('%H:%M:%S')

local users = ext.table('users')
users.ada = users.ada or { score = 0, tags = { 'admin', 'math' } }
users.ada.score = users.ada.score + 10

print(('visit #%d, ada has %d points'):format(visits.count, users.ada.score))
return visits.count, users.ada`,
  'runtime error': `local inventory = ext.table('inventory')
inventory.apples = 3

local function take(name, n)
  return inventory[name] - n -- 'pears' is nil: error here
end

print(take('apples', 1))
print(take('pears', 1))`,
  'syntax error': `for i = 1, 3 do
  print(i)
-- the loop has no 'end'`,
  'runaway loop': `-- Press Stop, or wait for the time limit.
local n = 0
while true do n = n + 1 end`,
};

export const DEFAULT_EXAMPLE = 'ext tables';
