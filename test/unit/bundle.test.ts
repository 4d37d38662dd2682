// What the build must keep out of dist/ (README, "Build"): ES imports of Node's built-ins, each of
// which reads every export of the module, getters included (node:http's WebSocket getter loads
// Node's bundled undici and zlib: ~25 ms of start-up in each thread that uses HTTP).
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the bundle imports no Node built-in as an ES module', () => {
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
