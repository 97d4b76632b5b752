#!/usr/bin/env node
'use strict';
// Checks the docs the way a reader would use them: every ```js run snippet in README.md
// (and docs/*.md) is run for real, in a child process, against a chosen backend, and
// each `// -> value` comment is compared with what that line actually produced.
// Also checks that relative links and in-page anchors point somewhere, and that the
// plain ```js blocks (not run: browser code, third-party adapters) at least parse.
//
//   node scripts/check-docs.js                 every run snippet, on both backends
//   node scripts/check-docs.js wasm            one backend
//
// Snippet conventions (docs/api.md "How the examples run" says the same for readers):
// - Only fences whose info string is `js run` are run; plain ```js fences (browser code,
//   third-party adapters, fragments) are not.
// - A line `EXPR // -> EXPECTED` checks EXPR against the JS expression EXPECTED
//   (util.isDeepStrictEqual); `const x = EXPR; // -> EXPECTED` checks x. The annotated
//   line must hold the whole statement.
//   A line `CODE // prints: TEXT` checks what console.log (and so Lua's default print)
//   wrote while that line ran, lines joined by '\n'.
// - A snippet that does not require 'lua-persistent' itself gets
//   `const { createLua, LuaError } = require('lua-persistent')` and, unless it declares
//   `lua`, `const lua = await createLua();` (closed at the end).
// - `require('lua-persistent')` is this checkout; `createLua` calls that do not name a
//   backend get the one being checked. Each snippet runs in a fresh temp directory
//   (relative storage paths land there), inside an async function (top-level await).
//   Its checks are collected until the event loop is empty, so a snippet written as a
//   file a reader can paste (an `async function main` called as `main();`) is checked
//   too; an unhandled rejection fails it.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.join(__dirname, '..');
const DOCS = ['README.md', ...listDocs()];
const MARK = '\u0001readme-result ';

function listDocs() {
  const dir = path.join(ROOT, 'docs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
}

/** Every fenced block of a markdown file: { file, line (1-based, first code line), info, code }. */
function fences(file) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    out.push({ file, line: start + 1, info: open[1].trim(), code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** The ```js run blocks of the given files. */
function runnableSnippets(files = DOCS) {
  return files.flatMap(fences).filter((f) => /^js\s+run\b/.test(f.info));
}

const CHECK = /^(\s*)(.*?)\s*\/\/ -> (.+)$/;
const PRINTS = /^(\s*)(.*?)\s*\/\/ prints: (.*)$/;
const DECLARED = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/;

/**
 * Rewrites a snippet's annotated lines into checks. Returns { body, checks } where
 * checks lists { line, expected } in order (line: the line number in the doc).
 */
function annotate(snippet) {
  const checks = [];
  const body = snippet.code.split('\n').map((text, i) => {
    const line = snippet.line + i;
    let m = CHECK.exec(text);
    if (m) {
      const [, indent, code, expected] = m;
      const stmt = code.replace(/;\s*$/, '');
      checks.push({ line, expected });
      const id = checks.length - 1;
      const decl = DECLARED.exec(stmt);
      if (decl) return `${indent}${stmt}; __check(${id}, () => (${expected}), ${decl[1]});`;
      return `${indent}__check(${id}, () => (${expected}), (${stmt}));`;
    }
    m = PRINTS.exec(text);
    if (m) {
      const [, indent, code, expected] = m;
      checks.push({ line, expected: JSON.stringify(expected) });
      const id = checks.length - 1;
      return `${indent}__mark(); ${code.replace(/;?$/, ';')} __checkPrinted(${id}, ${JSON.stringify(expected)});`;
    }
    return text;
  });
  return { body: body.join('\n'), checks };
}

/** The child program for one snippet on one backend. */
function program(snippet, backend) {
  const { body, checks } = annotate(snippet);
  // A snippet that requires the package itself is self-contained.
  const implicitRequire = !/require\('lua-persistent'\)/.test(snippet.code);
  const implicitLua = implicitRequire && !/\b(?:const|let|var)\s+lua\b/.test(snippet.code);
  const source = `'use strict';
const __util = require('util');
const __real = require(${JSON.stringify(ROOT)});
const __pkg = { ...__real, createLua: (o = {}) => __real.createLua(o && typeof o === 'object' && o.backend === undefined ? { ...o, backend: ${JSON.stringify(backend)} } : o) };
const __results = [];
const __printed = [];
let __from = 0;
console.log = (...a) => { __printed.push(a.map((x) => (typeof x === 'string' ? x : __util.inspect(x))).join(' ')); };
const __show = (v) => __util.inspect(v, { depth: 4, breakLength: Infinity });
function __check(id, expected, actual) {
  let e;
  try { e = expected(); } catch (err) { __results.push({ id, ok: false, actual: __show(actual), error: 'expected value threw: ' + err.message }); return; }
  __results.push({ id, ok: __util.isDeepStrictEqual(actual, e), actual: __show(actual) });
}
const __mark = () => { __from = __printed.length; };
function __checkPrinted(id, expected) {
  const got = __printed.slice(__from).join('\\n');
  __results.push({ id, ok: got === expected, actual: JSON.stringify(got) });
}
let __finished = false;
const __finish = (error) => {
  if (__finished) return;
  __finished = true;
  process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify({ results: __results, error }) + '\\n');
};
const __fail = (e) => { __finish(String((e && e.stack) || e)); process.exitCode = 1; };
// A snippet written as a file a reader can paste calls \`main();\` without awaiting it:
// report when the event loop is empty, so checks inside such a promise still count.
process.on('unhandledRejection', __fail);
process.on('beforeExit', () => __finish(null));
(async () => {
  const require = (id) => (id === 'lua-persistent' ? __pkg : module.require(id));
  ${implicitRequire ? "const { createLua, LuaError } = require('lua-persistent');" : ''}
  ${implicitLua ? 'const lua = await createLua();' : ''}
${body}
  ${implicitLua ? 'await lua.close();' : ''}
})().catch(__fail);
`;
  return { source, checks };
}

/**
 * Runs one snippet on one backend in a child process. Resolves to
 * { ok, failures: [text], checks: n } (never rejects).
 */
function runSnippet(snippet, backend, { timeoutMs = 30000 } = {}) {
  const { source, checks } = program(snippet, backend);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-persistent-docs-'));
  const file = path.join(dir, 'snippet.js');
  fs.writeFileSync(file, source);
  const where = `${snippet.file}:${snippet.line}`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status, signal) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(judge(where, checks, stdout, stderr, status, signal));
    });
  });
}

/** Turns a child's output into { ok, failures, checks }. */
function judge(where, checks, stdout, stderr, status, signal) {
  const failures = [];
  const file = where.split(':')[0];
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) {
    failures.push(`${where}: the snippet did not finish (status ${status}, signal ${signal})\n${stderr.trim()}`);
    return { ok: false, failures, checks: checks.length };
  }
  const { results, error } = JSON.parse(line.slice(MARK.length));
  if (error) failures.push(`${where}: the snippet threw: ${error}`);
  for (const r of results) {
    const c = checks[r.id];
    if (!r.ok) failures.push(`${file}:${c.line}: expected ${c.expected}, got ${r.actual}${r.error ? ` (${r.error})` : ''}`);
  }
  const ran = new Set(results.map((r) => r.id));
  checks.forEach((c, id) => {
    if (!ran.has(id)) failures.push(`${file}:${c.line}: this check never ran`);
  });
  if (status !== 0 && !error) failures.push(`${where}: exit status ${status}\n${stderr.trim()}`);
  return { ok: failures.length === 0, failures, checks: checks.length };
}

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to dashes. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Anchors of a markdown file (duplicates get -1, -2 as on GitHub). */
function anchors(file) {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map();
  const out = new Set();
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Relative links and anchors that point nowhere: [ 'README.md: docs/x.md#y' ]. */
function brokenLinks(files = DOCS) {
  const broken = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [rel, hash] = target.split('#');
      const dest = rel ? path.posix.normalize(path.posix.join(path.posix.dirname(file), rel)) : file;
      if (!fs.existsSync(path.join(ROOT, dest))) broken.push(`${file}: ${target} (no file ${dest})`);
      else if (hash !== undefined && dest.endsWith('.md') && !anchors(dest).has(hash)) broken.push(`${file}: ${target} (no heading #${hash})`);
    }
  }
  return broken;
}

/** Plain ```js blocks (not run) that do not even parse, as an ES module with top-level
 * await: [ 'README.md:12: SyntaxError: …' ]. */
function unparsable(files = DOCS) {
  const { spawnSync } = require('child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-persistent-docs-'));
  const bad = [];
  try {
    for (const f of files.flatMap(fences).filter((b) => b.info === 'js')) {
      const file = path.join(dir, 'block.mjs');
      fs.writeFileSync(file, f.code);
      const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      if (r.status !== 0) bad.push(`${f.file}:${f.line}: ${(/^\w*Error.*$/m.exec(r.stderr) || [r.stderr.trim()])[0]}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return bad;
}

async function main() {
  const backends = process.argv[2] ? [process.argv[2]] : ['native', 'wasm'];
  const snippets = runnableSnippets();
  let failed = 0;
  for (const backend of backends) {
    for (const s of snippets) {
      const r = await runSnippet(s, backend);
      if (!r.ok) failed++;
      console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${backend} ${s.file}:${s.line} (${r.checks} checks)`);
      for (const f of r.failures) console.log(`     ${f}`);
    }
  }
  const broken = brokenLinks();
  for (const b of broken) console.log(`broken link: ${b}`);
  const bad = unparsable();
  for (const b of bad) console.log(`does not parse: ${b}`);
  console.log(`${snippets.length} snippets x ${backends.length} backends, ${failed} failed; ${broken.length} broken links; ${bad.length} unparsable js blocks`);
  process.exitCode = failed || broken.length || bad.length ? 1 : 0;
}

module.exports = { fences, runnableSnippets, annotate, program, runSnippet, brokenLinks, unparsable, anchors, slug, DOCS };

if (require.main === module) main();
