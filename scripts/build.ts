#!/usr/bin/env node
// `npm run build`: bundles the three thread entries into dist/ with esbuild, and compiles the
// malloc_trim addon next to them where a C compiler exists (docs/architecture.md, "Build").
//
//   node scripts/build.ts [--require-malloc-trim]   (the Dockerfile's: no image without the addon)
import { spawnSync } from 'node:child_process';
import { build, type Plugin } from 'esbuild';
import { isBuiltin } from 'node:module';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { include_dir as nodeApiHeaders } from 'node-api-headers';

/**
 * Node's built-in modules are loaded with require(), not import. An ES import of a built-in
 * builds its namespace from every export, getters included, and some getters load a lot:
 * `node:http`'s WebSocket loads Node's bundled undici and zlib, `node:crypto`'s webcrypto, and
 * `node:tls`'s rootCertificates. That cost ~25 ms of start-up in each thread that imports
 * `node:http`. A module that calls require() reads an export only when the code uses it.
 */
const requireBuiltins: Plugin = {
  name: 'require-builtins',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:]/ }, ({ path, namespace }) => {
      if (!isBuiltin(path)) return undefined;
      // The require() below is the built-in itself (the banner's require, at run time).
      if (namespace === 'builtin') return { path, external: true };
      return { path, namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path.startsWith('node:') ? path : `node:${path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * Bundles `entries` (paths from the repository root) into `outdir` as the service is built; the
 * bench builds its memory floor the same way.
 */
export async function bundle(entries: string[], outdir: string, outExtension = '.js'): Promise<void> {
  await build({
    entryPoints: entries.map((entry) => new URL(`../${entry}`, import.meta.url).pathname),
    outdir,
    outExtension: { '.js': outExtension },
    bundle: true,
    // What main.ts imports dynamically becomes chunks it loads while the worker starts.
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // The AWS SDK's ES-module builds, so that unused commands are dropped.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Bundled CommonJS (pino, prom-client) and the plugin above call require().
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: [requireBuiltins],
  });
}

/**
 * Compiles src/shared/malloc-trim.c into `outdir`, where src/shared/memory-policy.ts loads it
 * (docs/memory.md). Where no C compiler exists the build says so in one line and the service runs
 * without it (the start line says so), unless `required` (the container build): then it throws.
 */
export function compileMallocTrim(outdir: string, required = false): void {
  const source = new URL('../src/shared/malloc-trim.c', import.meta.url).pathname;
  const compiled = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-shared', '-fPIC', `-I${nodeApiHeaders}`, source, '-o', join(outdir, 'malloc-trim.node')], {
    encoding: 'utf8',
  });
  if (compiled.status === 0) return;
  const reason = compiled.error === undefined ? compiled.stderr.trim().split('\n')[0] : 'no C compiler (cc)';
  const fix = 'install a C compiler (apt-get install gcc libc6-dev) and build again';
  if (required) throw new Error(`build: malloc-trim.node not built (${reason}) and --require-malloc-trim is set; ${fix}`);
  console.warn(`build: malloc-trim.node not built (${reason}): the service will run, but keep freed C memory instead of returning it; for it, ${fix}`);
}

if (import.meta.main) {
  const outdir = new URL('../dist/', import.meta.url).pathname;
  rmSync(outdir, { recursive: true, force: true });
  await bundle(['src/main.ts', 'src/fetch-worker.ts', 'src/serving-thread.ts'], outdir);
  // The bin runs as a program, through its shebang, which carries the launch flags.
  chmodSync(join(outdir, 'main.js'), 0o755);
  try {
    compileMallocTrim(outdir, process.argv.includes('--require-malloc-trim'));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
