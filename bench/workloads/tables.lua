-- bench: group=pure n=1000000 smoke=2000
-- Table-heavy code: a sieve in an array part, a hash part keyed by strings, insert and
-- remove, sort. Integer values stay below 2^31 (fengari's integers are 32-bit).
local N = N
local sieve, primes = {}, {}
for i = 2, N do sieve[i] = true end
local root = math.floor(math.sqrt(N))
for i = 2, N do
  if sieve[i] then
    primes[#primes + 1] = i
    if i <= root then
      for j = i * i, N, i do sieve[j] = false end
    end
  end
end
local byName = {}
for i = 1, N // 2 do byName["k" .. (i % 5000)] = (byName["k" .. (i % 5000)] or 0) + i % 7 end
local total = 0
for i = 0, 4999 do total = (total + (byName["k" .. i] or 0)) % 1000003 end
local list = {}
for i = 1, N // 4 do list[#list + 1] = (i * 331) % 100003 end
for _ = 1, N // 40 do table.remove(list) end
table.sort(list)
local h = 0
for i = 1, #list, 13 do h = (h * 31 + list[i]) % 1000003 end
return #primes * 7 + total + h
