// A prefix of objects in a fresh bucket (prefix mode's test set-up): each with its body and, where
// given, its Content-Type and Cache-Control metadata, and the service's environment for it.
import { freshBucket, testStore, type TestStore } from './store.ts';

export interface SiteFile {
  body: Buffer | string;
  contentType?: string;
  cacheControl?: string;
}

export interface SiteInStore {
  store: TestStore;
  bucket: string;
  prefix: string;
  /** The service's environment: the store's, the bucket and S3_PREFIX. */
  env: Record<string, string>;
  /** Puts (or overwrites) the object at `path` under the prefix; resolves with its ETag, quoted. */
  put(path: string, file: SiteFile | Buffer | string): Promise<string>;
  remove(path: string): Promise<void>;
}

/** Puts every file, `concurrency` at a time, under `prefix` in a bucket of its own. */
export async function siteInStore(files: Record<string, SiteFile | Buffer | string>, prefix = 'site/', concurrency = 16): Promise<SiteInStore> {
  const store = await testStore();
  const bucket = await freshBucket(store);
  const put = async (path: string, file: SiteFile | Buffer | string) => {
    const { body, contentType, cacheControl }: SiteFile = typeof file === 'string' || Buffer.isBuffer(file) ? { body: file } : file;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const metadata = {
      'Content-Type': contentType ?? 'application/octet-stream',
      ...(cacheControl === undefined ? {} : { 'Cache-Control': cacheControl }),
    };
    const { etag } = await store.fixtures.putObject(bucket, prefix + path, bytes, bytes.byteLength, metadata);
    return `"${etag}"`;
  };
  const queue = Object.entries(files);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await put(...next);
  }));
  return {
    store,
    bucket,
    prefix,
    env: { ...store.serviceEnv, S3_BUCKET: bucket, S3_PREFIX: prefix },
    put,
    remove: (path) => store.fixtures.removeObject(bucket, prefix + path),
  };
}
