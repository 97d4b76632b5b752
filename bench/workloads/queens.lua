-- bench: group=classic n=12 smoke=5
-- N-queens by backtracking: recursive closure calls and boolean array reads and writes.
local N = N
local function solve(n)
  local cols, d1, d2, count = {}, {}, {}, 0
  local function place(r)
    if r > n then count = count + 1 return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = false, false, false
      end
    end
  end
  place(1)
  return count
end
local s = 0
for i = 1, 3 do s = s + solve(N) end
return s
