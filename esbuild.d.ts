// Types for `lua-persistent/esbuild` (esbuild.js): an esbuild plugin. Structural, so
// that these declarations do not depend on esbuild's own types being installed.

export interface LuaPersistentPluginOptions {
  /**
   * How the wasm module reaches the browser. 'file' (default): copied to the output
   * folder as an asset (esbuild's `file` loader; `assetNames`, `publicPath` apply) and
   * fetched relative to the bundle. 'inline': embedded in the bundle (base64), no fetch.
   */
  wasm?: 'file' | 'inline';
}

/** The plugin object esbuild's `plugins` option takes. */
export interface LuaPersistentPlugin {
  name: 'lua-persistent';
  setup(build: unknown): void;
}

/**
 * Ships lua-persistent's wasm module with an esbuild bundle, in every output format
 * ('esm', 'iife', 'cjs'). With `platform: 'node'` it marks lua-persistent external
 * instead (its addon and .wasm load from its installed folder).
 */
export declare function luaPersistent(options?: LuaPersistentPluginOptions): LuaPersistentPlugin;
