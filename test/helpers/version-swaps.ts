// The torn-read tests' two sides: a writer that puts version after version of object.txt (every
// byte of version n is n % 256) while the service refreshes, and readers that check each body is
// one whole version.
import * as assert from 'uvu/assert';
import type { Client } from 'minio';
import { request, type Dispatcher } from 'undici';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import type { TestStore } from './store.ts';
import { startStoreProxy } from './store-proxy.ts';

export interface VersionWriter {
  /** Where the service reads from: the store, or the proxy in front of it. */
  endpoint: string;
  /** Starts writing versions 1, 2, ... back to back. */
  start(): void;
  /** Stops after the write in flight; also after a failed assertion, so no write runs into later tests. */
  stop(): Promise<void>;
}

export const versionOf = (version: number, size: number) => Buffer.alloc(size, version % 256);

/**
 * Where the service reads and a test writes so that no read sees half a write: s3rver overwrites in
 * place, so there every request goes through a proxy one at a time; a real store replaces objects
 * atomically and is used as it is.
 */
export async function untornStore(store: TestStore, storeEndpoint: string): Promise<{ endpoint: string; writer: Client }> {
  const proxy = store.replacesAtomically ? undefined : await startStoreProxy(storeEndpoint);
  if (proxy) proxy.mode = 'serialise';
  const endpoint = proxy?.endpoint ?? storeEndpoint;
  return { endpoint, writer: fixturesClient(endpoint, store.serviceEnv.AWS_ACCESS_KEY_ID!, store.serviceEnv.AWS_SECRET_ACCESS_KEY!) };
}

/** A writer of `bucket`/object.txt, through `untornStore`. */
export async function versionWriter(store: TestStore, storeEndpoint: string, bucket: string, size: number): Promise<VersionWriter> {
  const { endpoint, writer } = await untornStore(store, storeEndpoint);
  let writing = false;
  let writes: Promise<void> | undefined;
  return {
    endpoint,
    start() {
      writing = true;
      writes = (async () => {
        for (let version = 1; writing; version++) await writer.putObject(bucket, 'object.txt', versionOf(version, size), size);
      })();
    },
    async stop() {
      writing = false;
      await writes?.catch(() => undefined);
    },
  };
}

/**
 * GETs `url` from 16 clients at once for 3 s, asserting that each body is `size` bytes of one
 * version, and `check` on each response. Resolves with the versions seen and the responses checked.
 */
export async function readWhileSwapping(
  url: string,
  size: number,
  options: { dispatcher?: Dispatcher; reset?: boolean },
  check: (body: Buffer, headers: Record<string, string | string[] | undefined>) => void = () => undefined,
): Promise<{ versions: Set<number>; checked: number }> {
  const versions = new Set<number>();
  let checked = 0;
  const until = performance.now() + 3_000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        const response = await request(url, options);
        const body = Buffer.from(await response.body.arrayBuffer());
        assert.is(body.byteLength, size);
        assert.ok(body.every((byte) => byte === body[0]), 'a body mixes two versions');
        check(body, response.headers);
        versions.add(body[0]!);
        checked++;
      }
    }),
  );
  return { versions, checked };
}

/** One answer of a reader: when its request started and ended, and which version it carried. */
export interface TimedAnswer {
  startedAt: number;
  endedAt: number;
  version: number;
}

/**
 * `count` readers, each calling `read` (which resolves with the version its answer carried) until
 * stopped; `stop` resolves with every answer, timed. A failed assertion inside `read` rejects `stop`.
 */
export function readContinuously(count: number, read: () => Promise<number>): { answers: TimedAnswer[]; stop(): Promise<TimedAnswer[]> } {
  const answers: TimedAnswer[] = [];
  let reading = true;
  const readers = Array.from({ length: count }, async () => {
    while (reading) {
      const startedAt = performance.now();
      const version = await read();
      answers.push({ startedAt, endedAt: performance.now(), version });
    }
  });
  return {
    answers,
    async stop() {
      reading = false;
      await Promise.all(readers);
      return answers;
    },
  };
}

/** Once any answer came from version N, no request that started later may get an older one. */
export function assertNeverOlderAfterNewer(answers: readonly TimedAnswer[]): void {
  const byEnd = [...answers].sort((a, b) => a.endedAt - b.endedAt);
  let shown = 0;
  let next = 0;
  for (const answer of [...answers].sort((a, b) => a.startedAt - b.startedAt)) {
    while (next < byEnd.length && byEnd[next]!.endedAt < answer.startedAt) shown = Math.max(shown, byEnd[next++]!.version);
    assert.ok(answer.version >= shown, `a request started after version ${shown} was served got version ${answer.version}`);
  }
}
