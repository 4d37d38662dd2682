// Fetch worker. Refreshing one object (S3_KEY): a conditional GET each time, the body and what is
// derived from it (digests, compressed forms) posted once it changed, CACHE_FILE kept. By default
// it stops after the first failure: the main thread exits and the supervisor restarts the
// process. With STALE_IF_ERROR it retries with back-off once it has an object to fall back on (a
// successful fetch, or CACHE_FILE at start-up); the main thread enforces the bound.
import { performance } from 'node:perf_hooks';
import { collectGarbage } from '../shared/release-memory.ts';
import { CacheFileError, confirmCopy, readCopy, storeCopy } from './cache-file.ts';
import { describeFetchError } from './fetch-failure.ts';
import { lastModifiedIsStrong, type DatedVersion } from './last-modified.ts';
import type { FetchOnce } from './refresh-loop.ts';
import { encodedVariants, sha256Of } from './representations.ts';
import { fetchObject, type StoreObject } from './s3-object-source.ts';
import { keepCopy, warn, type WorkerContext } from './worker-context.ts';

interface ChangedReport {
  durationMs: number;
  answers: number;
  /** The body's SHA-256 (base64), computed once for Repr-Digest and the cache file. */
  sha256: string;
  /** `prepareMs` so far: the digest. */
  digestMs: number;
}

export function createObjectRefresh(context: WorkerContext): FetchOnce {
  const { client, job, post } = context;
  const staleMode = job.staleIfErrorMs > 0;
  let knownEtag: string | undefined;
  /** The main thread holds an object it can go on serving if a fetch fails. */
  let holdsObject = false;
  /** The body's SHA-256 (base64) in CACHE_FILE, for the confirmation of unchanged fetches. */
  let cachedSha256: string | undefined;
  /** The version posted last, whose date the next one's is compared with. */
  let postedVersion: DatedVersion | undefined;

  /** Compressed variants, then the message (the bytes are shared, not copied). */
  async function postChanged(object: StoreObject, report: ChangedReport, confirmedAt: number, fromCacheFile: boolean) {
    const startedAt = performance.now();
    const { sha256 } = report;
    const lastModifiedStrong = lastModifiedIsStrong(postedVersion, object.lastModified, sha256);
    postedVersion = { lastModified: object.lastModified, sha256, lastModifiedStrong };
    const fetched = { ...object, sha256, lastModifiedStrong, variants: await encodedVariants(object.body, object.contentType, job) };
    const prepareMs = report.digestMs + Math.round(performance.now() - startedAt);
    const { durationMs, answers } = report;
    post({ type: 'changed', object: fetched, durationMs: durationMs + prepareMs, answers, prepareMs, confirmedAt, fromCacheFile });
    holdsObject = true;
  }

  /** At start-up, with the store failing: the copy on disk, if intact, ours and fresh enough. */
  async function serveCopyFromDisk(): Promise<boolean> {
    if (job.cacheFile === undefined) return false;
    try {
      const copy = await readCopy(job.cacheFile, job);
      const ageMs = Date.now() - copy.confirmedAt;
      if (ageMs >= job.staleIfErrorMs) {
        throw new CacheFileError(`its copy was last confirmed ${Math.round(ageMs / 1000)} s ago, beyond STALE_IF_ERROR`);
      }
      knownEtag = copy.object.etag;
      cachedSha256 = copy.sha256;
      await postChanged(copy.object, { durationMs: 0, answers: 0, sha256: copy.sha256, digestMs: 0 }, copy.confirmedAt, true);
      return true;
    } catch (error) {
      if (!(error instanceof CacheFileError)) throw error;
      warn(context, 'CacheFileUnusable', `CACHE_FILE ${job.cacheFile} is not served: ${error.message}`);
      return false;
    }
  }

  return async (signal, answers) => {
    const startedAt = performance.now();
    const durationMs = () => Math.round(performance.now() - startedAt);
    try {
      const result = await fetchObject(client, job, { key: job.key, ifNoneMatch: knownEtag }, signal);
      const confirmedAt = Date.now();
      if (result.kind === 'unchanged') {
        post({ type: 'unchanged', durationMs: durationMs(), answers });
        const sha256 = cachedSha256;
        if (job.cacheFile !== undefined && sha256 !== undefined) await keepCopy(context, () => confirmCopy(job.cacheFile!, sha256, confirmedAt));
      } else {
        const fetchedMs = durationMs();
        const { object } = result;
        knownEtag = object.etag;
        const digestStartedAt = performance.now();
        const sha256 = sha256Of(new Uint8Array(object.body));
        const digestMs = Math.round(performance.now() - digestStartedAt);
        if (job.cacheFile !== undefined) {
          await keepCopy(context, async () => {
            await storeCopy(job.cacheFile!, job, object, sha256, confirmedAt);
            cachedSha256 = sha256;
          });
        }
        await postChanged(object, { durationMs: fetchedMs, answers, sha256, digestMs }, confirmedAt, false);
        collectGarbage(); // the response's chunks, copied into the body
      }
      return 'succeeded';
    } catch (error) {
      // Aborted means the main thread asked us to stop: that is not a failure to report.
      if (signal.aborted) return 'stop';
      const failure = describeFetchError(error, job);
      const retrying = staleMode && (holdsObject || (await serveCopyFromDisk()));
      post({ type: 'failed', failure, durationMs: durationMs(), answers, retrying });
      return retrying ? 'retry' : 'stop';
    }
  };
}
