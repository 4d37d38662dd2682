// Two start-up costs kept out on purpose (README, "Memory" and "Build"): V8's gc() is fetched at
// run time instead of with --expose-gc on the command line, and the bundle loads Node's built-ins
// with require() instead of import. Each check runs in a fresh node, as flags are process-wide.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const releaseMemory = new URL('../../src/shared/release-memory.ts', import.meta.url).href;

/** Runs `script` (an ES module) in a fresh node without --expose-gc; returns what it printed. */
function inFreshNode(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 }).trim();
}

const collectsAndRestoresFlag = `
  import { runInNewContext } from 'node:vm';
  const { collectGarbage, releaseDeadBuffer, releaseStartUpMemory } = await import(${JSON.stringify(releaseMemory)});
  const results = [];
  for (const collect of [releaseStartUpMemory, collectGarbage, () => releaseDeadBuffer(1024)]) {
    let target = { big: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target for a turn
    collect();
    results.push(ref.deref() === undefined ? 'collected' : 'alive');
  }
  results.push(typeof globalThis.gc, runInNewContext('typeof gc'));
  console.log(results.join(' '));
`;

test('release-memory collects without --expose-gc, exposes no global gc, and leaves the flag off', () => {
  assert.is(inFreshNode(collectsAndRestoresFlag), 'collected collected collected undefined undefined');
});

test('release-memory collects in a worker thread too', () => {
  const output = inFreshNode(`
    import { Worker } from 'node:worker_threads';
    const worker = new Worker(${JSON.stringify(collectsAndRestoresFlag)}, { eval: true, stdout: true });
    let text = '';
    worker.stdout.on('data', (chunk) => (text += chunk));
    worker.on('exit', () => console.log(text.trim()));
  `);
  assert.is(output, 'collected collected collected undefined undefined');
});

test('the bundle imports no Node built-in as an ES module (each such import costs start-up time)', () => {
  const dist = new URL('../../dist/', import.meta.url);
  const files = readdirSync(dist).filter((file) => file.endsWith('.js'));
  assert.ok(files.length > 3, 'dist/ holds the built bundle (npm test builds it first)');
  const offenders = files.flatMap((file) => {
    // The banner's own import of node:module is the one exception: it makes require().
    const code = readFileSync(new URL(file, dist), 'utf8').replace("import { createRequire } from 'node:module';", '');
    const imports = [...code.matchAll(/(?:import|from)\s*["']((?:node:)?[a-z_/]+)["']/g)].map((match) => match[1]!);
    return imports.filter((specifier) => !specifier.startsWith('.')).map((specifier) => `${file}: ${specifier}`);
  });
  assert.equal(offenders, [], `ES imports of built-ins: ${offenders.join(', ')}`);
});

test.run();
