// `npm test [-- FILTER...]`: runs every test/**/*.test.ts (or those whose path contains a filter),
// each file in a process and a session of its own (test/runner/run-file.ts), one after the other,
// then prints the skips with their reasons and the closing line CI reads:
// `N passed, N failed, N skipped`. The store is TEST_STORE's: s3rver (the default), which each file
// starts for itself, or Ceph RGW, which the runner boots once for every file (runner/shared-ceph.ts).
//
// Whatever a file does, the run goes on and nothing outlives it: a file that throws, rejects or
// crashes counts as failed with its error; a file that runs past its bound is ended; after each
// file every process still in its session is named, killed and fails the run; each file's
// temporary directory (TMPDIR) is removed. Ctrl-C stops the file running (its own cleanup first),
// skips the rest and still prints the closing line (exit 130).
//
//   node test/run.ts [--dir DIR] [--except FILTER]... [FILTER...]
//     DIR: where the test files are (default: test/); --except leaves out the files whose path contains it
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, styleText } from 'node:util';
import type { FileReport } from './runner/run-file.ts';
import { endSession } from './runner/sessions.ts';
import { bootSharedCeph, type SharedCeph } from './runner/shared-ceph.ts';

const { values, positionals: filters } = parseArgs({
  options: { dir: { type: 'string' }, except: { type: 'string', multiple: true, default: [] } },
  allowPositionals: true,
});
const testDirectory = new URL('.', import.meta.url).pathname;
const directory = resolve(values.dir ?? testDirectory);
/** Generous: the longest file takes about a minute on Ceph; a hung one must not hang CI. */
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 600_000);
/** How long an interrupted or overdue file gets for its own cleanup before it is killed. */
const cleanupGraceMs = 30_000;
const runFile = new URL('./runner/run-file.ts', import.meta.url).pathname;

const files = readdirSync(directory, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  // The runner's own fixtures run only when asked for by --dir.
  .filter((file) => values.dir !== undefined || !file.startsWith('fixtures/'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .filter((file) => !values.except.some((filter) => file.includes(filter)))
  .sort();

const runDirectory = mkdtempSync(join(tmpdir(), 's3-object-cache-test-'));
let passed = 0;
let failed = 0;
const skipped: string[] = [];
const problems: string[] = [];
/** A failure of the run itself, not of one test: counted, and listed under the closing line. */
const fail = (problem: string) => {
  failed++;
  problems.push(problem);
};
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
let running: ChildProcess | undefined;
let interrupted = false;

/** Asks the running file to stop (it cleans up first), and kills it if it takes too long. */
function stopRunning(): void {
  const child = running;
  if (child === undefined) return;
  child.kill('SIGINT');
  setTimeout(() => child.kill('SIGKILL'), cleanupGraceMs).unref();
}

const onInterrupt = () => {
  if (interrupted) return; // npm forwards the terminal's Ctrl-C too: one is enough
  interrupted = true;
  stopRunning();
};
process.on('SIGINT', onInterrupt).on('SIGTERM', onInterrupt);

/** Runs one file; `report` is undefined when it died without sending one. */
function runOne(file: string, temporary: string): Promise<{ report: FileReport | undefined; exit: string; pid: number }> {
  return new Promise((resolvePromise) => {
    // detached: setsid, so the file leads a session that holds everything it starts.
    const child = fork(runFile, [join(directory, file)], {
      detached: true,
      env: { ...process.env, ...ceph?.env, TMPDIR: temporary },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running = child;
    let report: FileReport | undefined;
    child.on('message', (message) => (report = message as FileReport));
    const overdue = setTimeout(() => {
      problems.push(`${file}: still running after ${fileTimeoutMs / 1000} s: ended`);
      stopRunning();
    }, fileTimeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(overdue);
      running = undefined;
      resolvePromise({ report, exit: signal === null ? `exit code ${code}` : `signal ${signal}`, pid: child.pid! });
    });
  });
}

let ceph: SharedCeph | undefined;
let storeReady = true;
if (process.env.TEST_STORE === 'ceph' && files.length > 0) {
  const bootedAt = performance.now();
  try {
    ceph = await bootSharedCeph(runDirectory);
    console.log(`Ceph RGW for this run booted in ${((performance.now() - bootedAt) / 1000).toFixed(1)} s`);
  } catch (error) {
    fail(`Ceph RGW could not be booted, so no file ran: ${firstLine(error)}`);
    storeReady = false;
  }
}

let filesRun = 0;
for (const file of files) {
  if (interrupted || !storeReady) break;
  filesRun++;
  console.log(`\n${styleText(['bold', 'underline'], file)}`);
  const temporary = mkdtempSync(join(runDirectory, 'file-'));
  const startedAt = performance.now();
  const { report, exit, pid } = await runOne(file, temporary);
  console.log(styleText('dim', `  ${((performance.now() - startedAt) / 1000).toFixed(1)} s`));
  if (report === undefined) fail(`${file}: ended without a report (${exit})`);
  else {
    passed += report.passed;
    failed += report.failed;
    if (report.stoppedBy !== undefined) problems.push(`${file}: ${report.stoppedBy.split('\n')[0]}`);
    for (const skip of report.skipped) skipped.push(`${file} › ${skip.test}: ${skip.reason}`);
    for (let index = 0; index < report.unexplainedSkips; index++) skipped.push(`${file}: a test skipped without a reason`);
  }
  const left = await endSession(pid);
  if (left.length > 0) {
    const listed = left.map((process) => `${process.pid} ${process.args}`).join('; ');
    fail(`${file}: left ${left.length} process(es) running, now killed: ${listed}`);
  }
  rmSync(temporary, { recursive: true, force: true });
  try {
    await ceph?.restore();
  } catch (error) {
    fail(`after ${file}: the Ceph gateway could not be restored, so the rest did not run: ${firstLine(error)}`);
    storeReady = false;
  }
}
await ceph?.destroy().catch((error: unknown) => fail(`the run's Ceph cluster could not be destroyed: ${firstLine(error)}`));
rmSync(runDirectory, { recursive: true, force: true });

if (skipped.length > 0) console.log(`\n${styleText('yellow', 'skipped:')}\n${skipped.map((line) => `  ${line}`).join('\n')}`);
if (problems.length > 0) console.log(`\n${styleText('red', 'problems:')}\n${problems.map((line) => `  ${line}`).join('\n')}`);
if (filesRun < files.length) console.log(`\n${files.length - filesRun} of ${files.length} file(s) not run`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped.length} skipped`);
process.exitCode = interrupted ? 130 : failed > 0 || passed === 0 ? 1 : 0;
