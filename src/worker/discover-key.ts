// Fetch worker. One-object mode's discovery: a GET of S3_KEY with If-None-Match set to the ETag
// held, which the store answers 304 with no body while the object is current.
import type { S3Client } from '@aws-sdk/client-s3';
import { objectPath, type FetchJob } from '../protocol.ts';
import { StoreRequestFailed, type ChangeDiscovery } from './change-discovery.ts';
import { fetchObject } from './s3-object-source.ts';

export function keyDiscovery(client: S3Client, job: FetchJob): ChangeDiscovery {
  const asked = { kind: 'fetch', key: job.key } as const;
  return {
    asked,
    async discover(held, prepare, signal) {
      let result;
      try {
        result = await fetchObject(client, job, { key: job.key, ifNoneMatch: held.get(objectPath)?.etag }, signal);
      } catch (error) {
        throw new StoreRequestFailed(asked, error);
      }
      if (result.kind === 'unchanged') return { kind: 'unchanged', listPages: 0 };
      // One object is served with the refresh interval's Cache-Control, whatever its metadata says.
      const object = await prepare(objectPath, { ...result.object, cacheControl: undefined });
      return { kind: 'changed', changes: [{ path: objectPath, object }], removed: [], listPages: 0 };
    },
  };
}
