// Serving thread. Read access (READ_AUTH_FILE): a request passes with a bearer token from the file
// or Basic credentials of one of its users (bcrypt), else it gets 401 naming both schemes and
// nothing of the content. The open case costs nothing: without the file there is no check at all.
// Verified Authorization values are remembered (bounded), so bcrypt runs once per credential, not
// per request. Tokens are looked up by their SHA-256 digest: what the lookup's timing could reveal
// is how much of a digest matched, which says nothing of a token. A client address gets at
// most `bcryptPerSecond` bcrypt verifications a second: past that its guesses are refused unverified,
// so ten thousand wrong passwords cost the other clients nothing.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import type { ReadCredentials } from '../serving-protocol.ts';
import { plainResponse, type PlainResponse } from './plain-responses.ts';

const rememberedCredentials = 1024;
const bcryptPerSecond = 5;
const trackedAddresses = 10_000;

const digestOf = (text: string) => createHash('sha256').update(text).digest('base64');

export interface ReadAccess {
  /** true or false at once, or a promise where a credential is checked for the first time. */
  allows(req: IncomingMessage): boolean | Promise<boolean>;
  /** READ_AUTH_FILE reloaded: these credentials from now on, and nothing verified before. */
  use(credentials: ReadCredentials): void;
  /** The 401 every refused request gets. */
  readonly refusal: PlainResponse;
}

export function createReadAccess(credentials: ReadCredentials, realm: string): ReadAccess {
  let users = new Map<string, string>();
  /** The tokens' SHA-256 digests, base64, as READ_AUTH_FILE's parser keeps them. */
  let tokenDigests = new Set<string>();
  const verified = new Set<string>();
  /** bcrypt verifications this second, by client address. */
  let verifications = new Map<string, number>();
  let second = 0;

  function use(next: ReadCredentials): void {
    users = new Map(next.users);
    tokenDigests = new Set(next.tokenDigests);
    verified.clear();
  }
  use(credentials);

  function remember(authorization: string): true {
    if (verified.size >= rememberedCredentials) verified.clear();
    verified.add(authorization);
    return true;
  }

  /** Whether this client may have one more bcrypt verification this second. */
  function mayVerify(address: string): boolean {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second || verifications.size > trackedAddresses) {
      second = now;
      verifications = new Map();
    }
    const count = (verifications.get(address) ?? 0) + 1;
    verifications.set(address, count);
    return count <= bcryptPerSecond;
  }

  function allows(req: IncomingMessage): boolean | Promise<boolean> {
    const authorization = req.headers.authorization;
    if (authorization === undefined) return false;
    if (verified.has(authorization)) return true;
    const [scheme = '', value = ''] = authorization.split(' ', 2);
    if (scheme.toLowerCase() === 'bearer') return tokenDigests.has(digestOf(value)) && remember(authorization);
    if (scheme.toLowerCase() !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const hash = colon > 0 ? users.get(decoded.slice(0, colon)) : undefined;
    if (hash === undefined || !mayVerify(req.socket.remoteAddress ?? '')) return false;
    const checked = users;
    return bcrypt.compare(decoded.slice(colon + 1), hash).then((matches) => matches && users === checked && remember(authorization), () => false);
  }

  const refusal = plainResponse(401, 'Unauthorized', [
    'WWW-Authenticate',
    `Basic realm="${realm}", charset="UTF-8"`,
    'WWW-Authenticate',
    'Bearer',
    'Cache-Control',
    'no-store',
  ]);
  return { allows, use, refusal };
}
