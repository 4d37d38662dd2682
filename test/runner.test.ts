// The test runner itself (test/run.ts), run for real on the fixture files in test/fixtures/runner/:
// a file that throws, crashes or rejects outside a test fails alone and the run goes on to its
// closing line; a test needing a missing program is skipped with the reason and the install
// command; a process a file leaves behind is named, killed and fails the run; Ctrl-C stops the
// file running, after its own cleanup, and still prints the closing line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onCleanup } from './helpers/cleanup.ts';
import { processExists } from './helpers/processes.ts';
import { waitFor, withTimeout } from './helpers/wait.ts';

const runner = new URL('./run.ts', import.meta.url).pathname;
const fixtures = new URL('./fixtures/runner/', import.meta.url).pathname;

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  pid: number;
}

/** The runner on the fixtures whose names contain `filters`, in a process group of its own, as a terminal runs it. */
function startRunner(filters: string[]): Run {
  const child = spawn(process.execPath, [runner, '--dir', fixtures, ...filters], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  });
  return { output: () => output, exited, pid: child.pid! };
}

async function run(filters: string[]): Promise<{ code: number | null; output: string }> {
  const started = startRunner(filters);
  const code = await withTimeout(started.exited, 30_000, 'the runner to finish');
  return { code, output: started.output() };
}

const closingLine = (output: string) => /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(output)?.slice(1).map(Number);

test('files that throw, crash or reject outside a test fail alone; the others run; the closing line comes', async () => {
  const { code, output } = await run(['a-throws', 'b-crashes', 'c-rejects', 'e-passes']);
  assert.is(code, 1, output);
  assert.match(output, /a-throws-while-loading\.test\.ts: threw while loading: Error: fixture: thrown while loading/);
  assert.match(output, /b-crashes-outside-a-test\.test\.ts: crashed outside a test: Error: spawn s3-object-cache-no-such-program ENOENT/);
  assert.match(output, /c-rejects-outside-a-test\.test\.ts: a promise rejected outside a test: Error: fixture: rejected with nobody waiting/);
  assert.match(output, /e-passes\.test\.ts\n• +\(1 \/ 1\)/, 'the file after the crashes did not run');
  assert.equal(closingLine(output), [1, 3, 0], output);
  assert.not.match(output, /Exiting early/);
});

test('a test needing a missing program is skipped with the reason and the install command; the run passes', async () => {
  const { code, output } = await run(['d-needs', 'e-passes']);
  assert.is(code, 0, output);
  assert.match(
    output,
    'd-needs-a-missing-program.test.ts › runs the missing program: needs s3-object-cache-no-such-program, which is not on PATH; install it with: apt-get install s3-object-cache-no-such-package',
  );
  assert.equal(closingLine(output), [2, 0, 1], output);
});

test('a process a file leaves behind is named, killed, and fails the run', async () => {
  const { code, output } = await run(['f-leaves']);
  assert.is(code, 1, output);
  const left = /f-leaves-a-child\.test\.ts: left 1 process\(es\) running, now killed: (\d+) sleep 300/.exec(output);
  assert.ok(left, output);
  await waitFor('the left process to be gone', () => !processExists(Number(left![1])), 2_000);
  assert.equal(closingLine(output), [1, 1, 0], output);
});

test('Ctrl-C: the file running cleans up and stops, its TMPDIR is removed, the closing line comes, exit 130', async () => {
  const started = startRunner(['g-waits']);
  const [, child, temporary] = (await waitFor('the fixture to start its process', () =>
    /fixture: started (\d+); TMPDIR (\S+)/.exec(started.output()) ?? undefined,
  )) as RegExpExecArray;
  assert.ok(existsSync(temporary!), 'the file has no TMPDIR of its own');
  process.kill(-started.pid, 'SIGINT'); // what a terminal does: the whole foreground group
  const code = await withTimeout(started.exited, 10_000, 'the runner to stop after Ctrl-C');
  const output = started.output();
  assert.is(code, 130, output);
  assert.match(output, /g-waits-for-ctrl-c\.test\.ts: interrupted \(SIGINT\)/);
  assert.equal(closingLine(output), [0, 1, 0], output);
  await waitFor('the fixture\'s process to be gone', () => !processExists(Number(child)), 2_000);
  assert.not.ok(existsSync(temporary!), `${temporary} is still there`);
});

test.run();
