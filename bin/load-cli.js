// Loads the CLI for bin/mailctl.js, as cheaply as Node 20 allows (see scripts/bundle.js):
// - dist/cli/mailctl.cjs is the whole CLI in one CommonJS file: one read and one compile
//   instead of resolving and linking ~25 ES-module chunks. Heavy packages stay in node_modules
//   and are required or imported only on the code path that uses them.
// - dist/cli/mailctl.cjs.v8-cache is V8's code cache for that file, written at build time after
//   a few commands ran (scripts/warm-cli-cache.js), so that neither the file nor the functions
//   those commands use are compiled again. V8 checks it against the source and its own version
//   and flags; a cache it rejects (another Node, other flags) only costs the compile it saves.
// - V8 drops the loader of `import()` in functions it takes from a code cache, so the bundle's
//   `import()` of a lazy package is this module's (see scripts/bundle.js).
// - With --debug the bundle is required normally with source maps on, so stack traces name
//   the src/ files and lines (the cached path would not apply the maps).
// - Without the bundle (esbuild not installed), the tsc output dist/cli.js runs.
// CommonJS (bin/package.json): an ES-module entry costs Node's ES loader ~5 ms more per start.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const bundlePath = join(__dirname, '..', 'dist', 'cli', 'mailctl.cjs');
const cachePath = `${bundlePath}.v8-cache`;

/**
 * The source as Node's CommonJS loader wraps it (same line numbers: the wrapper adds none), with
 * one more parameter: the bundle's `import()`, which must not come from the code cache.
 */
const wrapped = (source) =>
  `(function (exports, require, module, __filename, __dirname, __mailctlImport) { ${source}\n});`;
const importFromOutside = (specifier) => import(specifier);

/**
 * `{ runCli }` of the CLI. `useCache: false` compiles from source (the build's warm-up run);
 * `script` is then the compiled vm.Script, for `createCachedData()`.
 * @param {{ debug?: boolean, useCache?: boolean }} [options]
 * @returns {Promise<{ runCli: () => Promise<void>, script?: import('node:vm').Script }>}
 */
async function loadCli({ debug = false, useCache = true } = {}) {
  if (!existsSync(bundlePath)) return import('../dist/cli.js');
  if (debug) {
    process.setSourceMapsEnabled(true);
    return require(bundlePath);
  }
  const vm = require('node:vm');
  // Node 20 before 20.12 has no default loader for import() inside a vm.Script: plain require.
  const importModuleDynamically = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (importModuleDynamically === undefined) return require(bundlePath);
  const cachedData = useCache && existsSync(cachePath) ? readFileSync(cachePath) : undefined;
  const script = new vm.Script(wrapped(readFileSync(bundlePath, 'utf8')), {
    filename: bundlePath,
    cachedData,
    importModuleDynamically,
  });
  const module = { exports: {} };
  const requireFromBundle = require('node:module').createRequire(bundlePath);
  script.runInThisContext()(
    module.exports,
    requireFromBundle,
    module,
    bundlePath,
    dirname(bundlePath),
    importFromOutside,
  );
  return { runCli: module.exports.runCli, script };
}

module.exports = { bundlePath, cachePath, loadCli };
