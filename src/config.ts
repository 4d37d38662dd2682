// The configuration contract: every setting is an environment variable and the matching
// command-line flag (PORT <-> --port); a flag wins over the environment.
import { constants as bufferConstants } from 'node:buffer';
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

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Config {
  port: number;
  host: string;
  bucket: string;
  key: string;
  /** Unset means AWS itself, with the endpoint the SDK derives from the region. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** Unset means the SDK's own chain (AWS_REGION, profile) decides. */
  region: string | undefined;
  refreshIntervalMs: number;
  fetchTimeoutMs: number;
  shutdownTimeoutMs: number;
  drainDelayMs: number;
  maxObjectBytes: number;
  logLevel: LogLevel;
  opsEndpoints: boolean;
  opsPrefix: string;
}

export class ConfigError extends Error {}

interface Setting {
  name: string;
  /** Shown by --help; undefined means unset unless derived from other settings. */
  defaultValue: string | undefined;
  description: string;
  parse: (raw: string) => unknown;
  /** Standard variables read when this one is unset, in order. */
  fallbacks?: string[];
}

const hour = 3_600_000;

const settings = [
  { name: 'PORT', defaultValue: '8000', description: 'TCP port to listen on', parse: parsePort },
  { name: 'HOST', defaultValue: '0.0.0.0', description: 'address to listen on', parse: parseNonEmpty },
  { name: 'S3_BUCKET', defaultValue: 'example', description: 'bucket holding the object', parse: parseNonEmpty },
  { name: 'S3_KEY', defaultValue: 'object.txt', description: 'key of the object to serve', parse: parseNonEmpty },
  {
    name: 'S3_ENDPOINT',
    defaultValue: undefined,
    description: 'S3-compatible endpoint URL (unset: AWS); also read from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL',
    parse: parseHttpUrl,
    fallbacks: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
  },
  {
    name: 'S3_FORCE_PATH_STYLE',
    defaultValue: undefined,
    description: 'path-style addressing (default: true when an endpoint is set)',
    parse: parseBoolean,
  },
  {
    name: 'AWS_REGION',
    defaultValue: undefined,
    description: "region to sign for (default: us-east-1 when an endpoint is set, else the SDK's chain)",
    parse: parseNonEmpty,
  },
  {
    name: 'REFRESH_INTERVAL',
    defaultValue: '60s',
    description: 'time between refreshes, fixed rate',
    parse: within(parseDuration, 100, 24 * hour, 'use a duration from 100ms to 24h, such as 60s'),
  },
  {
    name: 'FETCH_TIMEOUT',
    defaultValue: '5s',
    description: 'bound on each request to the store (headers, then each idle gap in the body)',
    parse: within(parseDuration, 100, hour, 'use a duration from 100ms to 1h, such as 5s'),
  },
  {
    name: 'SHUTDOWN_TIMEOUT',
    defaultValue: '4s',
    description: 'hard deadline for a graceful stop; must be below 5s',
    parse: within(parseDuration, 1, 4_999, 'use a duration above 0 and below 5s, such as 4s'),
  },
  {
    name: 'DRAIN_DELAY',
    defaultValue: '0s',
    description: 'after a stop signal, keep serving this long with readiness 503 (load balancer drain)',
    parse: within(parseDuration, 0, 4_998, 'use a duration below SHUTDOWN_TIMEOUT, such as 1s'),
  },
  {
    name: 'MAX_OBJECT_BYTES',
    defaultValue: '128MiB',
    description: 'largest object accepted',
    parse: within(parseSize, 0, bufferConstants.MAX_LENGTH, 'use a size up to the largest Buffer, such as 64MiB'),
  },
  { name: 'LOG_LEVEL', defaultValue: 'info', description: logLevels.join(', '), parse: oneOf(logLevels) },
  {
    name: 'OPS_ENDPOINTS',
    defaultValue: 'true',
    description: 'serve health, readiness and metrics under OPS_PREFIX',
    parse: parseBoolean,
  },
  {
    name: 'OPS_PREFIX',
    defaultValue: '/-',
    description: 'path prefix of the operations endpoints',
    parse: parseOpsPrefix,
  },
] as const satisfies readonly Setting[];

type SettingName = (typeof settings)[number]['name'];

function parseOpsPrefix(raw: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(raw)) {
    throw new ValueError('use a path such as /- or /_ops (starts with /, no trailing /, not / itself)');
  }
  return raw;
}

function flagOf(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** Returns the configuration, or `undefined` when --help was asked for (the help is printed). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config | undefined {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(helpText());
    return undefined;
  }

  const read = (name: SettingName): unknown => {
    const setting: Setting = settings.find((candidate) => candidate.name === name)!;
    const flag = flagOf(name);
    const sources: Array<[string | undefined, string]> = [
      [flags[flag] as string | undefined, `--${flag}`],
      [env[name], name],
      ...(setting.fallbacks ?? []).map((fallback): [string | undefined, string] => [env[fallback], fallback]),
    ];
    // An empty value is a value (and an error), not a way to unset: a blank line in an env file
    // must not silently fall back to the default bucket.
    const [raw, source] = sources.find(([value]) => value !== undefined) ?? [
      setting.defaultValue,
      'default',
    ];
    if (raw === undefined) return undefined;
    try {
      return setting.parse(raw);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      throw new ConfigError(`invalid configuration: ${source}=${JSON.stringify(raw)} is not accepted; ${error.message}`);
    }
  };

  const endpoint = read('S3_ENDPOINT') as string | undefined;
  const shutdownTimeoutMs = read('SHUTDOWN_TIMEOUT') as number;
  const drainDelayMs = read('DRAIN_DELAY') as number;
  if (drainDelayMs >= shutdownTimeoutMs) {
    throw new ConfigError(
      `invalid configuration: DRAIN_DELAY (${drainDelayMs} ms) must be shorter than SHUTDOWN_TIMEOUT (${shutdownTimeoutMs} ms); lower DRAIN_DELAY`,
    );
  }
  return {
    port: read('PORT') as number,
    host: read('HOST') as string,
    bucket: read('S3_BUCKET') as string,
    key: read('S3_KEY') as string,
    endpoint,
    forcePathStyle: (read('S3_FORCE_PATH_STYLE') as boolean | undefined) ?? endpoint !== undefined,
    region: (read('AWS_REGION') as string | undefined) ?? (endpoint === undefined ? undefined : 'us-east-1'),
    refreshIntervalMs: read('REFRESH_INTERVAL') as number,
    fetchTimeoutMs: read('FETCH_TIMEOUT') as number,
    shutdownTimeoutMs,
    drainDelayMs,
    maxObjectBytes: read('MAX_OBJECT_BYTES') as number,
    logLevel: read('LOG_LEVEL') as LogLevel,
    opsEndpoints: read('OPS_ENDPOINTS') as boolean,
    opsPrefix: read('OPS_PREFIX') as string,
  };
}

function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(settings.map(({ name }) => [flagOf(name), { type: 'string' as const }]));
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[^']*)'/.exec(message)?.[1];
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
      throw new ConfigError(`invalid configuration: option ${option.split(' ')[0]} needs a value, as in --port=8000`);
    }
    const what = code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' ? 'unexpected argument' : 'unknown option';
    throw new ConfigError(`invalid configuration: ${what} ${option ?? ''}; run with --help to list the options`);
  }
}

export function helpText(): string {
  const rows = settings.map((setting: Setting) => {
    const left = `  --${flagOf(setting.name)}, ${setting.name}`;
    const shownDefault = setting.defaultValue === undefined ? '' : ` [default: ${setting.defaultValue}]`;
    return `${left.padEnd(44)} ${setting.description}${shownDefault}`;
  });
  return [
    'Usage: s3-object-cache [options]',
    '',
    'Serves one S3 object over HTTP from an in-memory cache refreshed in the background.',
    'Each option is also read from the environment variable shown; an option wins.',
    'Credentials come from the AWS SDK chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...).',
    '',
    ...rows,
    '  --help, -h',
    '',
    'Exit codes: 0 stopped by a signal, 1 object not fetched or refreshed, 2 invalid configuration,',
    '3 cannot listen on the port, 70 internal fault.',
    '',
  ].join('\n');
}
