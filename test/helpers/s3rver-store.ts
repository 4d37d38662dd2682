// s3rver as a separate process (scripts/s3rver.ts), stopped, restarted and paused through
// scripts/store-fault.sh like an operator would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup, temporaryDirectory } from './cleanup.ts';
import { readExports, runScript } from './scripts.ts';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import type { TestStore } from './store.ts';
import { withTimeout } from './wait.ts';

const launcher = new URL('../../scripts/s3rver.ts', import.meta.url).pathname;

async function launch(directory: string): Promise<Record<string, string>> {
  const child = spawn(process.execPath, [launcher, '--dir', directory], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const env = readExports(output);
      if (env.AWS_REGION !== undefined) resolve(env);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before it was ready`)));
  });
  return withTimeout(ready, 10_000, 's3rver to start');
}

export async function startS3rverStore(): Promise<TestStore> {
  const directory = temporaryDirectory('s3rver');
  const env = await launch(directory);
  const fault = (action: string) => runScript('store-fault.sh', ['--s3rver', directory, action]);
  // s3rver removes its pid file when it stops: without one, the test left it stopped. Any other
  // failure to stop it is the cleanup's to report, not to hide.
  onCleanup(async () => {
    if (existsSync(join(directory, 's3rver.pid'))) await fault('stop');
  });

  return {
    kind: 's3rver',
    serviceEnv: env,
    fixtures: fixturesClient(env.S3_ENDPOINT!, env.AWS_ACCESS_KEY_ID!, env.AWS_SECRET_ACCESS_KEY!),
    checksSignatures: false,
    replacesAtomically: false,
    outsider: undefined,
    stop: async () => void (await fault('stop')),
    start: async () => void (await fault('start')),
    pause: async () => void (await fault('pause')),
    resume: async () => void (await fault('resume')),
  };
}
