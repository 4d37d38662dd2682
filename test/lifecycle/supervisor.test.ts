// The operators' ritual under a real supervisor (Debian's supervisord): the store goes down, the
// service exits 1, supervisord restarts it, restarts fail and back off while the store is down,
// the store comes back and the service serves again, with the new content.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { runEnvironment, serviceArgs } from '../../scripts/service-command.ts';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { stopAtCleanup } from '../helpers/processes.ts';
import { freePort } from '../helpers/net.ts';
import { objectInStore } from '../helpers/serving.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { putObject } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';

function supervisordConfig(directory: string, env: Record<string, string>): string {
  const environment = Object.entries(env)
    .map(([name, value]) => `${name}="${value.replaceAll('%', '%%')}"`)
    .join(',');
  return `
[supervisord]
nodaemon=true
logfile=${directory}/supervisord.log
pidfile=${directory}/supervisord.pid
childlogdir=${directory}
[unix_http_server]
file=${directory}/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:s3-object-cache]
command=${process.execPath} ${serviceArgs().join(' ')}
environment=${environment}
; exit 0 is a requested stop; anything else (1: store down or object gone) restarts it
autorestart=unexpected
exitcodes=0
; a start that dies within 3 s failed: supervisord retries with a growing back-off. (A start
; refused by a store that is down fails in well under a second, even on a loaded machine.)
startsecs=3
startretries=30
stopsignal=TERM
stopwaitsecs=10
stderr_logfile=${directory}/service.log
`;
}

/** Milliseconds from each failed exit to the next spawn, from supervisord's log. */
function restartDelaysMs(log: string): number[] {
  const events = [...log.matchAll(/^(\S+ \S+),(\d+) \w+ (exited|spawned)/gm)].map(([, time, ms, event]) => ({
    at: Date.parse(`${time!.replace(' ', 'T')}.${ms}`),
    event,
  }));
  return events.flatMap((entry, index) =>
    entry.event === 'exited' && events[index + 1]?.event === 'spawned' ? [events[index + 1]!.at - entry.at] : [],
  );
}

async function body(url: string): Promise<string | undefined> {
  try {
    return await (await request(url)).body.text();
  } catch {
    return undefined; // not listening right now: the supervisor is restarting it
  }
}

testUnless(programMissing('supervisord', 'apt-get install supervisor'))('supervisord restarts the service through a store outage until it serves again', async () => {
  const { store, bucket, env: storeEnv } = await objectInStore('before the outage');
  const directory = temporaryDirectory('supervisor');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env = {
    ...runEnvironment,
    ...storeEnv,
    PORT: String(port),
    HOST: '127.0.0.1',
    REFRESH_INTERVAL: '1s',
    FETCH_TIMEOUT: '1s',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  writeFileSync(join(directory, 'supervisord.conf'), supervisordConfig(directory, env));
  const supervisord = spawn('supervisord', ['-n', '-c', join(directory, 'supervisord.conf')], { stdio: 'ignore' });
  const supervisorLog = () => {
    try {
      return readFileSync(join(directory, 'supervisord.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const count = (pattern: RegExp) => supervisorLog().match(new RegExp(pattern, 'g'))?.length ?? 0;
  const stopSupervisord = stopAtCleanup(supervisord, 'SIGTERM', { timeoutMs: 15_000 });
  await once(supervisord, 'spawn'); // rejects with the error when it cannot be started
  const failedExit = /exited: s3-object-cache \(exit status 1; not expected\)/;

  await waitFor('the supervised service to serve', async () => (await body(url)) === 'before the outage', 15_000);
  await waitFor('supervisord to count the start as running', () => count(/entered RUNNING state/) >= 1, 10_000);

  await store.stop();
  try {
    await waitFor('the service to exit 1 after the store went down', () => count(failedExit) >= 1, 10_000);
    await waitFor('three failed restarts while the store is down', () => count(failedExit) >= 4, 20_000);
    // The first restart follows a process that ran: supervisord restarts it at once. The ones
    // after follow failed starts: supervisord backs off, a second longer each time.
    const delays = restartDelaysMs(supervisorLog()).slice(1);
    assert.ok(delays.every((delay) => delay >= 900), `restarted without waiting: ${delays.join(', ')} ms`);
    assert.ok(delays.at(-1)! > delays[0]! + 500, `no growing back-off: ${delays.join(', ')} ms`);
    const serviceLog = readFileSync(join(directory, 'service.log'), 'utf8');
    assert.match(serviceLog, /ECONNREFUSED/);
  } finally {
    await store.start();
  }
  await putObject(store, bucket, 'object.txt', 'after the outage');
  await waitFor('the restarted service to serve the new content', async () => (await body(url)) === 'after the outage', 30_000);
  await waitFor('supervisord to count the new start as running', () => count(/entered RUNNING state/) >= 2, 10_000).catch(
    (error: Error) => {
      throw new Error(`${error.message}; supervisord's log:\n${supervisorLog()}`);
    },
  );

  await stopSupervisord();
  assert.match(supervisorLog(), /stopped: s3-object-cache \(exit status 0\)/);
});

test.run();
