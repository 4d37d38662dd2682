// The per-request check of READ_AUTH_FILE's credentials, in-process: tokens at once, Basic through
// bcrypt once and then remembered, unknown users refused without bcrypt, a client's guesses
// refused unverified past a few a second, and a reload forgetting what was verified.
import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import bcrypt from 'bcryptjs';
import { createReadAccess } from '../../../src/http/read-access.ts';
import { parseReadAccess } from '../../../src/main/read-access.ts';

const token = 'a-machine-token-0123456789';
const credentials = parseReadAccess(`alice:${bcrypt.hashSync('right', 4)}\n${token}\n`);
const request = (authorization: string | undefined, address = '10.0.0.1') =>
  ({ headers: authorization === undefined ? {} : { authorization }, socket: { remoteAddress: address } }) as unknown as IncomingMessage;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('tokens and known Basic credentials pass; Basic is verified once, then remembered', async () => {
  const access = createReadAccess(credentials, 'docs');
  assert.is(access.allows(request(`Bearer ${token}`)), true);
  const first = access.allows(request(basic('alice', 'right')));
  assert.instance(first, Promise);
  assert.is(await first, true);
  assert.is(access.allows(request(basic('alice', 'right'))), true, 'not remembered');
});

test('missing, malformed, unknown and wrong credentials are refused', async () => {
  const access = createReadAccess(credentials, 'docs');
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789', 'Digest x', 'Basic !!!', basic('mallory', 'right')]) {
    assert.is(access.allows(request(authorization)), false, String(authorization));
  }
  assert.is(await access.allows(request(basic('alice', 'wrong'))), false);
  assert.match(access.refusal.headers.join(' '), /WWW-Authenticate Basic realm="docs", charset="UTF-8" WWW-Authenticate Bearer/);
  assert.is(access.refusal.body.toString(), 'Unauthorized\n');
});

test('a client guessing gets a few bcrypt verifications a second, then refusals without one; others are unaffected', async () => {
  const access = createReadAccess(credentials, 'docs');
  const verdicts = Array.from({ length: 20 }, (_, guess) => access.allows(request(basic('alice', `guess ${guess}`), '10.0.0.66')));
  assert.ok(verdicts.filter((verdict) => verdict === false).length >= 14, 'guesses past the budget were verified');
  assert.is(await access.allows(request(basic('alice', 'right'), '10.0.0.2')), true);
});

test('a reload forgets what was verified: removed credentials stop working at once', async () => {
  const access = createReadAccess(credentials, 'docs');
  assert.is(await access.allows(request(basic('alice', 'right'))), true);
  access.use(parseReadAccess(`${token}\n`));
  assert.is(access.allows(request(basic('alice', 'right'))), false);
  assert.is(access.allows(request(`Bearer ${token}`)), true);
});

test.run();
