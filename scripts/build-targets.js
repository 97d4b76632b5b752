#!/usr/bin/env node
'use strict';
// Cross-builds the release addon for every published target (package.json's
// napi.targets, see scripts/targets.js) on this Linux x64 machine, checks each binary,
// and runs what can run here. `npm run build:targets [-- options]`:
//   --only a,b     these npm triples only (e.g. linux-arm64-gnu,darwin-x64)
//   --no-setup     skip scripts/setup-cross.sh (it is idempotent and quick when done)
//   --no-smoke     build and check only
//   --no-suites    run the smoke test but not the Jest suites (below)
// Leaves npm/<triple>/lua-persistent.<triple>.node (what scripts/pack.js packs) and
// prints one line per target. Exits non-zero when a build, a check or a smoke fails.
//
// The C toolchain is zig through cargo-zigbuild: one compiler for every target, and
// glibc targets linked against glibc 2.17's symbol versions (`<triple>.2.17`), so the
// gnu addons load on any glibc from 2.17 on (CentOS 7, Debian 8, Ubuntu 14.04), not
// only on this machine's. The checks, per binary (llvm-readobj/llvm-nm, all formats):
//   - format and architecture are the target's;
//   - gnu: no symbol version above GLIBC_2.17; needed libraries are glibc's own;
//   - undefined symbols: N-API (resolved from the Node process at load time) and the C
//     library only: glibc-versioned symbols (gnu), musl's exports (musl, from zig's
//     musl stub), symbols bound to /usr/lib system dylibs (macOS; N-API is
//     dynamically looked up), and for Windows, imports from system DLLs only (N-API is
//     looked up at run time: napi's dyn-symbols, see crates/node/Cargo.toml);
//   - stripped (no local symbol table), and its size.
// Then a smoke test: the staged main package plus the target's platform package, in a
// temp project: createLua() picks the native addon, evaluates Lua, persists an ext table
// to a directory and reopens it; then 18 of the Jest suites (SUITES) on the native
// backend with that addon. linux-x64-gnu runs on this machine's Node, linux-arm64-gnu
// under qemu-user with Debian's arm64 Node 18 (scripts/setup-cross.sh). musl, macOS and
// Windows addons are built and checked but not run here.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { targets, platformManifest, GLIBC, ROOT } = require('./targets');
const { stageMain, builtAddon } = require('./pack');

const CROSS = path.join(ROOT, 'target', 'cross');
/** The oldest macOS each addon must load on: Node 18's own minimums. */
const MACOS_MIN = { x64: '10.15', arm64: '11.0' };
const READOBJ = 'llvm-readobj-19';
const NM = 'llvm-nm-19';
const ARM64_ROOT = path.join(CROSS, 'arm64-root');

/** The file cargo writes for target `t`. */
function cargoOutput(t) {
  const file = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[t.os];
  return path.join(ROOT, 'target', t.rust, 'release', file);
}

/** The environment of target `t`'s build: zig from the venv, and the per-target flags. */
function buildEnv(t) {
  const env = { ...process.env, PATH: `${path.join(CROSS, 'venv', 'bin')}${path.delimiter}${process.env.PATH}` };
  const flagsVar = `CARGO_TARGET_${t.rust.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`;
  if (t.libc === 'musl') {
    // musl's default is a static executable; a Node addon is a shared library loaded
    // into Node's own (dynamic) musl.
    env[flagsVar] = '-C target-feature=-crt-static';
  } else if (t.os === 'darwin') {
    // Node 18's own minimum macOS. zig's default is 13.0, and dyld refuses a binary
    // built for a newer macOS than it runs on; zig takes the version only from its
    // target (cargo-zigbuild's wrapper passes `-target <arch>-macos-none`; a second
    // `-target` wins), for the C compiler and for the link. rustc gets it from
    // MACOSX_DEPLOYMENT_TARGET. And an install name that is not this build's path.
    const min = MACOS_MIN[t.cpu];
    const zigTarget = `${t.cpu === 'x64' ? 'x86_64' : 'aarch64'}-macos.${min}-none`;
    env.MACOSX_DEPLOYMENT_TARGET = min;
    env[`CFLAGS_${t.rust.replace(/-/g, '_')}`] = `-target ${zigTarget}`;
    env[flagsVar] = `-C link-arg=-target -C link-arg=${zigTarget} -C link-arg=-Wl,-install_name,@rpath/lua-persistent.${t.triple}.node`;
  } else if (t.os === 'win32') {
    // napi-build's windows-gnu setup insists on linking MSYS2's libnode.dll. With
    // dyn-symbols nothing is imported from it: an empty archive satisfies `-lnode`.
    const stub = path.join(CROSS, 'libnode');
    fs.mkdirSync(stub, { recursive: true });
    fs.writeFileSync(path.join(stub, 'libnode.dll'), '');
    fs.writeFileSync(path.join(stub, 'libnode.a'), '!<arch>\n');
    env.LIBNODE_PATH = stub;
  }
  return env;
}

/** Builds target `t`; returns the seconds it took. Copies the addon to npm/<triple>/. */
function build(t) {
  const started = Date.now();
  execFileSync('cargo', ['zigbuild', '-p', 'lua-persistent-node', '--release', '--target', t.zig], { cwd: ROOT, env: buildEnv(t), stdio: 'inherit' });
  fs.copyFileSync(cargoOutput(t), builtAddon(t));
  return (Date.now() - started) / 1000;
}

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });

/** `llvm-nm` lines of undefined symbols: { name, weak, version, from }. */
function undefinedSymbols(file, t) {
  if (t.os === 'darwin') {
    // -m: "(undefined) external _name (from libSystem)"; no "(from …)": looked up dynamically.
    return run(NM, ['-m', '--undefined-only', file]).trim().split('\n').filter(Boolean).map((l) => {
      const m = /\(undefined\) (weak )?external (\S+)(?: \(from (\S+)\))?/.exec(l);
      return m ? { name: m[2], weak: Boolean(m[1]), from: m[3] || null } : { name: l.trim(), unparsed: true };
    });
  }
  return run(NM, ['-D', '--undefined-only', file]).trim().split('\n').filter(Boolean).map((l) => {
    const [type, sym] = l.trim().split(/\s+/);
    const [name, version] = sym.split('@');
    return { name, weak: type === 'w' || type === 'v', version: version || null };
  });
}

const NAPI = /^_?(napi_|node_api_)/;
let muslExports = null;

/** The names musl's libc.so exports, from zig's stub (lib/libc/musl/libc.S). */
function musl() {
  if (muslExports) return muslExports;
  const lib = path.join(CROSS, 'venv', 'lib');
  const py = fs.readdirSync(lib).find((d) => d.startsWith('python'));
  const src = fs.readFileSync(path.join(lib, py, 'site-packages', 'ziglang', 'lib', 'libc', 'musl', 'libc.S'), 'utf8');
  muslExports = new Set([...src.matchAll(/^\s*(?:\.globl|\.weak|WEAK64|WEAKTIME64)\s+(\S+)\s*$/gm)].map((m) => m[1]));
  return muslExports;
}

const ARCH = { x64: 'x86_64', arm64: 'aarch64' };
const FORMAT = { linux: /^elf64-/, darwin: /^Mach-O /, win32: /^COFF-/ };
const SYSTEM_DLL = /^(kernel32|ntdll|msvcrt|ucrtbase|api-ms-win-[\w-]+|advapi32|bcrypt|bcryptprimitives|ws2_32|userenv|shell32|ole32|synchronization)\.dll$/i;
const GLIBC_LIBS = new Set(['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'librt.so.1', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1']);

/** A dotted version as a number that orders like it (up to three parts). */
const versionNumber = (v) => [0, 1, 2].reduce((n, i) => n * 1000 + Number(v.split('.')[i] || 0), 0);

/** Checks the binary of target `t`; returns { facts, problems }. */
function check(t, file) {
  const problems = [];
  const facts = { size: fs.statSync(file).size };
  const headers = run(READOBJ, ['--file-headers', file]);
  facts.format = (/^Format: (.+)$/m.exec(headers) || [])[1];
  facts.arch = (/^Arch: (.+)$/m.exec(headers) || [])[1];
  if (!FORMAT[t.os].test(facts.format || '')) problems.push(`format ${facts.format}`);
  if (facts.arch !== ARCH[t.cpu]) problems.push(`architecture ${facts.arch}, expected ${ARCH[t.cpu]}`);

  if (t.os === 'win32') {
    const dlls = [...run(READOBJ, ['--coff-imports', file]).matchAll(/^\s*Name: (\S+\.dll)$/gim)].map((m) => m[1]);
    facts.imports = [...new Set(dlls)].sort();
    for (const dll of facts.imports) if (!SYSTEM_DLL.test(dll)) problems.push(`imports ${dll}`);
    if (!fs.readFileSync(file).includes('napi_create_object')) problems.push('no N-API names to look up at run time');
  } else {
    for (const s of undefinedSymbols(file, t)) {
      if (NAPI.test(s.name) || s.weak) continue;
      const ok = t.os === 'darwin' ? s.from !== null && !s.unparsed
        : t.libc === 'glibc' ? /^GLIBC_[\d.]+$/.test(s.version || '')
          : musl().has(s.name);
      if (!ok) problems.push(`undefined ${s.name}${s.version ? `@${s.version}` : ''}${s.from ? ` (from ${s.from})` : ''}`);
      if (t.libc === 'glibc' && /^GLIBC_/.test(s.version || '')) {
        const v = s.version.replace('GLIBC_', '');
        if (!facts.glibc || versionNumber(v) > versionNumber(facts.glibc)) facts.glibc = v;
      }
    }
    if (t.libc === 'glibc' && versionNumber(facts.glibc || '0') > versionNumber(GLIBC)) problems.push(`needs glibc ${facts.glibc} > ${GLIBC}`);
    if (t.os === 'linux') {
      facts.needed = [...run(READOBJ, ['--needed-libs', file]).matchAll(/^\s+(\S+\.so[.\d]*)$/gm)].map((m) => m[1]);
      const allowed = t.libc === 'musl' ? new Set(['libc.so']) : GLIBC_LIBS;
      for (const lib of facts.needed) if (!allowed.has(lib)) problems.push(`needs ${lib}`);
    } else {
      facts.needed = [...run('llvm-objdump-19', ['--macho', '--dylibs-used', file]).matchAll(/^\s+(\/\S+)/gm)].map((m) => m[1]);
      facts.minos = (/^\s*minos (\S+)$/m.exec(run('llvm-objdump-19', ['--macho', '--private-headers', file])) || [])[1];
      if (!facts.minos || versionNumber(facts.minos) > versionNumber(MACOS_MIN[t.cpu])) problems.push(`needs macOS ${facts.minos} > ${MACOS_MIN[t.cpu]}`);
      for (const lib of facts.needed) if (!/^\/usr\/lib\//.test(lib)) problems.push(`links ${lib}`);
    }
  }
  // Stripped: no local (non-exported) symbols left.
  const locals = run(NM, ['--no-sort', file]).split('\n').filter((l) => /^\s*[0-9a-f]*\s+[a-z]\s/.test(l) && !/\s[uvw]\s/.test(l));
  facts.localSymbols = locals.length;
  if (locals.length > 0) problems.push(`not stripped (${locals.length} local symbols)`);
  return { facts, problems };
}

const SMOKE = `
const fs = require('fs'), os = require('os'), path = require('path');
const { createLua } = require('lua-persistent');
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luap-smoke-'));
  try {
    let lua = await createLua({ storage: dir });
    const first = lua.eval("local t = ext.table('t'); t.n = 41; t.s = 'persisted'; return _VERSION .. ' ' .. (t.n + 1)");
    const out = { backend: lua.backend, fallbackReason: lua.fallbackReason || null, first, arch: process.arch };
    await lua.close();
    lua = await createLua({ storage: dir });
    out.reopened = lua.eval("local t = ext.table('t'); return t.s .. ' ' .. t.n");
    await lua.close();
    out.addon = require.resolve(process.argv[2]);
    console.log(JSON.stringify(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

/** How to run Node for target `t` here, or null when it cannot run here. */
function nodeFor(t) {
  if (t.triple === 'linux-x64-gnu' && process.platform === 'linux' && process.arch === 'x64') return [process.execPath];
  if (t.triple === 'linux-arm64-gnu' && fs.existsSync(path.join(ARM64_ROOT, 'usr', 'bin', 'node'))) {
    return ['qemu-aarch64', '-L', ARM64_ROOT, path.join(ARM64_ROOT, 'usr', 'bin', 'node')];
  }
  return null;
}

/** Runs the smoke test of target `t` in a temp project; returns a description or throws. */
function smoke(t) {
  const node = nodeFor(t);
  if (!node) return null;
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'luap-target-'));
  try {
    const modules = path.join(project, 'node_modules');
    stageMain(path.join(modules, 'lua-persistent'));
    const pkg = path.join(modules, `lua-persistent-${t.triple}`);
    const manifest = platformManifest(t);
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify(manifest));
    fs.copyFileSync(builtAddon(t), path.join(pkg, manifest.main));
    fs.writeFileSync(path.join(project, 'smoke.js'), SMOKE);
    const started = Date.now();
    const r = spawnSync(node[0], [...node.slice(1), 'smoke.js', manifest.name], { cwd: project, encoding: 'utf8', timeout: 300000 });
    if (r.status !== 0) throw new Error(`smoke test of ${t.triple} failed:\n${r.stdout}${r.stderr}`);
    const out = JSON.parse(r.stdout);
    const expected = { backend: 'native', fallbackReason: null, first: 'Lua 5.4 42', arch: t.cpu, reopened: 'persisted 41' };
    for (const [k, v] of Object.entries(expected)) {
      if (out[k] !== v) throw new Error(`smoke test of ${t.triple}: ${k} is ${JSON.stringify(out[k])}, expected ${JSON.stringify(v)}`);
    }
    if (!out.addon.includes(`lua-persistent-${t.triple}`)) throw new Error(`smoke test of ${t.triple} loaded ${out.addon}`);
    return `${node[0] === process.execPath ? 'ran on this Node' : 'ran under qemu-aarch64'} ${((Date.now() - started) / 1000).toFixed(1)} s`;
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

/** The Jest suites run on each runnable addon: every suite that needs neither a child
 * process (a Node spawned under qemu-user needs binfmt_misc, which this machine does
 * not set up), a browser, nor the wasm backend alone. */
const SUITES = ['async', 'callbacks', 'charged-work', 'chunk-cache', 'conversions', 'coroutines', 'corpus', 'errors', 'ext',
  'functions', 'limits', 'modules', 'refs', 'sandbox', 'snapshot', 'store-log', 'transactions', 'values'];

/** Runs SUITES on the native backend with target `t`'s addon
 * (LUA_PERSISTENT_NATIVE_PATH); returns "N/M tests passed" or throws. */
function suites(t) {
  const node = nodeFor(t);
  if (!node) return null;
  const report = path.join(os.tmpdir(), `luap-suites-${process.pid}.json`);
  const started = Date.now();
  const r = spawnSync(node[0], [...node.slice(1), path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '-i', '--json', `--outputFile=${report}`,
    ...SUITES.map((name) => `__tests__/${name}.test.js`)], {
    cwd: ROOT, encoding: 'utf8', timeout: 1800000, env: { ...process.env, LUA_BACKENDS: 'native', LUA_PERSISTENT_NATIVE_PATH: builtAddon(t) },
  });
  let result = null;
  try {
    result = JSON.parse(fs.readFileSync(report, 'utf8'));
  } catch { /* no report: the run itself failed */ } finally {
    fs.rmSync(report, { force: true });
  }
  if (!result || r.status !== 0 || result.numFailedTests || result.numRuntimeErrorTestSuites) {
    throw new Error(`Jest suites on ${t.triple} failed:\n${r.stderr.slice(-4000)}`);
  }
  return `${result.numPassedTests}/${result.numTotalTests} Jest tests (${SUITES.length} suites) ${((Date.now() - started) / 1000).toFixed(0)} s`;
}

function parseArgs(argv) {
  const at = argv.indexOf('--only');
  return {
    only: at >= 0 ? argv[at + 1].split(',') : null,
    setup: !argv.includes('--no-setup'),
    smoke: !argv.includes('--no-smoke'),
    suites: !argv.includes('--no-smoke') && !argv.includes('--no-suites'),
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const chosen = targets().filter((t) => !args.only || args.only.includes(t.triple));
  if (args.only && chosen.length !== args.only.length) throw new Error(`build-targets: unknown triple in ${args.only.join(',')} (known: ${targets().map((t) => t.triple).join(', ')})`);
  if (args.setup) execFileSync('bash', [path.join(__dirname, 'setup-cross.sh')], { stdio: 'inherit' });
  const lines = [];
  let failed = false;
  for (const t of chosen) {
    const seconds = build(t);
    const { facts, problems } = check(t, builtAddon(t));
    let ran = 'built and checked, not run here';
    if (args.smoke && problems.length === 0) {
      try {
        ran = smoke(t) || ran;
        const passed = args.suites ? suites(t) : null;
        if (passed) ran += `; ${passed}`;
      } catch (e) {
        problems.push(e.message);
      }
    }
    if (problems.length) failed = true;
    const libc = t.libc === 'glibc' ? ` glibc>=${facts.glibc}` : facts.minos ? ` macOS>=${facts.minos}` : '';
    lines.push(`${t.triple.padEnd(17)} ${(facts.size / 1024).toFixed(0).padStart(5)} KiB  ${facts.format} ${facts.arch}${libc}  built in ${seconds.toFixed(0)} s  ${problems.length ? `PROBLEMS: ${problems.join('; ')}` : ran}`);
  }
  console.log(`\n${lines.join('\n')}`);
  if (failed) process.exit(1);
}

module.exports = { check, smoke, suites, buildEnv };

if (require.main === module) main();
