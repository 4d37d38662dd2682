// One test file in a process of its own, started by test/run.ts: runs the file's uvu suites, then
// everything the file registered for cleanup, and reports its counts to the runner. A file that
// throws, rejects or crashes outside a test ends here as one failure with its error, after the
// same cleanup; so does an interruption (the runner forwards Ctrl-C as SIGINT).
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Skip } from '../helpers/skips.ts';

/** What the runner gets from each file, over the IPC channel. */
export interface FileReport {
  passed: number;
  failed: number;
  skipped: Skip[];
  /** uvu's `test.skip` without a reason: counted, and reported as such. */
  unexplainedSkips: number;
  /** Why the file stopped before its tests ended (thrown, rejected, crashed, interrupted). */
  stoppedBy: string | undefined;
}

type SuiteRunner = () => Promise<[errors: string | true, passed: number, skipped: number, total: number]>;
type Queue = Array<[name: string | null, ...runners: SuiteRunner[]]>;

const file = process.argv[2];
if (file === undefined || process.send === undefined) {
  console.error('run-file.ts runs one test file for test/run.ts: node test/run.ts [FILTER...]');
  process.exit(2);
}
const send = process.send.bind(process);

const globals = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: Queue; UVU_INDEX: number };
// Before uvu loads (the helpers below import it): its suites then wait for the loop at the end
// instead of running at once.
globals.UVU_DEFER = 1;
const { cleanupAll } = await import('../helpers/cleanup.ts');
const { skips } = await import('../helpers/skips.ts');
globals.UVU_INDEX = 0;
globals.UVU_QUEUE.push([null]);

const report: FileReport = { passed: 0, failed: 0, skipped: skips, unexplainedSkips: 0, stoppedBy: undefined };
let ending: Promise<never> | undefined;

/** Cleans up, reports and exits; the first call wins (a crash during cleanup changes nothing). */
function end(stoppedBy: string | undefined, exitCode: number): Promise<never> {
  ending ??= (async () => {
    if (stoppedBy !== undefined) {
      report.stoppedBy = stoppedBy;
      report.failed++;
      console.error(`\n${relative(process.cwd(), file!)}: ${stoppedBy}`);
    }
    await cleanupAll();
    await new Promise<void>((resolve) => send(report, () => resolve()));
    process.exit(exitCode);
  })();
  return ending;
}

const describe = (error: unknown) => (error instanceof Error ? (error.stack ?? error.message) : String(error));
process.on('uncaughtException', (error) => void end(`crashed outside a test: ${describe(error)}`, 1));
process.on('unhandledRejection', (error) => void end(`a promise rejected outside a test: ${describe(error)}`, 1));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void end(`interrupted (${signal})`, 130));

try {
  await import(pathToFileURL(file).href);
} catch (error) {
  await end(`threw while loading: ${describe(error)}`, 1);
}

for (const runner of globals.UVU_QUEUE[0]!.slice(1) as SuiteRunner[]) {
  const [errors, passed, skipped, total] = await runner();
  report.passed += passed;
  report.failed += total - passed; // total counts the tests that ran; a suite whose hook threw fails them all
  report.unexplainedSkips += skipped;
  if (errors !== true) process.stdout.write(`\n${errors}\n`);
}
report.unexplainedSkips -= skips.length; // testUnless counts each of its skips with uvu too
await end(undefined, 0);
