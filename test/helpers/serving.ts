// The commonest set-up: a bucket of its own holding object.txt, and the service serving it.
import { startService, type ServiceProcess, type SpawnOptions } from './service.ts';
import { freshBucket, putObject, testStore, type TestStore } from './store.ts';

export interface ObjectInStore {
  store: TestStore;
  bucket: string;
  /** The ETag the store gave the object, quoted as in HTTP. */
  etag: string;
  /** The service's environment for it: the store's endpoint and credentials, and the bucket. */
  env: Record<string, string>;
}

/** A fresh bucket holding `object.txt`: nothing another test does can disturb it. */
export async function objectInStore(body: Buffer | string, contentType?: string): Promise<ObjectInStore> {
  const store = await testStore();
  const bucket = await freshBucket(store);
  const etag = await putObject(store, bucket, 'object.txt', body, contentType);
  return { store, bucket, etag, env: { ...store.serviceEnv, S3_BUCKET: bucket } };
}

export async function serviceWithObject(
  body: Buffer | string,
  env: Record<string, string> = {},
  options: Omit<SpawnOptions, 'env'> = {},
): Promise<ServiceProcess> {
  const { env: storeEnv } = await objectInStore(body);
  return startService({ ...options, env: { ...storeEnv, ...env } });
}
