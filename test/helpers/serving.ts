// The commonest set-up: a bucket of its own holding object.txt, and the service serving it.
import { startService, type ServiceProcess, type SpawnOptions } from './service.ts';
import { freshBucket, putObject, testStore } from './store.ts';

export async function serviceWithObject(
  body: Buffer | string,
  env: Record<string, string> = {},
  options: Omit<SpawnOptions, 'env'> = {},
): Promise<ServiceProcess> {
  const store = await testStore();
  const bucket = await freshBucket(store);
  await putObject(store, bucket, 'object.txt', body);
  return startService({ ...options, env: { ...store.serviceEnv, S3_BUCKET: bucket, ...env } });
}
