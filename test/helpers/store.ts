// The S3-compatible store the tests run against, chosen by TEST_STORE (s3rver, the default, or
// ceph). Both run as real processes over TCP and offer the same operations, including outages.
import type { Client } from 'minio';
import { cephStore } from './ceph-store.ts';
import { startS3rverStore } from './s3rver-store.ts';

export interface TestStore {
  readonly kind: 's3rver' | 'ceph';
  /** The service's environment: S3_ENDPOINT, credentials, region. */
  readonly serviceEnv: Record<string, string>;
  readonly fixtures: Client;
  /** s3rver accepts any signature; only a real store can show authentication failures. */
  readonly checksSignatures: boolean;
  /** s3rver overwrites in place: a GET overlapping a PUT can see a torn object. */
  readonly replacesAtomically: boolean;
  /** A real store's user credentials, and a second user with no rights on the test buckets. */
  readonly outsider: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Outage: the store's process (the gateway, for Ceph) stops; clients get ECONNREFUSED. */
  stop(): Promise<void>;
  /** Back from an outage, same endpoint, data intact. */
  start(): Promise<void>;
  /** SIGSTOP: connections are accepted and never answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Gets (GETs with a body, 304s) the store served for `key` since it started, where it can tell. */
  getCounts?(key: string): Promise<{ withBody: number; notModified: number }>;
}

let shared: Promise<TestStore> | undefined;

/** The file's store, started on first use (s3rver: one per file; Ceph: the run's, booted by the runner). */
export function testStore(): Promise<TestStore> {
  shared ??= (process.env.TEST_STORE ?? 's3rver') === 'ceph' ? cephStore() : startS3rverStore();
  return shared;
}

let counter = 0;
/** A bucket of its own for one test: nothing another test does can disturb it. */
export async function freshBucket(store: TestStore): Promise<string> {
  const bucket = `test-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  await store.fixtures.makeBucket(bucket, 'us-east-1');
  return bucket;
}

export async function putObject(
  store: TestStore,
  bucket: string,
  key: string,
  body: Buffer | string,
  contentType = 'application/octet-stream',
): Promise<string> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const { etag } = await store.fixtures.putObject(bucket, key, bytes, bytes.byteLength, { 'Content-Type': contentType });
  return `"${etag}"`;
}
