// s3rver as a separate process (scripts/s3rver.ts), so that it can be paused and stopped for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { onCleanup, temporaryDirectory } from './cleanup.ts';
import { fixturesClient, type TestStore } from './store.ts';
import { withTimeout } from './wait.ts';

const launcher = new URL('../../scripts/s3rver.ts', import.meta.url).pathname;

function readExports(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name!, value!]));
}

async function launch(directory: string, port: number): Promise<{ child: ChildProcess; env: Record<string, string> }> {
  const child = spawn(process.execPath, [launcher, '--dir', directory, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8');
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const env = readExports(output);
      if (env.AWS_REGION !== undefined) resolve(env);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before it was ready`)));
  });
  return { child, env: await withTimeout(ready, 10_000, 's3rver to start') };
}

export async function startS3rverStore(): Promise<TestStore> {
  const directory = temporaryDirectory('s3rver');
  const first = await launch(directory, 0);
  const env = first.env;
  let child = first.child;
  const port = Number(new URL(env.S3_ENDPOINT!).port);

  const stopChild = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT'); // a paused process would never handle SIGTERM
    child.kill('SIGTERM');
    await withTimeout(once(child, 'exit'), 5_000, 's3rver to stop');
  };
  onCleanup(stopChild);

  return {
    kind: 's3rver',
    serviceEnv: env,
    fixtures: fixturesClient(env.S3_ENDPOINT!, env.AWS_ACCESS_KEY_ID!, env.AWS_SECRET_ACCESS_KEY!),
    checksSignatures: false,
    replacesAtomically: false,
    outsider: undefined,
    stop: stopChild,
    async start() {
      ({ child } = await launch(directory, port));
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    close: stopChild,
  };
}
