'use strict';
// Post-processing of wasm-bindgen's JS glue (both targets, run by scripts/build-wasm.js).
//
// 1. Import wrappers inlined. Our module uses legacy wasm exception handling (Lua's
//    setjmp/longjmp), so wasm-bindgen 0.2.130 wraps every import as
//      function() { return wrapError(function (a, b) { BODY }, arguments); }
//    to turn a JS exception into a WebAssembly.Exception its wasm-side `catch` wrappers
//    recognise. That costs a closure, an `arguments` object and an `apply` on every
//    import call: most of an ext read's time on wasm. The same try/catch written inline
//    behaves identically (the bodies never use `this`) and costs nothing until something
//    throws.
//
// 2. The glue turned into a factory. wasm-bindgen's glue keeps its state at module level
//    (`wasm`, cached memory views, the abort flag), so one glue serves one instance.
//    Every VM gets its own instance (a trap then costs that VM only, each VM gets its own
//    4 GiB, and a closed VM's memory goes back to the JS engine with its instance), so
//    the whole glue body is wrapped in `instantiate(module)`: each call evaluates it
//    afresh around a new WebAssembly.Instance of the module compiled once by `compile()`.
//    V8 shares the functions' bytecode between the copies; only closures are per instance.
//    The factory returns { Vm, memory, exports, terminated() } (`exports`: the module's
//    own, for scripts/preinit.js): `terminated()` is the glue's own
//    flag, set when anything but a Rust-thrown JS value left the wasm code (a trap, a
//    stack overflow inside wasm, a JS exception unwinding through wasm frames), after
//    which the instance refuses every call.
//
// 3. Brand checks instead of `instanceof`. The glue tells its own wrapped exceptions
//    from others with `e instanceof WebAssembly.Exception`, which runs a Proxy's
//    `getPrototypeOf` trap: a callback throwing such a Proxy made the trap's own error
//    escape the handler unwrapped, through the wasm frames, and the VM was lost (kind
//    'crashed'; natively the same callback is an ordinary error). `Exception.prototype.is`
//    checks the brand without running user code.
//
// 4. Node's clock without `performance`. The core reads a monotonic clock around every
//    call (timeouts, `stats.durationMs`), through `performance.now()`. In Node that
//    global is a lazy getter whose first use loads perf_hooks and ten more internal
//    modules: ~0.7 ms of a cold start's first eval, a third of it. The Node glue reads
//    `process.hrtime()` instead (the same clock, as fast: ~40 ns a call); browsers keep
//    `performance.now()`, which costs them nothing to load.
//
// 5. Return slots read through the Int32Array view. An export's results (a Result's
//    value, error and flag) come back in three i32 slots in memory (scripts/build-wasm.js,
//    `withoutMultivalue`, says why not as wasm values); wasm-bindgen reads each through
//    `getDataViewMemory0()`, which checks whether the memory's buffer was detached every
//    time: ~0.1 µs of a 0.9 µs eval. One Int32Array view, checked once, reads all three.
const { readFileSync, writeFileSync } = require('fs');

const WRAPPED = /function\(\) \{ return wrapError\(function (\([^)]*\)) \{([\s\S]*?)\n(\s*)\}, arguments\); \}/g;

/** Rewrites the import wrappers of a glue source; throws when wasm-bindgen's shape changed. */
function inlineImportWrappers(src, file) {
  const out = src.replace(WRAPPED, (_, params, body, indent) =>
    `function ${params} { try {${body}\n${indent}} catch (e) { wrapError(() => { throw e; }, []); } }`);
  if (out.includes('return wrapError(')) {
    throw new Error(`wasm-glue: ${file} has import wrappers of an unknown shape (wasm-bindgen changed?)`);
  }
  return out;
}

const INSTANCEOF = /\be instanceof WebAssembly\.Exception\b/g;

/** Rewrites the glue's `instanceof WebAssembly.Exception` tests as brand checks. */
function brandChecks(src, file) {
  if (!INSTANCEOF.test(src)) {
    throw new Error(`wasm-glue: ${file} has no 'e instanceof WebAssembly.Exception' (wasm-bindgen changed?)`);
  }
  const helper = `
/** Whether \`e\` is a WebAssembly.Exception, by its brand: no Proxy trap runs. */
function __wbg_isWasmException(e) {
    try {
        WebAssembly.Exception.prototype.is.call(e, __wbg_brandTag);
        return true;
    } catch (_) {
        return false;
    }
}
const __wbg_brandTag = new WebAssembly.Tag({ parameters: [] });
`;
  const header = src.match(/^\/\* @ts-self-types="[^"]*" \*\/\n/);
  const at = header ? header[0].length : 0;
  return src.slice(0, at) + helper + src.slice(at).replace(INSTANCEOF, '__wbg_isWasmException(e)');
}

const PERFORMANCE_NOW = 'const ret = performance.now();';

/** The Node glue's clock import reads `__lp_now()` (NODE_LOADER), not `performance`. */
function nodeClock(src, file) {
  const parts = src.split(PERFORMANCE_NOW);
  if (parts.length !== 2) throw new Error(`wasm-glue: ${file} has ${parts.length - 1} performance.now() imports, expected 1 (wasm-bindgen changed?)`);
  return parts.join('const ret = __lp_now();');
}

const FIRST_SLOT = /var r0 = getDataViewMemory0\(\)\.getInt32\(retptr \+ 4 \* 0, true\);/g;
const NEXT_SLOT = /getDataViewMemory0\(\)\.getInt32\(retptr \+ 4 \* ([12]), true\)/g;

/** Rewrites the reads of exports' return slots (5 above); throws when wasm-bindgen's shape changed. */
function returnSlots(src, file) {
  const out = src
    .replace(FIRST_SLOT, 'const retSlots = getInt32ArrayMemory0(), retAt = retptr >>> 2;\n                var r0 = retSlots[retAt];')
    .replace(NEXT_SLOT, (_, k) => `retSlots[retAt + ${k}]`);
  if (out === src || /getDataViewMemory0\(\)\.\w+\(retptr/.test(out)) {
    throw new Error(`wasm-glue: ${file} reads return slots in an unknown shape (wasm-bindgen changed?)`);
  }
  return out;
}

/** Where each target's own loader starts (everything from there on is replaced). */
const LOADER = {
  nodejs: '\nconst wasmPath = `${__dirname}/lua_persistent_bg.wasm`;\n',
  web: '\nlet wasmModule, wasmInstance, wasm;\n',
};

/** The instance half shared by both targets, after the glue body inside `instantiate`. */
const INSTANTIATE_TAIL = `
    const wasm = new WebAssembly.Instance(module, __wbg_get_imports()).exports;
    wasm.__wbindgen_start();
    __wbg_terminated_addr = wasm.__instance_terminated.value / 4;
    return {
        Vm,
        memory: wasm.memory,
        exports: wasm,
        terminated: () => getInt32ArrayMemory0()[__wbg_terminated_addr] !== 0,
    };
`;

const NODE_LOADER = `
let compiled = null;

/** Milliseconds on Node's monotonic clock (see scripts/wasm-glue.js, 4). */
function __lp_now() {
    const t = process.hrtime();
    return t[0] * 1e3 + t[1] / 1e6;
}

/** The module, compiled on first use, once per process. The package ships one copy
 * of it, the browser glue's (scripts/build-wasm.js). */
function compile() {
    if (compiled === null) compiled = new WebAssembly.Module(require('fs').readFileSync(\`\${__dirname}/../wasm-web/lua_persistent_bg.wasm\`));
    return compiled;
}

exports.compile = compile;
exports.instantiate = instantiate;
`;

// The literal \`new URL('lua_persistent_bg.wasm', import.meta.url)\` is what bundlers
// (Vite, webpack, Parcel) look for to ship the file: keep it as it is.
const WEB_LOADER = `
/**
 * Fetches and compiles the module (default: the file next to this glue). Also takes a
 * URL or string, a Response (or a promise of one), bytes, or a WebAssembly.Module.
 */
export async function compile(source) {
    if (source === undefined) source = new URL('lua_persistent_bg.wasm', import.meta.url);
    if (typeof source === 'string' || (typeof URL === 'function' && source instanceof URL) || (typeof Request === 'function' && source instanceof Request)) {
        source = fetch(source);
    }
    source = await source;
    if (source instanceof WebAssembly.Module) return source;
    if (typeof Response === 'function' && source instanceof Response) {
        if (!source.ok) throw new Error(\`failed to fetch Wasm: \${source.status} \${source.statusText} fetching '\${source.url}'\`);
        if (typeof WebAssembly.compileStreaming === 'function') {
            try {
                return await WebAssembly.compileStreaming(source.clone());
            } catch (e) {
                if (source.headers.get('Content-Type') === 'application/wasm') throw e;
                console.warn('\`WebAssembly.compileStreaming\` failed because your server does not serve Wasm with \`application/wasm\` MIME type. Falling back to \`WebAssembly.compile\` which is slower. Original error:\\n', e);
            }
        }
        source = await source.arrayBuffer();
    }
    return WebAssembly.compile(source);
}

export default compile;
`;

/**
 * Wraps a glue source (import wrappers already inlined) into the factory described at
 * the top of this file. Throws when the glue's shape is not the one this expects.
 */
function toFactory(src, target, file) {
  const cut = src.indexOf(LOADER[target]);
  if (cut < 0) throw new Error(`wasm-glue: ${file} has no ${target} loader of the known shape (wasm-bindgen changed?)`);
  let body = src.slice(0, cut);
  const header = body.match(/^\/\* @ts-self-types="[^"]*" \*\/\n/);
  if (header) body = body.slice(header[0].length);
  // Exports of the glue body (the Vm class) become the factory's result.
  body = target === 'web' ? body.replace(/^export class Vm /m, 'class Vm ') : body.replace(/^exports\.Vm = Vm;\n/m, '');
  // A Vm collected without close() is freed by the glue's FinalizationRegistry, outside
  // any call: a trap there must not become an uncaught exception.
  const FINALIZER = 'new FinalizationRegistry(ptr => wasm.__wbg_vm_free(ptr, 1))';
  if (!body.includes(FINALIZER)) throw new Error(`wasm-glue: ${file} has no Vm finalizer of the known shape (wasm-bindgen changed?)`);
  body = body.replace(FINALIZER, 'new FinalizationRegistry((ptr) => { try { wasm.__wbg_vm_free(ptr, 1); } catch (_) { /* the instance is dead: nothing to free */ } })');
  if (/^export |^exports\./m.test(body)) throw new Error(`wasm-glue: ${file} exports more than Vm (wasm-bindgen changed?)`);
  for (const needed of ['class Vm ', 'function __wbg_get_imports()', 'let __wbg_terminated_addr;', 'function getInt32ArrayMemory0()']) {
    if (!body.includes(needed)) throw new Error(`wasm-glue: ${file} lacks \`${needed}\` (wasm-bindgen changed?)`);
  }
  const indented = body.replace(/^(?=.)/gm, '    ');
  const instantiate = `/**
 * A fresh instance of the module with its own glue state: { Vm, memory, exports, terminated() }.
 * Generated from wasm-bindgen's glue by scripts/wasm-glue.js.
 */
${target === 'web' ? 'export ' : ''}function instantiate(module${target === 'web' ? '' : ' = compile()'}) {
${indented}${INSTANTIATE_TAIL}}
`;
  return `${header ? header[0] : ''}${instantiate}${target === 'web' ? WEB_LOADER : NODE_LOADER}`;
}

/** The factory's type declarations (replacing wasm-bindgen's loader declarations). */
function factoryTypes(dts, target) {
  const end = dts.indexOf('\nexport ', dts.indexOf('export class Vm'));
  const vm = end < 0 ? dts : dts.slice(0, end + 1);
  const source = target === 'web' ? 'RequestInfo | URL | Response | BufferSource | WebAssembly.Module | Promise<Response>' : '';
  return `${vm}
export interface Instance {
    readonly Vm: typeof Vm;
    readonly memory: WebAssembly.Memory;
    /** The module's own exports, for the build's memory image (scripts/preinit.js). */
    readonly exports: WebAssembly.Exports;
    /** Whether the instance trapped (it then refuses every call). */
    terminated(): boolean;
}

${target === 'web' ? `export function compile(source?: ${source}): Promise<WebAssembly.Module>;
export default compile;
export function instantiate(module: WebAssembly.Module): Instance;` : `export function compile(): WebAssembly.Module;
export function instantiate(module?: WebAssembly.Module): Instance;`}
`;
}

/** Post-processes the glue written by wasm-bindgen into `dir` for `target` ('nodejs' | 'web'). */
function processGlue(dir, target) {
  const js = `${dir}/lua_persistent.js`;
  let src = returnSlots(inlineImportWrappers(readFileSync(js, 'utf8'), js), js);
  if (target === 'nodejs') src = nodeClock(src, js);
  writeFileSync(js, brandChecks(toFactory(src, target, js), js));
  const dts = `${dir}/lua_persistent.d.ts`;
  writeFileSync(dts, factoryTypes(readFileSync(dts, 'utf8'), target));
}

module.exports = { processGlue, inlineImportWrappers, brandChecks, toFactory, nodeClock, returnSlots };
