'use strict';
// The README's examples are real: every ```js run block in README.md and docs/*.md runs
// in a child process against each backend, and every `// -> value` / `// prints:`
// comment is checked against what that line did (scripts/check-docs.js has the
// conventions). Plain ```js blocks (browser code, a Redis adapter) are not run; the
// browser suites cover the browser API. Also: every API name from DESIGN.md has its own
// README section with a run block, and relative links and anchors resolve.
const fs = require('fs');
const path = require('path');
const { forEachBackend, backends, ROOT } = require('./backends');
const { runnableSnippets, runSnippet, annotate, fences, brokenLinks, unparsable, slug } = require('../scripts/check-docs');

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

describe('README coverage', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  // Each API name of DESIGN.md, as the README heading that documents it.
  const API = ['createLua(options)', 'lua.backend', 'lua.eval(code, options)', 'lua.evalAll(code, options)', 'lua.run(code, options)',
    'lua.setGlobal(name, value)', 'lua.getGlobal(name)', 'lua.call(name, ...args)', 'lua.ext', 'lua.save()', 'lua.snapshot()',
    'lua.restore(bytes)', 'lua.memory()', 'lua.gc()', 'lua.reset()', 'lua.close()', 'LuaError'];
  const OPTIONS = ['backend', 'storage', 'autosave', 'onSaveError', 'memoryLimit', 'timeout', 'instructionLimit', 'interruptBuffer', 'stdlib', 'print'];

  /** The README text from `heading` to the next heading of the same or a higher level. */
  function section(level, title) {
    const lines = readme.split('\n');
    const start = lines.indexOf(`${'#'.repeat(level)} ${title}`);
    if (start < 0) return null;
    let end = start + 1;
    while (end < lines.length && !new RegExp(`^#{1,${level}} `).test(lines[end])) end++;
    return { startLine: start + 1, endLine: end };
  }

  const runLines = new Set(snippets.filter((s) => s.file === 'README.md').map((s) => s.line - 1));
  const hasRunBlock = ({ startLine, endLine }) => [...runLines].some((l) => l > startLine && l <= endLine);

  test.each(API)('%s has a section with a run block', (name) => {
    const s = section(3, name);
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });

  test.each(OPTIONS)('option %s has a section with a run block', (name) => {
    const s = section(4, name);
    expect(s).not.toBeNull();
    expect(hasRunBlock(s)).toBe(true);
  });

  test('every LuaError kind the code can produce is in the kinds table', () => {
    const api = fs.readFileSync(path.join(ROOT, 'lib', 'api.js'), 'utf8');
    const kinds = JSON.parse(/const KINDS = (\[[^\]]*\])/.exec(api)[1].replace(/'/g, '"'));
    for (const kind of kinds) expect(readme).toContain(`| \`'${kind}'\` |`);
  });

  test('the Quick start keeps its two commands and the figures have a home', () => {
    const quick = section(2, 'Quick start');
    const text = readme.split('\n').slice(quick.startLine, quick.endLine).join('\n');
    expect(text).toMatch(/^bash scripts\/setup\.sh/m);
    expect(text).toMatch(/^npm test/m);
    const bench = fs.readFileSync(path.join(ROOT, 'docs', 'benchmarks.md'), 'utf8');
    expect(bench).toMatch(/^## Results$/m);
    expect(readme).toContain('](docs/benchmarks.md#results)');
  });

  test('relative links and anchors resolve', () => {
    expect(slug('Tools: CLI, playground, benchmarks, security, fuzzing')).toBe('tools-cli-playground-benchmarks-security-fuzzing');
    expect(slug('lua.eval(code, options)')).toBe('luaevalcode-options');
    expect(brokenLinks()).toEqual([]);
  });

  test('the js blocks that are not run still parse (as ES modules)', () => {
    expect(unparsable()).toEqual([]);
  });

  test('fences are closed (an unclosed one would hide the rest of the file)', () => {
    for (const f of fences('README.md')) expect(f.code).not.toMatch(/^```/m);
    expect(readme.split('\n').filter((l) => /^```/.test(l)).length % 2).toBe(0);
  });
});

forEachBackend((backend) => {
  test.each(snippets.map((s) => [`${s.file}:${s.line}`, s]))('%s', async (where, s) => {
    const r = await runSnippet(s, backend);
    expect(r.failures).toEqual([]);
  });
});
