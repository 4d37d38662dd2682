// READ_AUTH_FILE's format: htpasswd -B lines and bearer tokens; a line that is neither is named by
// its number, never by its content.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import bcrypt from 'bcryptjs';
import { parseReadAccess, ReadAccessFileError } from '../../../src/main/read-access.ts';

const hash = bcrypt.hashSync('secret password', 4).replace('$2b$', '$2y$'); // as htpasswd -B writes it

test('users with bcrypt hashes and tokens of 16+ characters; blank lines and comments skipped', () => {
  const credentials = parseReadAccess(`# readers\n\nalice:${hash}\n  a-machine-token-0123456789  \nbob:${hash}\n`);
  assert.equal(credentials.users.map(([user]) => user), ['alice', 'bob']);
  assert.is(credentials.tokenDigests.length, 1);
  assert.not.ok(credentials.tokenDigests[0]!.includes('a-machine-token'), 'tokens are kept as digests');
});

test('what is refused: another hash, a short token, a token with a space, an empty file; the line, never its content', () => {
  for (const [text, message] of [
    ['carol:$apr1$abc$0123456789012345678901', /^line 1: the password of "carol" is not a bcrypt hash; write it with htpasswd -B$/],
    ['# x\nshort-token', /^line 2: neither a user:bcrypt-hash line \(htpasswd -B\) nor a bearer token of 16 characters or more/],
    ['a token with spaces in it', /^line 1: neither/],
    ['\n# only comments\n', /holds no user and no token/],
  ] as const) {
    assert.throws(() => parseReadAccess(text), (error: Error) => error instanceof ReadAccessFileError && message.test(error.message) && !error.message.includes('$apr1$') && !error.message.includes('short-token'));
  }
});

test.run();
