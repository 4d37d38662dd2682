// No secret in any output line: an endpoint with user:password@ (gateways with basic auth) or a
// token in its query string is redacted in the start line, in the failure line before exit 1 and
// in the exit-2 line for an invalid value. A canary password must appear nowhere.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../helpers/net.ts';
import { byMessage, spawnService } from '../helpers/service.ts';
import { testStore } from '../helpers/store.ts';

const canary = () => `CANARY${randomBytes(8).toString('hex')}`;

test('start line and failure line redact the userinfo and query of the endpoint', async () => {
  const store = await testStore();
  const [password, token] = [canary(), canary()];
  const closedPort = await freePort(); // nothing listens: the first fetch fails, exit 1
  const endpoint = `http://gateway-user:${password}@127.0.0.1:${closedPort}/?token=${token}`;
  const service = await spawnService({ env: { ...store.serviceEnv, S3_ENDPOINT: endpoint } });
  const exit = await service.waitForExit();
  assert.is(exit.code, 1, service.stderr());
  const output = service.stderr();
  assert.not.ok(output.includes(password), 'the password was written');
  assert.not.ok(output.includes(token), 'the token was written');
  const starting = service.logs.find(byMessage('starting'));
  assert.match(JSON.stringify(starting), /http:\/\/REDACTED@127\.0\.0\.1:\d+\/\?REDACTED/);
  const failure = service.logs.find((line) => line.level === 'error');
  assert.match(failure?.msg ?? '', /cannot fetch .* from http:\/\/REDACTED@127\.0\.0\.1/);
});

test('LOG_FORMAT=pretty: one readable line an event, with the same redaction', async () => {
  const store = await testStore();
  const [password, token, refreshToken] = [canary(), canary(), canary()];
  const closedPort = await freePort();
  const endpoint = `http://gateway-user:${password}@127.0.0.1:${closedPort}/?token=${token}`;
  const service = await spawnService({
    env: { ...store.serviceEnv, S3_ENDPOINT: endpoint, REFRESH_TOKEN: refreshToken, LOG_FORMAT: 'pretty' },
  });
  const exit = await service.waitForExit();
  assert.is(exit.code, 1, service.stderr());
  const output = service.stderr();
  for (const secret of [password, token, refreshToken]) assert.not.ok(output.includes(secret), 'a secret was written');
  const lines = output.trimEnd().split('\n');
  for (const line of lines) assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|FATAL): \S/, 'not one readable line');
  assert.match(lines[0]!, /INFO: starting \{"config":"s3:\/\/example\/object\.txt from http:\/\/REDACTED@127\.0\.0\.1:\d+\/\?REDACTED on port \d+/);
  assert.ok(lines[0]!.length < 200, `the start line is ${lines[0]!.length} characters`);
  assert.match(output, /ERROR: cannot fetch s3:\/\/example\/object\.txt from http:\/\/REDACTED@127\.0\.0\.1/);
});

test('the exit-2 line for an invalid endpoint redacts it too', async () => {
  const password = canary();
  const service = await spawnService({ env: { S3_ENDPOINT: `http://user:${password}@store.example:99999` } });
  const exit = await service.waitForExit();
  assert.is(exit.code, 2);
  assert.not.ok(service.stderr().includes(password), 'the password was written');
  const fatal = service.logs.find((line) => line.level === 'fatal');
  assert.match(fatal?.msg ?? '', /^invalid configuration: S3_ENDPOINT="http:\/\/REDACTED@store\.example:99999" is not accepted/);
});

test.run();
