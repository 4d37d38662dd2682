// Main thread. READ_AUTH_FILE: read and parsed at start (a file that cannot be read or parsed is
// exit 2 with one line), reloaded on SIGHUP and when the file changes (a broken file then keeps the
// credentials in force, with one line saying why), and handed to every serving thread. Refused
// requests are counted and logged at most once a second per client address, never with what they
// sent. The file: `user:$2y$...` lines as `htpasswd -B` writes them (bcrypt, for Basic), and bearer
// tokens, one a line, of 16 characters or more without spaces or colons; blank lines and `#`
// comments are skipped.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { ReadCredentials } from '../serving-protocol.ts';
import type { Logger } from './logger.ts';
import type { ServiceMetrics } from './metrics.ts';

export class ReadAccessFileError extends Error {}

const bcryptHash = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** node:crypto only where READ_AUTH_FILE is set: the configuration is read before the fetch worker starts. */
const sha256 = (text: string) => process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('base64');

/** The credentials in `text`; a line that is neither is a ReadAccessFileError naming it (never its content). */
export function parseReadAccess(text: string): ReadCredentials {
  const users: Array<[string, string]> = [];
  const tokenDigests: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon > 0) {
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (!bcryptHash.test(hash)) throw new ReadAccessFileError(`line ${index + 1}: the password of "${user}" is not a bcrypt hash; write it with htpasswd -B`);
      users.push([user, hash]);
    } else if (line.length < 16 || /[\s:]/.test(line)) {
      throw new ReadAccessFileError(`line ${index + 1}: neither a user:bcrypt-hash line (htpasswd -B) nor a bearer token of 16 characters or more without spaces or colons`);
    } else tokenDigests.push(sha256(line));
  });
  if (users.length === 0 && tokenDigests.length === 0) throw new ReadAccessFileError('it holds no user and no token: nobody could read');
  return { users, tokenDigests };
}

export function readAccessFile(path: string): ReadCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReadAccessFileError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseReadAccess(text);
}

export interface ReadAccessManager {
  /** SIGHUP: read the file again. */
  reload(): void;
  /** Requests refused for want of credentials, and the addresses they came from. */
  denied(count: number, addresses: readonly string[]): void;
  stop(): void;
}

/** How often the file is looked at: a Kubernetes Secret changes by a symlink swap that only a stat sees. */
const watchIntervalMs = 1_000;

export function manageReadAccess(options: {
  path: string;
  logger: Logger;
  metrics: ServiceMetrics;
  /** The new credentials, for every thread. */
  apply: (credentials: ReadCredentials) => void;
}): ReadAccessManager {
  const { path, logger, metrics } = options;
  const loggedAt = new Map<string, number>();

  function reload(): void {
    try {
      const credentials = readAccessFile(path);
      options.apply(credentials);
      logger.info({ users: credentials.users.length, tokens: credentials.tokenDigests.length }, `READ_AUTH_FILE ${path} reloaded`);
    } catch (error) {
      if (!(error instanceof ReadAccessFileError)) throw error;
      logger.warn({ code: 'ReadAccessFileUnusable' }, `READ_AUTH_FILE ${path} not reloaded: ${error.message}; the credentials read before stay in force`);
    }
  }
  watchFile(path, { interval: watchIntervalMs, persistent: false }, (now, before) => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) reload();
  });

  return {
    reload,
    denied(count, addresses) {
      metrics.readAccessDenied(count);
      const now = Date.now();
      if (loggedAt.size > 10_000) loggedAt.clear();
      for (const address of addresses) {
        if (now - (loggedAt.get(address) ?? 0) < 1_000) continue;
        loggedAt.set(address, now);
        logger.warn({ code: 'ReadAccessDenied', address }, 'a request without valid read credentials was refused (401)');
      }
    },
    stop: () => unwatchFile(path),
  };
}

/**
 * READ_AUTH_FILE in the main thread: its own check of each request it serves (bcryptjs is loaded
 * only here, and in serving threads, where the file is set), and the file's reloads, which every
 * serving thread gets too.
 */
export async function startReadAccess(options: {
  path: string;
  realm: string;
  credentials: ReadCredentials;
  logger: Logger;
  metrics: ServiceMetrics;
  toThreads: (credentials: ReadCredentials) => void;
}) {
  const { createReadAccess } = await import('../http/read-access.ts');
  const access = createReadAccess(options.credentials, options.realm);
  const manager = manageReadAccess({
    ...options,
    apply: (next) => {
      access.use(next);
      options.toThreads(next);
    },
  });
  return { manager, check: { access, denied: (req: IncomingMessage) => manager.denied(1, [req.socket.remoteAddress ?? 'unknown']) } };
}
