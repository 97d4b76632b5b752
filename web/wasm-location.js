// Whether the wasm-bindgen glue can locate its module: it fetches
// `new URL('lua_persistent_bg.wasm', import.meta.url)`, and a bundle that is not an ES
// module (esbuild's default 'iife' format, 'cjs') has an empty `import.meta`. web/index.js
// asks this only after loading failed, to say why. The esbuild plugin
// (lua-persistent/esbuild) replaces this file: with it, every format can.
export const moduleLocatable = () => typeof import.meta.url === 'string';
