// Runs every test/**/*.test.ts with uvu in this one process, then prints the closing line CI reads:
// `N passed, N failed, N skipped`. A suite whose hook threw counts its tests as failed (uvu alone
// would not); a test that cannot run on this store is counted as skipped, never left out.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cleanupAll } from './helpers/cleanup.ts';

type SuiteRunner = () => Promise<[errors: string | true, passed: number, skipped: number, total: number]>;
type Queue = Array<[name: string | null, ...runners: SuiteRunner[]]>;

const testDirectory = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = readdirSync(testDirectory, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .filter((file) => only.length === 0 || only.some((filter) => file.includes(filter)))
  .sort();

const globals = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: Queue; UVU_INDEX: number };
globals.UVU_DEFER = 1;
const uvu = await import('uvu');
const queue = globals.UVU_QUEUE;
for (const [index, file] of files.entries()) {
  globals.UVU_INDEX = index;
  queue.push([relative(testDirectory, join(testDirectory, file))]);
  await import(join(testDirectory, file));
}

let passed = 0;
let failed = 0;
let skippedTotal = 0;
for (const group of queue) {
  for (let index = 1; index < group.length; index++) {
    const runner = group[index] as SuiteRunner;
    group[index] = async () => {
      const result = await runner();
      const [, ran, skipped, total] = result;
      passed += ran;
      failed += total - ran; // total counts the tests that ran, not the skipped ones
      skippedTotal += skipped;
      return result;
    };
  }
}

try {
  await uvu.exec();
} finally {
  await cleanupAll();
}
console.log(`${passed} passed, ${failed} failed, ${skippedTotal} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
