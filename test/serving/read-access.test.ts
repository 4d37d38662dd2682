// READ_AUTH_FILE against the real service: real clients with credentials pass (curl -u, a bearer
// token, a browser given them in the URL); wrong, missing and malformed ones get 401 and nothing of
// the content; ten thousand wrong attempts cost valid clients no more than as many requests cost
// them in the open case, and fill no log; reloads keep working credentials; no credential is ever
// printed.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import bcrypt from 'bcryptjs';
import { request } from 'undici';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { get } from '../helpers/http.ts';
import { requestsByThread, scrapeOnNewConnection } from '../helpers/metrics.ts';
import { spawnService, startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { waitFor } from '../helpers/wait.ts';

const body = 'for readers only';
const password = 'reader-password-canary-91c2';
const token = 'reader-token-canary-5b7e0d11';
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
const valid = { authorization: basic('reader', password) };

function authFile(lines: string[]): string {
  const file = join(temporaryDirectory('read-auth'), 'readers');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
const readers = () => [`reader:${bcrypt.hashSync(password, 5)}`, token];

/** The service's output holds no credential of this file. */
function assertNoSecrets(...services: ServiceProcess[]): void {
  for (const service of services) {
    const output = service.stderr();
    for (const secret of [password, token, basic('reader', password).slice(6)]) assert.not.ok(output.includes(secret), 'a credential in the output');
  }
}

test('clients with credentials pass: a bearer token, Basic; the answer is private to them', async () => {
  const { env } = await objectInStore(body);
  const service = await startService({ env: { ...env, READ_AUTH_FILE: authFile(readers()) } });
  const withToken = await get(`${service.url}/`, { authorization: `Bearer ${token}` });
  assert.equal([withToken.status, withToken.text], [200, body]);
  assert.match(String(withToken.headers['cache-control']), /^private, max-age=/);
  assert.is((await get(`${service.url}/`, valid)).text, body);
  assertNoSecrets(service);
  await service.kill();
});

testUnless(programMissing('curl', 'apt-get install curl'))('curl -u passes', async () => {
  const { env } = await objectInStore(body);
  const service = await startService({ env: { ...env, READ_AUTH_FILE: authFile(readers()) } });
  assert.is(execFileSync('curl', ['-sf', '-u', `reader:${password}`, `${service.url}/`], { encoding: 'utf8' }), body);
  assert.throws(() => execFileSync('curl', ['-sf', '-u', 'reader:wrong', `${service.url}/`], { stdio: 'ignore' }));
  await service.kill();
});

testUnless(programMissing('chromium', 'apt-get install chromium'))('a browser given the credentials in the URL passes', async () => {
  const { env } = await objectInStore(body, 'text/plain'); // a browser would download an octet-stream
  const service = await startService({ env: { ...env, READ_AUTH_FILE: authFile(readers()) } });
  const url = `http://reader:${password}@127.0.0.1:${service.port}/`;
  const profile = temporaryDirectory('chromium');
  const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const { stdout: page } = await promisify(execFile)('chromium', [...chromiumFlags, `--user-data-dir=${profile}`, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  assert.match(page, new RegExp(`<pre[^>]*>${body}</pre>`));
  assertNoSecrets(service);
  await service.kill();
});

test('wrong, missing and malformed credentials: 401 naming both schemes, none of the content; operations endpoints stay open', async () => {
  const { env } = await objectInStore(body);
  const service = await startService({ env: { ...env, READ_AUTH_FILE: authFile(readers()), READ_AUTH_REALM: 'team docs', REFRESH_TOKEN: 'refresh-token-0123456789abcdef' } });
  for (const headers of [{} as Record<string, string>, { authorization: basic('reader', 'wrong') }, { authorization: basic('nobody', password) }, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: 'Basic %%%' }, { authorization: 'Negotiate x' }]) {
    for (const path of ['/', '/elsewhere']) {
      const refused = await get(`${service.url}${path}`, headers);
      assert.is(refused.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(refused.headers['www-authenticate'], ['Basic realm="team docs", charset="UTF-8"', 'Bearer']);
      assert.not.match(refused.text, new RegExp(body));
    }
  }
  assert.is((await get(`${service.url}/-/readyz`)).status, 200);
  const refresh = await request(`${service.url}/-/refresh`, { method: 'POST', headers: { authorization: 'Bearer refresh-token-0123456789abcdef' } });
  assert.is(refresh.statusCode, 200);
  await refresh.body.dump();
  assert.match(await scrapeOnNewConnection(service.url), /s3_object_cache_read_access_denied_total [1-9]/);
  assertNoSecrets(service);
  await service.kill();
});

/** Latencies of `count` valid GETs, 4 at a time, while `noise` runs beside them. */
async function validLatencies(url: string, headers: Record<string, string>, count: number, noise: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let left = count;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (left-- > 0) {
        const startedAt = performance.now();
        const answer = await get(url, headers);
        latencies.push(performance.now() - startedAt);
        assert.is(answer.status, 200);
      }
    }),
  );
  await noise;
  return latencies.sort((a, b) => a - b);
}

/** 10,000 requests with wrong credentials (wrong passwords of a real user and unknown users), 32 at a time. */
async function wrongAttempts(url: string): Promise<number[]> {
  const statuses: number[] = [];
  let attempt = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (attempt < 10_000) {
        const guess = attempt++;
        const response = await request(url, { headers: { authorization: basic(guess % 2 === 0 ? 'reader' : `user${guess}`, `guess ${guess}`) } });
        await response.body.dump();
        statuses.push(response.statusCode);
      }
    }),
  );
  return statuses;
}

test('ten thousand wrong attempts: valid clients p99 within 2x of the open case under as many requests; the log stays short', async () => {
  const { env } = await objectInStore(body);
  const open = await startService({ env });
  const guarded = await startService({ env: { ...env, READ_AUTH_FILE: authFile(readers()) } });
  const p99 = (latencies: number[]) => latencies[Math.floor(latencies.length * 0.99)]!;
  // A valid client already reading: its credentials verified before the guessing starts (the guesses come from
  // the same address here, whose budget of bcrypt verifications they use up).
  assert.is((await get(`${guarded.url}/`, valid)).status, 200);
  const openLatencies = await validLatencies(`${open.url}/`, {}, 1_000, wrongAttempts(`${open.url}/`));
  const startedAt = performance.now();
  const statuses: number[] = [];
  const guardedLatencies = await validLatencies(`${guarded.url}/`, valid, 1_000, wrongAttempts(`${guarded.url}/`).then((all) => statuses.push(...all)));
  const seconds = (performance.now() - startedAt) / 1_000;
  assert.ok(statuses.length === 10_000 && statuses.every((status) => status === 401), 'a wrong attempt was not refused');
  const ratio = p99(guardedLatencies) / p99(openLatencies);
  assert.ok(ratio <= 2, `valid clients' p99 ${p99(guardedLatencies).toFixed(2)} ms under attack against ${p99(openLatencies).toFixed(2)} ms open (${ratio.toFixed(2)}x)`);
  const denialLines = guarded.logs.filter((line) => line.code === 'ReadAccessDenied').length;
  assert.ok(denialLines <= Math.ceil(seconds) + 2, `${denialLines} denial lines in ${seconds.toFixed(1)} s`);
  assertNoSecrets(guarded);
  await Promise.all([open.kill(), guarded.kill()]);
});

test('reloads: a changed file is read within seconds, SIGHUP reads it at once, a broken one keeps the credentials in force', async () => {
  const { env } = await objectInStore(body);
  const file = authFile(readers());
  const service = await startService({ env: { ...env, READ_AUTH_FILE: file, HTTP_THREADS: '2' } });
  const status = async (headers: Record<string, string>) => (await request(`${service.url}/`, { headers, reset: true }).then(async (answer) => (await answer.body.dump(), answer.statusCode)));
  const newToken = 'a-second-token-0123456789';
  writeFileSync(file, `${newToken}\n`);
  await waitFor('the new token on every thread', async () => (await Promise.all(Array.from({ length: 8 }, () => status({ authorization: `Bearer ${newToken}` })))).every((code) => code === 200), 10_000);
  assert.is(await status(valid), 401, 'a user removed from the file still reads');
  writeFileSync(file, 'not a credential file\n');
  service.signal('SIGHUP');
  await service.waitForLog('the broken file refused', (line) => line.code === 'ReadAccessFileUnusable');
  assert.match(service.logs.find((line) => line.code === 'ReadAccessFileUnusable')!.msg, /line 1: neither .*; the credentials read before stay in force/);
  assert.is(await status({ authorization: `Bearer ${newToken}` }), 200);
  const perThread = requestsByThread(await scrapeOnNewConnection(service.url));
  assert.ok(perThread.every((count) => count > 0), `requests per thread: ${perThread.join(', ')}`);
  assertNoSecrets(service);
  await service.kill();
});

test('a file that cannot be read or parsed at start: exit 2 with one line', async () => {
  const { env } = await objectInStore(body);
  for (const [file, reason] of [[join(temporaryDirectory('read-auth'), 'missing'), /cannot read it \(ENOENT\)/], [authFile(['reader:plain-text-password']), /line 1: the password of "reader" is not a bcrypt hash/]] as const) {
    const service = await spawnService({ env: { ...env, READ_AUTH_FILE: file } });
    assert.is((await service.waitForExit()).code, 2);
    assert.is(service.stderr().trim().split('\n').length, 1, service.stderr());
    assert.match(service.logs[0]!.msg, reason);
    assert.not.match(service.stderr(), /plain-text-password/);
  }
});

testUnless(programMissing('htpasswd', 'apt-get install apache2-utils'))('lines as Apache\'s htpasswd -B writes them', async () => {
  const { env } = await objectInStore(body);
  const file = join(temporaryDirectory('read-auth'), 'htpasswd');
  execFileSync('htpasswd', ['-cbB', file, 'apache-user', password]);
  const service = await startService({ env: { ...env, READ_AUTH_FILE: file } });
  assert.is((await get(`${service.url}/`, { authorization: basic('apache-user', password) })).text, body);
  assert.is((await get(`${service.url}/`, { authorization: basic('apache-user', 'wrong') })).status, 401);
  await service.kill();
});

test.run();
