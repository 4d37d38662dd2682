// Fetch worker. What the entry gives each way of refreshing (one object, or every object under a
// prefix): the one S3 client, the job, the channel to the main thread.
import type { S3Client } from '@aws-sdk/client-s3';
import type { FetchJob, WorkerToMain } from '../protocol.ts';

export interface WorkerContext {
  client: S3Client;
  job: FetchJob;
  post(message: WorkerToMain): void;
}

/** Something for the main thread to log at warn that is not a failed fetch. */
export function warn(context: WorkerContext, code: string, message: string): void {
  context.post({ type: 'warning', code, message });
}

/** Disk trouble is never a reason to stop serving: a warning, and the next refresh tries again. */
export async function keepCopy(context: WorkerContext, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    warn(context, 'CacheFileWriteFailed', `cannot write CACHE_FILE ${context.job.cacheFile}: ${(error as Error).message}; check the disk and the permissions`);
  }
}
