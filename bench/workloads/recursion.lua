-- bench: group=pure n=34 smoke=18
-- Recursion: naive Fibonacci plus Ackermann(2, n): deep call chains, no allocation.
local N = N
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
return fib(N) + ack(2, N * 10)
