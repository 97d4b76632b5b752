'use strict';
// The two clocks every engine is timed with, read inside the measured process around
// the run only. `wall`: performance.now(). `cpu`: process CPU time (user + system,
// getrusage via process.cpuUsage(), µs resolution); the lua5.4 driver reads os.clock(),
// the same process CPU time. CPU time leaves out time lost to other processes on a
// busy machine; for the V8-based engines it also counts V8's helper threads (GC,
// compiles), which only makes them look slower. (Per-thread CPU from
// /proc/thread-self/schedstat was tried: it moves in scheduler ticks of ~4 ms.)
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

const now = () => ({ wall: performance.now(), cpu: cpuMs() });

/** Milliseconds of both clocks since `t0` (a value of now()). */
function since(t0) {
  const cpu = cpuMs();
  const wall = performance.now();
  return { wallMs: wall - t0.wall, cpuMs: cpu - t0.cpu };
}

module.exports = { now, since };
