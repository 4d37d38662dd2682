// Bad configuration exits 2 with one line naming the setting, the value and what is accepted;
// a port that cannot be opened exits 3. Neither ever fetches nor listens.
import { createServer } from 'node:net';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnService } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';

const cases: Array<[string, Record<string, string>, string[], RegExp]> = [
  ['port 0', { PORT: '0' }, [], /^invalid configuration: PORT="0" is not accepted; use an integer from 1 to 65535$/],
  ['port 70000', {}, ['--port=70000'], /^invalid configuration: --port="70000" is not accepted; use an integer from 1 to 65535$/],
  ['REFRESH_INTERVAL=abc', { REFRESH_INTERVAL: 'abc' }, [], /^invalid configuration: REFRESH_INTERVAL="abc" is not accepted; use a duration such as 500ms, 10s or 1m/],
  ['an endpoint that is not http(s)', { S3_ENDPOINT: 'ftp://127.0.0.1:21' }, [], /^invalid configuration: S3_ENDPOINT="ftp:\/\/127.0.0.1:21" is not accepted; use an http:\/\/ or https:\/\/ URL/],
  ['an empty bucket', {}, ['--s3-bucket='], /^invalid configuration: --s3-bucket="" is not accepted; use a non-empty value$/],
  ['an unknown flag', {}, ['--colour=blue'], /^invalid configuration: unknown option --colour; run with --help to list the options$/],
  ['SHUTDOWN_TIMEOUT of 5s or more', { SHUTDOWN_TIMEOUT: '5s' }, [], /SHUTDOWN_TIMEOUT="5s" is not accepted; use a duration above 0 and below 5s/],
];

for (const [name, env, args, expected] of cases) {
  test(`${name}: exit 2 with one clear line`, async () => {
    const service = await spawnService({ env: { ...env, PORT: env.PORT ?? '8000' }, args });
    const exit = await service.waitForExit();
    assert.is(exit.code, 2, service.stderr());
    const lines = service.stderr().trim().split('\n');
    assert.is(lines.length, 1, `stderr:\n${service.stderr()}`);
    assert.is(service.logs[0]?.level, 'fatal');
    assert.match(service.logs[0]!.msg, expected);
  });
}

test('--help prints every option and exits 0', async () => {
  const service = await spawnService({ args: ['--help'] });
  let stdout = '';
  service.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exit = await service.waitForExit();
  assert.is(exit.code, 0);
  assert.match(stdout, /^Usage: s3-object-cache/);
  assert.match(stdout, /--refresh-interval, REFRESH_INTERVAL +time between refreshes, fixed rate \[default: 60s\]/);
});

test('a port already in use: exit 3 naming the address and the fix', async () => {
  const { env } = await objectInStore('x');
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const { port } = blocker.address() as { port: number };
  try {
    const service = await spawnService({ env: { ...env, PORT: String(port) } });
    const exit = await service.waitForExit();
    assert.is(exit.code, 3, service.stderr());
    const fatal = service.logs.find((line) => line.level === 'fatal');
    assert.match(fatal!.msg, new RegExp(`^cannot listen on 127.0.0.1:${port}: .*EADDRINUSE.*; free the port or set PORT/HOST$`));
  } finally {
    blocker.close();
  }
});

test.run();
