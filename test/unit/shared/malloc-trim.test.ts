// src/shared/malloc-trim.c compiled as the build compiles it (scripts/build.ts): it loads in the
// main thread and in a worker thread and gives freed C memory back; without a C compiler the build
// says so in one line and goes on (or, required, fails), and src/shared/memory-policy.ts does
// without the addon and says so.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileMallocTrim } from '../../../scripts/build.ts';
import { temporaryDirectory } from '../../helpers/cleanup.ts';
import { inFreshNode, inWorkerOfFreshNode } from '../../helpers/fresh-node.ts';
import { programMissing, testUnless } from '../../helpers/skips.ts';

/**
 * Frees every other one of 2,560 16 KiB C allocations (below glibc's mmap threshold), so that the
 * holes lie between live blocks where free() itself returns nothing, then prints what trim() says.
 */
const freeThenTrim = (addon: string) => `
  import { createRequire } from 'node:module';
  const { trim } = createRequire(import.meta.url)(${JSON.stringify(addon)});
  const buffers = Array.from({ length: 2560 }, () => Buffer.alloc(16 * 1024, 1));
  const kept = buffers.filter((_, index) => index % 2 === 0);
  buffers.length = 0;
  globalThis.gc();
  console.log(trim(), kept.length);
`;

testUnless(programMissing('cc', 'apt-get install gcc libc6-dev'))('built, it loads in the main thread and in a worker thread, and returns freed pages', () => {
  const directory = temporaryDirectory('malloc-trim');
  compileMallocTrim(directory);
  const addon = join(directory, 'malloc-trim.node');
  assert.ok(existsSync(addon), 'the build left no malloc-trim.node');
  assert.is(inFreshNode(['--expose-gc'], freeThenTrim(addon)), 'true 1280');
  assert.is(inWorkerOfFreshNode(['--expose-gc'], freeThenTrim(addon)), 'true 1280');
});

test('without a C compiler the build says so in one line and goes on', () => {
  const directory = temporaryDirectory('malloc-trim');
  const warnings: string[] = [];
  const { warn } = console;
  const path = process.env.PATH;
  console.warn = (line: string) => warnings.push(line);
  process.env.PATH = directory; // nothing in it: no cc
  try {
    compileMallocTrim(directory);
  } finally {
    console.warn = warn;
    process.env.PATH = path;
  }
  assert.not.ok(existsSync(join(directory, 'malloc-trim.node')));
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /^build: malloc-trim\.node not built \(no C compiler \(cc\)\): .*apt-get install gcc libc6-dev/);
  assert.not.match(warnings[0]!, /\n/);
});

test('required (the container build), a missing C compiler fails the build with one line', () => {
  const directory = temporaryDirectory('malloc-trim');
  const path = process.env.PATH;
  process.env.PATH = directory;
  try {
    assert.throws(() => compileMallocTrim(directory, true), /^build: malloc-trim\.node not built \(no C compiler \(cc\)\) and --require-malloc-trim is set; install a C compiler/);
  } finally {
    process.env.PATH = path;
  }
});

test('without the addon next to it, the memory policy does without, says why, and throws nothing', () => {
  // src/shared/ has no malloc-trim.node: only the build puts one, next to the bundle.
  const policy = new URL('../../../src/shared/memory-policy.ts', import.meta.url).href;
  const output = inFreshNode(['--expose-gc'], `
    const { mallocTrim, threadLoaded, afterFetch } = await import(${JSON.stringify(policy)});
    threadLoaded();
    afterFetch('unchanged');
    console.log(mallocTrim);
  `);
  assert.match(output, /^inactive \(malloc-trim\.node: MODULE_NOT_FOUND; see docs\/memory\.md\)$/);
});

test.run();
