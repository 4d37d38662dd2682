// Main thread. Parsers for the value formats that settings accept. Each returns the parsed value or throws a
// ValueError whose message says what is accepted; config.ts adds which setting was wrong.

export class ValueError extends Error {}

const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const millisecondsPerUnit: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `10s`, `1m`, `1h`; a bare number means seconds. Returns milliseconds. */
export function parseDuration(raw: string): number {
  const match = durationPattern.exec(raw.trim());
  if (!match) throw new ValueError('use a duration such as 500ms, 10s or 1m (a bare number means seconds)');
  const [, amount, unit = 's'] = match;
  return Math.round(Number(amount) * millisecondsPerUnit[unit]!);
}

const sizePattern = /^(\d+)\s*(B|KiB|MiB|GiB)?$/;
const bytesPerUnit: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** `1048576`, `512KiB`, `64MiB`, `1GiB`. Returns bytes. */
export function parseSize(raw: string): number {
  const match = sizePattern.exec(raw.trim());
  if (!match) throw new ValueError('use a size in bytes, or with a unit: 512KiB, 64MiB, 1GiB');
  const [, amount, unit = 'B'] = match;
  return Number(amount) * bytesPerUnit[unit]!;
}

export function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new ValueError('use an integer from 1 to 65535');
  return port;
}

export function parseBoolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ValueError('use true or false');
}

export function parseHttpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValueError('use an http:// or https:// URL such as http://127.0.0.1:9000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValueError('use an http:// or https:// URL such as http://127.0.0.1:9000');
  }
  return raw.trim();
}

export function parseNonEmpty(raw: string): string {
  if (raw.trim() === '') throw new ValueError('use a non-empty value');
  return raw;
}

export function oneOf<T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    const value = choices.find((choice) => choice === raw.trim());
    if (value === undefined) throw new ValueError(`use one of ${choices.join(', ')}`);
    return value;
  };
}

/** Wraps a parser with a numeric range check (e.g. a duration between two bounds). */
export function within(
  parse: (raw: string) => number,
  min: number,
  max: number,
  accepted: string,
): (raw: string) => number {
  return (raw) => {
    const value = parse(raw);
    if (value < min || value > max) throw new ValueError(accepted);
    return value;
  };
}
