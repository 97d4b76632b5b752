-- State kept across runs: an order's workflow. Each run feeds one event; the state
-- and a log of transitions live in external tables, so the machine resumes where the
-- last run left it. A bad event is an error (exit status 1) and changes nothing.
--   lua-persistent examples/state-machine.lua pay
--   lua-persistent examples/state-machine.lua status
local transitions = {
  new       = { pay = 'paid', cancel = 'cancelled' },
  paid      = { ship = 'shipped', refund = 'refunded' },
  shipped   = { deliver = 'delivered', lose = 'lost' },
  lost      = { refund = 'refunded' },
  delivered = {},
  refunded  = {},
  cancelled = {},
}

local order = ext.table('order')
local log = ext.table('order_log')
order.state = order.state or 'new'

local function allowed(state)
  local events = {}
  for event in pairs(transitions[state]) do events[#events + 1] = event end
  table.sort(events)
  return events
end

local event = arg[1] or 'status'
if event == 'status' then
  print(('state: %s (%d transitions)'):format(order.state, #log))
elseif event == 'reset' then
  order.state = 'new'
  while #log > 0 do table.remove(log) end
  print('state: new')
else
  local from = order.state
  local to = transitions[from][event]
  if not to then
    local events = allowed(from)
    error(('cannot %s an order that is %s (allowed: %s)'):format(
      event, from, #events > 0 and table.concat(events, ', ') or 'none, it is final'))
  end
  order.state = to
  log[#log + 1] = { from = from, event = event, to = to, at = os.time() }
  print(('%s --%s--> %s'):format(from, event, to))
end
local events = allowed(order.state)
if #events > 0 then print('next: ' .. table.concat(events, ', ')) end
