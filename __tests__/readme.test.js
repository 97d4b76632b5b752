'use strict';
// The docs' examples are real: every ```js run block in README.md and docs/*.md (the
// API reference docs/api.md and the guide docs/guide.md hold most) runs in a child
// process against each backend, and every `// -> value` / `// prints:` comment is
// checked against what that line did (scripts/check-docs.js has the conventions).
// Plain ```js blocks (browser code, a Redis adapter) are not run; the browser suites
// cover the browser API. Also: every public API name (docs/design.md; index.d.ts) has
// its own docs/api.md section with a run block, the guide keeps its concept sections,
// the README stays a front door whose first example pastes into a .js file, and
// relative links and anchors resolve.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { forEachBackend, backends, ROOT } = require('./backends');
const { runnableSnippets, runSnippet, annotate, fences, brokenLinks, unparsable, slug, DOCS } = require('../scripts/check-docs');

const snippets = runnableSnippets();

describe('the docs checker', () => {
  test('finds the run blocks, and every one checks something', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(30);
    const unchecked = snippets.filter((s) => annotate(s).checks.length === 0).map((s) => `${s.file}:${s.line}`);
    expect(unchecked).toEqual([]);
  });

  test('a pasteable snippet (main() not awaited) is checked to the end, and its rejection fails', async () => {
    const late = {
      file: 'README.md',
      line: 1,
      code: "async function main() {\n  const lua = await createLua();\n  await new Promise((r) => setTimeout(r, 50));\n  lua.eval('return 1') // -> 2\n  await lua.close();\n}\nmain();",
    };
    expect((await runSnippet(late, backends[0])).failures).toEqual(['README.md:4: expected 2, got 1']);
    const rejects = { file: 'README.md', line: 1, code: "async function main() {\n  await null;\n  throw new Error('late');\n}\nmain();" };
    const r = await runSnippet(rejects, backends[0]);
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toMatch(/README.md:1: the snippet threw: Error: late/);
  });

  test('a wrong `// -> value` comment fails, naming the line', async () => {
    const wrong = { file: 'README.md', line: 10, code: "lua.eval('return 1 + 1') // -> 3\nlua.eval('print(1)') // prints: 2" };
    const r = await runSnippet(wrong, backends[0]);
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual(['README.md:10: expected 3, got 2', 'README.md:11: expected "2", got "1"']);
  });

  test('a check that never runs and a snippet that throws are failures', async () => {
    const skipped = { file: 'README.md', line: 5, code: "if (false) {\n  lua.eval('return 1') // -> 1\n}\nlua.eval('error(\"x\")')" };
    const r = await runSnippet(skipped, backends[0]);
    expect(r.ok).toBe(false);
    expect(r.failures.join('\n')).toMatch(/README.md:5: the snippet threw: LuaError: eval:1: x/);
    expect(r.failures.join('\n')).toMatch(/README.md:6: this check never ran/);
  });
});

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The lines of `file` from the heading `title` of `level` to the next heading of the
 * same or a higher level: { startLine, endLine } (1-based), or null. */
function section(file, level, title) {
  const lines = read(file).split('\n');
  const start = lines.indexOf(`${'#'.repeat(level)} ${title}`);
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && !new RegExp(`^#{1,${level}} `).test(lines[end])) end++;
  return { file, startLine: start + 1, endLine: end };
}

/** Whether a ```js run block starts inside the section. */
function hasRunBlock({ file, startLine, endLine }) {
  return snippets.some((s) => s.file === file && s.line - 1 > startLine && s.line - 1 <= endLine);
}

describe('API reference coverage (docs/api.md)', () => {
  const API_MD = 'docs/api.md';
  // Each public API name, as the docs/api.md heading that documents it.
  const API = ['createLua(options)', 'lua.backend', 'lua.eval(code, options)', 'lua.evalAll(code, options)', 'lua.run(code, options)',
    'lua.setGlobal(name, value)', 'lua.getGlobal(name)', 'lua.call(name, ...args)', 'lua.ext', 'lua.save()', 'lua.recovery', 'lua.snapshot()',
    'lua.restore(bytes)', 'lua.memory()', 'lua.gc()', 'lua.reset()', 'lua.close()', 'LuaError'];
  const OPTIONS = ['backend', 'storage', 'autosave', 'onSaveError', 'memoryLimit', 'timeout', 'instructionLimit', 'interruptBuffer', 'stdlib', 'print'];

  test.each(API)('%s has a section with a run block', (name) => {
    const s = section(API_MD, 3, name);
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });

  test.each(OPTIONS)('option %s has a section with a run block', (name) => {
    const s = section(API_MD, 4, name);
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });

  test('every option index.d.ts declares is in the createLua table', () => {
    const types = read('index.d.ts');
    const body = /interface\s+LuaOptions\s*\{([\s\S]*?)\n\}/.exec(types);
    expect(body).not.toBeNull();
    const declared = [...body[1].matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1]);
    expect(declared).toEqual(expect.arrayContaining(OPTIONS));
    const s = section(API_MD, 3, 'createLua(options)');
    const table = read(API_MD).split('\n').slice(s.startLine, s.endLine).join('\n');
    for (const option of declared) expect(table).toMatch(new RegExp(`^\\| \\[?\`${option}\``, 'm'));
  });

  test('every LuaError kind the code can produce is in the kinds table', () => {
    const api = read('lib/errors.js');
    const kinds = JSON.parse(/const KINDS = (\[[^\]]*\])/.exec(api)[1].replace(/'/g, '"'));
    expect(kinds.length).toBeGreaterThan(5);
    for (const kind of kinds) expect(read(API_MD)).toContain(`| \`'${kind}'\` |`);
  });

  test('the value rules are there, with a run block', () => {
    const s = section(API_MD, 2, 'Values');
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });
});

describe('the guide (docs/guide.md)', () => {
  const GUIDE = 'docs/guide.md';
  test.each(['External tables', 'Storage adapters', 'Errors', 'Limits', 'Sandbox'])('%s has a section with a run block', (title) => {
    const s = section(GUIDE, 2, title);
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });

  test.each(['Values', 'Persistence', 'Snapshots', 'Browsers and bundlers'])('%s has a section', (title) => {
    expect(section(GUIDE, 2, title)).not.toBeNull();
  });
});

describe('README as a front door', () => {
  const readme = read('README.md');

  test('stays short and links the reference, the guide and the figures', () => {
    expect(readme.split('\n').length).toBeLessThan(300);
    expect(readme).toMatch(/^npm install lua-persistent$/m);
    for (const page of ['docs/api.md', 'docs/guide.md', 'docs/benchmarks.md', 'CONTRIBUTING.md']) expect(readme).toContain(`](${page})`);
    const results = section('docs/benchmarks.md', 2, 'Results');
    expect(results).not.toBeNull();
  });

  test('the first example is a file a reader can paste: CommonJS without top-level await', () => {
    const first = snippets.find((s) => s.file === 'README.md');
    expect(first.code).toMatch(/require\('lua-persistent'\)/);
    expect(() => new vm.Script(first.code)).not.toThrow();
    // The checker's own wrapper allows top-level await; a pasted file does not.
    expect(() => new vm.Script('await 1')).toThrow(/await/);
  });

  test('the Quick start keeps its two commands', () => {
    const quick = section('README.md', 2, 'Quick start');
    expect(quick).not.toBeNull();
    const text = readme.split('\n').slice(quick.startLine, quick.endLine).join('\n');
    expect(text).toMatch(/^bash scripts\/setup\.sh/m);
    expect(text).toMatch(/^npm test/m);
  });
});

describe('links and fences in every doc', () => {
  test('relative links and anchors resolve', () => {
    expect(slug('Tools: CLI, playground, benchmarks, security, fuzzing')).toBe('tools-cli-playground-benchmarks-security-fuzzing');
    expect(slug('lua.eval(code, options)')).toBe('luaevalcode-options');
    expect(brokenLinks()).toEqual([]);
  });

  test('the js blocks that are not run still parse (as ES modules)', () => {
    expect(unparsable()).toEqual([]);
  });

  test.each(DOCS)('fences are closed in %s (an unclosed one would hide the rest of the file)', (file) => {
    for (const f of fences(file)) expect(f.code).not.toMatch(/^```/m);
    expect(read(file).split('\n').filter((l) => /^```/.test(l)).length % 2).toBe(0);
  });
});

forEachBackend((backend) => {
  test.each(snippets.map((s) => [`${s.file}:${s.line}`, s]))('%s', async (where, s) => {
    const r = await runSnippet(s, backend);
    expect(r.failures).toEqual([]);
  });
});
