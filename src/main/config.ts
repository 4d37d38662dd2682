// Main thread. The configuration contract: every setting is an environment variable and the
// matching command-line flag (PORT <-> --port); a flag wins over the environment. Each setting's
// parser gives its field's type, so the table below is the only place a type is stated.
import { constants as bufferConstants } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  ValueError,
  oneOf,
  parseBoolean,
  parseDuration,
  parseHttpUrl,
  parseNonEmpty,
  parsePort,
  parseSize,
  within,
} from './config-values.ts';
import { encodings, type Encoding } from '../protocol.ts';
import type { ReadCredentials } from '../serving-protocol.ts';
import { cpuBudget } from './cgroup-limits.ts';
import { ExitCode, exitCodeMeanings } from './exit-codes.ts';
import { softOpenFileLimit } from './open-file-limit.ts';
import type { Peers } from './peers.ts';
import { ReadAccessFileError, readAccessFile } from './read-access.ts';
import { ProxySettingError, proxyFor, storeUrl, type ProxyChoice } from './store-route.ts';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
export const logFormats = ['json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export class ConfigError extends Error {}

interface Setting<T> {
  name: string;
  /** Shown by --help and parsed when nothing is set; none means unset, or derived (`derivedDefaults`). */
  defaultValue?: string;
  /** Prefix mode only: set without S3_PREFIX, it is an error. */
  mode?: 'prefix';
  description: string;
  parse: (raw: string) => T;
  /** Standard variables read when this one is unset, in order. */
  fallbacks?: string[];
  /** Never echoed: an error names the setting, not its value. */
  secret?: boolean;
}

const hour = 3_600_000;

/**
 * File descriptors kept out of MAX_CONNECTIONS' default: the fetch worker's sockets to the store,
 * stdio, the event loop's own, the listening sockets. An idle service holds about 25.
 */
export const reservedFileDescriptors = 64;

const settings = {
  port: { name: 'PORT', defaultValue: '8000', description: 'TCP port to listen on', parse: parsePort },
  host: { name: 'HOST', defaultValue: '0.0.0.0', description: 'address to listen on', parse: parseNonEmpty },
  bucket: { name: 'S3_BUCKET', defaultValue: 'example', description: 'bucket holding the object', parse: parseNonEmpty },
  key: { name: 'S3_KEY', defaultValue: 'object.txt', description: 'key of the object to serve', parse: parseNonEmpty },
  prefix: {
    name: 'S3_PREFIX',
    description: 'serve every object under this prefix as one snapshot, instead of S3_KEY (ends with /; / alone: the whole bucket)',
    parse: parsePrefix,
  },
  indexDocument: {
    mode: 'prefix',
    name: 'INDEX_DOCUMENT',
    defaultValue: 'index.html',
    description: 'what a path ending in / serves, relative to it; off disables',
    parse: (raw: string) => (raw.trim() === 'off' ? undefined : parseRelativeKey(raw)),
  },
  notFoundDocument: {
    mode: 'prefix',
    name: 'NOT_FOUND_DOCUMENT',
    description: 'the key (relative to the prefix) whose bytes answer unknown paths, with status 404',
    parse: parseRelativeKey,
  },
  fallbackDocument: {
    mode: 'prefix',
    name: 'FALLBACK_DOCUMENT',
    description: 'the key (relative to the prefix) that answers, with 200, a navigation to a path with no object and no folder index (single-page apps)',
    parse: parseRelativeKey,
  },
  snapshotMarker: {
    mode: 'prefix',
    name: 'SNAPSHOT_MARKER',
    description: 'the key (relative to the prefix) a deployer writes last; a refresh lists the prefix only once it changed',
    parse: parseRelativeKey,
  },
  maxObjects: {
    mode: 'prefix',
    name: 'MAX_OBJECTS',
    defaultValue: '10000',
    description: 'most objects in a snapshot; more fail the refresh',
    parse: within(parsePositiveInteger, 1, 1_000_000, 'use an integer from 1 to 1000000'),
  },
  maxTotalBytes: {
    mode: 'prefix',
    name: 'MAX_TOTAL_BYTES',
    defaultValue: '512MiB',
    description: 'most bytes (bodies as stored) in a snapshot; more fail the refresh',
    parse: within(parseSize, 1, 1024 ** 4, 'use a size up to 1TiB, such as 512MiB'),
  },
  fetchConcurrency: {
    mode: 'prefix',
    name: 'FETCH_CONCURRENCY',
    defaultValue: '16',
    description: 'GETs in flight at once while a snapshot is fetched',
    parse: within(parsePositiveInteger, 1, 256, 'use an integer from 1 to 256'),
  },
  endpoint: {
    name: 'S3_ENDPOINT',
    description: 'S3-compatible endpoint URL (unset: AWS); also read from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL',
    parse: parseHttpUrl,
    fallbacks: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
  },
  forcePathStyle: {
    name: 'S3_FORCE_PATH_STYLE',
    description: 'path-style addressing (default: true when an endpoint is set)',
    parse: parseBoolean,
  },
  caBundle: {
    name: 'AWS_CA_BUNDLE',
    description: "a PEM file of certificate authorities the store's certificate may be signed by, besides the public ones",
    parse: parsePemFile,
  },
  region: {
    name: 'AWS_REGION',
    description: "region to sign for (default: us-east-1 when an endpoint is set, else the SDK's chain)",
    parse: parseNonEmpty,
  },
  refreshIntervalMs: {
    name: 'REFRESH_INTERVAL',
    defaultValue: '60s',
    description: 'time between refreshes, fixed rate',
    parse: within(parseDuration, 100, 24 * hour, 'use a duration from 100ms to 24h, such as 60s'),
  },
  fetchTimeoutMs: {
    name: 'FETCH_TIMEOUT',
    defaultValue: '5s',
    description: 'bound on each request to the store (headers, then each idle gap in the body)',
    parse: within(parseDuration, 100, hour, 'use a duration from 100ms to 1h, such as 5s'),
  },
  shutdownTimeoutMs: {
    name: 'SHUTDOWN_TIMEOUT',
    defaultValue: '4s',
    description: 'hard deadline for a graceful stop; must be below 5s',
    parse: within(parseDuration, 1, 4_999, 'use a duration above 0 and below 5s, such as 4s'),
  },
  drainDelayMs: {
    name: 'DRAIN_DELAY',
    defaultValue: '0s',
    description: 'after a stop signal, keep serving this long with readiness 503 (load balancer drain)',
    parse: within(parseDuration, 0, 4_998, 'use a duration below SHUTDOWN_TIMEOUT, such as 1s'),
  },
  maxObjectBytes: {
    name: 'MAX_OBJECT_BYTES',
    defaultValue: '128MiB',
    description: 'largest object accepted',
    parse: within(parseSize, 0, bufferConstants.MAX_LENGTH, 'use a size up to the largest Buffer, such as 64MiB'),
  },
  keepAliveTimeoutMs: {
    name: 'KEEPALIVE_TIMEOUT',
    defaultValue: '65s',
    description: "idle keep-alive connections are closed after this; keep it above the load balancer's",
    parse: within(parseDuration, 1, hour, 'use a duration up to 1h, such as 65s (ALB 60s, NLB 350s, GCLB 600s)'),
  },
  headersTimeoutMs: {
    name: 'HEADERS_TIMEOUT',
    defaultValue: '10s',
    description: 'a client must send its request headers within this (slowloris bound)',
    parse: within(parseDuration, 100, 5 * 60_000, 'use a duration from 100ms to 5m, such as 10s'),
  },
  maxConnections: {
    name: 'MAX_CONNECTIONS',
    description: `connections served at once; more are closed at once (default: open-file limit - ${reservedFileDescriptors})`,
    parse: within(parsePositiveInteger, 1, 1_000_000, 'use an integer from 1 to 1000000'),
  },
  compression: {
    name: 'COMPRESSION',
    defaultValue: 'br,gzip',
    description: 'encodings prepared once per refresh for compressible types, preferred first; off disables',
    parse: parseEncodings,
  },
  compressionMaxBytes: {
    name: 'COMPRESSION_MAX_BYTES',
    defaultValue: '16MiB',
    description: 'objects larger than this are not compressed',
    parse: within(parseSize, 1024, 1024 ** 3, 'use a size from 1KiB to 1GiB, such as 16MiB'),
  },
  integrityCheck: {
    name: 'INTEGRITY_CHECK',
    defaultValue: 'on',
    description: "verify each body against the store's checksum or MD5 ETag before serving it",
    parse: parseBoolean,
  },
  staleIfErrorMs: {
    name: 'STALE_IF_ERROR',
    defaultValue: '0s',
    description: 'keep serving the last good object this long after the last successful fetch while the store fails (0s: exit 1 at the first failure)',
    parse: within(parseDuration, 0, 7 * 24 * hour, 'use a duration up to 7 days, such as 10m, or 0s for off'),
  },
  cacheFile: {
    name: 'CACHE_FILE',
    description: 'keep the last good object in this file; with STALE_IF_ERROR, serve it at start-up while the store is down',
    parse: parseNonEmpty,
  },
  refreshToken: {
    name: 'REFRESH_TOKEN',
    description: 'enables POST <OPS_PREFIX>/refresh for callers with this bearer token (16+ characters)',
    parse: parseToken,
    secret: true,
  },
  skewProtectionMs: {
    name: 'SKEW_PROTECTION',
    defaultValue: 'off',
    description: "keep serving a browser's assets from the snapshot its page came from, this long (e.g. 1h); off: 0",
    parse: (raw: string) => (['off', '0'].includes(raw.trim()) ? 0 : within(parseDuration, 1_000, 30 * 24 * hour, 'use off, or a duration from 1s to 30 days, such as 1h')(raw)),
  },
  retainedSnapshots: {
    name: 'RETAINED_SNAPSHOTS',
    defaultValue: '5',
    description: 'SKEW_PROTECTION: most snapshots held at once, the current one included',
    parse: within(parsePositiveInteger, 2, 100, 'use an integer from 2 to 100'),
  },
  peers: {
    name: 'PEERS',
    description: "the replicas a push is passed on to: HOST:PORT (a DNS name whose addresses are the replicas, such as a headless Service), or base URLs separated by commas",
    parse: parsePeers,
  },
  readAuthFile: {
    name: 'READ_AUTH_FILE',
    description: 'only clients with credentials from this file may read: htpasswd -B lines (Basic) and bearer tokens; reloaded on SIGHUP and when it changes',
    parse: parseReadAuthFile,
  },
  readAuthRealm: {
    name: 'READ_AUTH_REALM',
    defaultValue: 's3-object-cache',
    description: "the realm a browser's Basic prompt names",
    parse: parseRealm,
  },
  httpThreads: {
    name: 'HTTP_THREADS',
    defaultValue: '1',
    description: 'threads serving HTTP on PORT (SO_REUSEPORT, Linux); auto: the CPUs this process may use (affinity mask and cgroup CPU quota)',
    parse: parseThreads,
  },
  logLevel: { name: 'LOG_LEVEL', defaultValue: 'info', description: logLevels.join(', '), parse: oneOf(logLevels) },
  logFormat: {
    name: 'LOG_FORMAT',
    defaultValue: 'json',
    description: 'json: one JSON object a line, for collectors; pretty: one readable line an event, for people',
    parse: oneOf(logFormats),
  },
  opsEndpoints: {
    name: 'OPS_ENDPOINTS',
    defaultValue: 'true',
    description: 'serve health, readiness and metrics under OPS_PREFIX',
    parse: parseBoolean,
  },
  opsPrefix: {
    name: 'OPS_PREFIX',
    defaultValue: '/-',
    description: 'path prefix of the operations endpoints',
    parse: parseOpsPrefix,
  },
  opsPort: {
    name: 'OPS_PORT',
    description: 'serve the operations endpoints on this port only (unset: on PORT)',
    parse: parsePort,
  },
  opsHost: {
    name: 'OPS_HOST',
    description: 'address of the OPS_PORT listener (default: HOST)',
    parse: parseNonEmpty,
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
type ValueOf<K extends keyof Settings> = ReturnType<Settings[K]['parse']>;
type Parsed = { [K in keyof Settings]: Settings[K] extends { defaultValue: string } ? ValueOf<K> : ValueOf<K> | undefined };

export type Config = Omit<Parsed, keyof ReturnType<typeof derivedDefaults>> & ReturnType<typeof derivedDefaults>;

export type Command = { command: 'help' } | { command: 'serve' | 'healthcheck'; config: Config };

function parseEncodings(raw: string): Encoding[] {
  if (raw.trim() === 'off') return [];
  const accepted = 'use off, or a list of br and gzip such as br,gzip';
  const chosen = raw.split(',').map((item) => {
    const encoding = encodings.find((candidate) => candidate === item.trim());
    if (encoding === undefined) throw new ValueError(accepted);
    return encoding;
  });
  if (new Set(chosen).size !== chosen.length) throw new ValueError(accepted);
  return chosen;
}

/** Most serving threads, a guard against a typo (HTTP_THREADS=1000). */
const maxThreads = 64;

function parseThreads(raw: string): number | 'auto' {
  if (raw.trim() === 'auto') return 'auto';
  const threads = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(threads >= 1 && threads <= maxThreads)) throw new ValueError(`use auto or an integer from 1 to ${maxThreads}`);
  return threads;
}

/** HTTP_THREADS as a count, and why where `auto` chose it. */
function threadCount(setting: number | 'auto'): { threads: number; reason: string | undefined } {
  if (setting !== 'auto') return { threads: setting, reason: undefined };
  const budget = cpuBudget();
  const capped = budget.cpus > maxThreads ? `; at most ${maxThreads}` : '';
  return { threads: Math.min(budget.cpus, maxThreads), reason: `auto: ${budget.reason}${capped}` };
}

/** `site/` as is; `/` alone is the whole bucket, the empty prefix. */
function parsePrefix(raw: string): string {
  if (raw === '/') return '';
  if (!raw.endsWith('/') || raw.startsWith('/')) {
    throw new ValueError('use a prefix that ends with / and does not start with it, such as site/, or / for the whole bucket');
  }
  return raw;
}

/** A key below S3_PREFIX: `404.html`, `errors/404.html`. */
function parseRelativeKey(raw: string): string {
  if (raw.trim() === '' || raw.startsWith('/') || raw.endsWith('/')) {
    throw new ValueError('use a key relative to S3_PREFIX, such as 404.html (no leading or trailing /)');
  }
  return raw;
}

function parseToken(raw: string): string {
  if (raw.length < 16 || /\s/.test(raw)) throw new ValueError('use at least 16 characters without spaces (e.g. openssl rand -hex 16)');
  return raw;
}

function parsePositiveInteger(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new ValueError('use a whole number');
  return Number(raw);
}

function parseOpsPrefix(raw: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) {
    throw new ValueError('use a path such as /- or /_ops (starts with /, no trailing /, not / itself)');
  }
  return raw;
}

function flagOf(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

const invalid = (message: string) => new ConfigError(`invalid configuration: ${message}`);

/** Every setting from its flag, else its variable, else its fallbacks, else its default; parsed. */
function parseSettings(flags: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv): { parsed: Parsed; given: Set<string> } {
  const given = new Set<string>();
  const parsed = Object.fromEntries(
    Object.entries(settings).map(([field, setting]: [string, Setting<unknown>]) => {
      const flag = flagOf(setting.name);
      const fromFlag = flags[flag];
      const sources: Array<[string | undefined, string]> = [
        [typeof fromFlag === 'string' ? fromFlag : undefined, `--${flag}`],
        [env[setting.name], setting.name],
        ...(setting.fallbacks ?? []).map((fallback): [string | undefined, string] => [env[fallback], fallback]),
      ];
      if (sources[0]![0] !== undefined || sources[1]![0] !== undefined) given.add(setting.name);
      // An empty value is a value (and an error), not a way to unset: a blank line in an env file
      // must not silently fall back to the default bucket.
      const [raw, source] = sources.find(([value]) => value !== undefined) ?? [setting.defaultValue, 'default'];
      if (raw === undefined) return [field, undefined];
      try {
        return [field, setting.parse(raw)];
      } catch (error) {
        if (!(error instanceof ValueError)) throw error;
        const shown = setting.secret ? '(secret, not shown)' : JSON.stringify(raw);
        throw invalid(`${source}=${shown} is not accepted; ${error.message}`);
      }
    }),
  ) as Parsed;
  return { parsed, given };
}

/** READ_AUTH_FILE: its path, and the credentials it holds now (reloads read the path again). */
function parseReadAuthFile(raw: string): { path: string; credentials: ReadCredentials } {
  try {
    return { path: raw, credentials: readAccessFile(raw) };
  } catch (error) {
    if (error instanceof ReadAccessFileError) throw new ValueError(`${error.message}; see README, "Read access"`);
    throw error;
  }
}

/** PEERS: `{ dns: HOST, port }` resolved at each fan-out, or the base URLs as given. */
function parsePeers(raw: string): Peers {
  const accepted = 'use HOST:PORT (a name whose addresses are the replicas) or http(s):// base URLs separated by commas';
  const dns = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw.trim());
  if (dns !== null) return { dns: dns[1]!, port: parsePort(dns[2]!) };
  const urls = raw.split(',').map((item) => item.trim()).filter(Boolean);
  if (urls.length === 0) throw new ValueError(accepted);
  return {
    urls: urls.map((url) => {
      try {
        return parseHttpUrl(url).replace(/\/+$/, '');
      } catch {
        throw new ValueError(accepted);
      }
    }),
  };
}

function parseRealm(raw: string): string {
  const control = [...raw].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);
  if (raw.trim() === '' || /["\\]/.test(raw) || control) throw new ValueError('use a name without quotes, backslashes or control characters');
  return raw;
}

/** A PEM file of CA certificates: readable, and holding at least one. */
function parsePemFile(raw: string): string {
  let text: string;
  try {
    text = readFileSync(raw, 'utf8');
  } catch (error) {
    throw new ValueError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a PEM file of CA certificates`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ValueError('it holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file of CA certificates');
  return raw;
}

/**
 * Defaults that depend on other settings, the environment or the machine (their help lines say so),
 * and how the store is reached (src/main/store-route.ts).
 */
function derivedDefaults(parsed: Parsed, env: NodeJS.ProcessEnv) {
  const { threads: httpThreads, reason: httpThreadsReason } = threadCount(parsed.httpThreads);
  const forcePathStyle = parsed.forcePathStyle ?? parsed.endpoint !== undefined;
  const region = parsed.region ?? (parsed.endpoint === undefined ? undefined : 'us-east-1');
  let storeProxy: ProxyChoice;
  try {
    storeProxy = proxyFor(storeUrl({ ...parsed, forcePathStyle, region }), env);
  } catch (error) {
    if (error instanceof ProxySettingError) throw invalid(error.message);
    throw error;
  }
  // Node reads it itself at start, in every thread; a file it cannot use it only warns about.
  const nodeExtraCaCerts = env.NODE_EXTRA_CA_CERTS;
  if (nodeExtraCaCerts !== undefined) {
    try {
      parsePemFile(nodeExtraCaCerts);
    } catch (error) {
      throw invalid(`NODE_EXTRA_CA_CERTS=${JSON.stringify(nodeExtraCaCerts)} is not accepted; ${(error as Error).message}`);
    }
  }
  return {
    forcePathStyle,
    region,
    storeProxy,
    nodeExtraCaCerts,
    /** HTTP_THREADS=auto resolved to a count; `httpThreadsReason` says how. */
    httpThreads,
    httpThreadsReason,
    opsHost: parsed.opsHost ?? parsed.host,
    maxConnections: parsed.maxConnections ?? Math.max(1, (softOpenFileLimit() ?? 1024) - reservedFileDescriptors),
  };
}

/** The checks that involve more than one setting: each names both and the fix. */
function checkCombinations(config: Config, given: ReadonlySet<string>): void {
  const { drainDelayMs, shutdownTimeoutMs, opsPort, opsEndpoints, port, httpThreads } = config;
  if (drainDelayMs >= shutdownTimeoutMs) {
    throw invalid(`DRAIN_DELAY (${drainDelayMs} ms) must be shorter than SHUTDOWN_TIMEOUT (${shutdownTimeoutMs} ms); lower DRAIN_DELAY`);
  }
  if (opsPort !== undefined && !opsEndpoints) {
    throw invalid('OPS_PORT is set but OPS_ENDPOINTS is false; unset OPS_PORT or set OPS_ENDPOINTS=true');
  }
  if (config.peers !== undefined && config.refreshToken === undefined) {
    throw invalid('PEERS is set but REFRESH_TOKEN is not; a push is passed on with that token: set REFRESH_TOKEN on every replica');
  }
  if (config.refreshToken !== undefined && !opsEndpoints) {
    throw invalid('REFRESH_TOKEN is set but OPS_ENDPOINTS is false; the refresh endpoint is one of them');
  }
  if (httpThreads > 1 && process.platform !== 'linux') {
    throw invalid(`HTTP_THREADS=${httpThreads} needs SO_REUSEPORT as Linux has it; this is ${process.platform}: set HTTP_THREADS=1`);
  }
  if (opsPort === port) throw invalid(`OPS_PORT must differ from PORT (both ${port}); pick another OPS_PORT`);
  if (config.prefix !== undefined && given.has(settings.key.name)) {
    throw invalid('S3_PREFIX and S3_KEY are both set; serve one object (S3_KEY) or every object under a prefix (S3_PREFIX), not both');
  }
  const strayPrefixSetting = Object.values(settings).find((setting: Setting<unknown>) => setting.mode === 'prefix' && given.has(setting.name));
  if (config.prefix === undefined && strayPrefixSetting !== undefined) {
    const { name } = strayPrefixSetting;
    throw invalid(`${name} applies to S3_PREFIX only, which is not set; set S3_PREFIX or unset ${name}`);
  }
}

/** What the command line asks for, with the configuration it runs under. */
export function loadCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = parseFlags(argv);
  if (flags.help === true) return { command: 'help' };
  const { parsed, given } = parseSettings(flags, env);
  const config: Config = { ...parsed, ...derivedDefaults(parsed, env) };
  checkCombinations(config, given);
  return { command: flags.healthcheck === true ? 'healthcheck' : 'serve', config };
}

function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.values(settings).map(({ name }) => [flagOf(name), { type: 'string' as const }]));
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' }, healthcheck: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[^']*)'/.exec(message)?.[1];
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      throw invalid(`option ${option.split(' ')[0]} needs a value, as in --port=8000`);
    }
    const what = code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'unexpected argument' : 'unknown option';
    throw invalid(`${what} ${option ?? ''}; run with --help to list the options`);
  }
}

export function helpText(): string {
  const rows = Object.values(settings).map((setting: Setting<unknown>) => {
    const left = `  --${flagOf(setting.name)}, ${setting.name}`;
    const shownDefault = setting.defaultValue === undefined ? '' : ` [default: ${setting.defaultValue}]`;
    const mode = setting.mode === 'prefix' ? 'S3_PREFIX: ' : '';
    return `${left.padEnd(44)} ${mode}${setting.description}${shownDefault}`;
  });
  const exitCodes = Object.values(ExitCode).map((code) => `  ${String(code).padEnd(4)} ${exitCodeMeanings[code]}`);
  return [
    'Usage: s3-object-cache [options]',
    '       s3-object-cache --healthcheck [options]   probe the running service; exit 0 healthy, 1 not',
    '',
    'Serves one S3 object over HTTP from an in-memory cache refreshed in the background.',
    'Each option is also read from the environment variable shown; an option wins.',
    'Credentials come from the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...).',
    'The store is reached through HTTPS_PROXY or HTTP_PROXY unless NO_PROXY lists it (lower case first, as curl);',
    "its certificate may be signed by a CA in AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS besides the public ones.",
    '',
    ...rows,
    '  --help, -h',
    '',
    'Exit codes:',
    ...exitCodes,
    '',
  ].join('\n');
}
