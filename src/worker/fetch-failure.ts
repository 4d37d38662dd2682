// Fetch worker. Turns whatever a fetch threw into one line that names the object, the cause and
// the fix.
import type { FetchFailure, FetchJob } from '../protocol.ts';
import { formatDuration } from './format-duration.ts';
import { ObjectError } from './object-errors.ts';

interface ThrownBySdk {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  errors?: unknown[];
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function fixFor(code: string, job: FetchJob): string | undefined {
  const store = job.endpoint ?? 'AWS S3';
  if (networkCodes.has(code)) return `check that the store at ${store} is running and S3_ENDPOINT is right`;
  switch (code) {
    case 'NoSuchBucket':
      return `create the bucket "${job.bucket}" or set S3_BUCKET`;
    case 'NoSuchKey':
      return `upload the object "${job.key}" or set S3_KEY`;
    case 'AccessDenied':
    case 'Forbidden':
      return `grant s3:GetObject on ${job.bucket}/${job.key} to these credentials`;
    case 'SignatureDoesNotMatch':
      return 'check AWS_SECRET_ACCESS_KEY';
    case 'InvalidAccessKeyId':
      return 'check AWS_ACCESS_KEY_ID';
    case 'CredentialsProviderError':
      return 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE';
    case 'TimeoutError':
      return `the store did not answer within FETCH_TIMEOUT=${formatDuration(job.fetchTimeoutMs)}; check the store or raise FETCH_TIMEOUT`;
    case 'RegionMissing':
      return 'set AWS_REGION';
    default:
      return undefined;
  }
}

export function describeFetchError(error: unknown, job: FetchJob): FetchFailure {
  if (error instanceof ObjectError) return failureLine(job, error.code, undefined, error.message, error.fix);
  const thrown = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ThrownBySdk;
  // Node reports a refused dual-stack connect as an AggregateError; its code is the useful part.
  const firstInner = thrown.errors?.[0] as ThrownBySdk | undefined;
  const socketCode = thrown.code ?? firstInner?.code;
  const httpStatus = thrown.$metadata?.httpStatusCode;
  const named = thrown.name !== undefined && thrown.name !== 'Error' && thrown.name !== 'Unknown';
  const code =
    socketCode !== undefined && networkCodes.has(socketCode)
      ? socketCode
      : named
        ? thrown.name!
        : /Region is missing/.test(thrown.message ?? '') // the SDK throws a plain Error for it
          ? 'RegionMissing'
          : (socketCode ?? (httpStatus === undefined ? 'Error' : `HTTP${httpStatus}`));
  const detail = (thrown.message || firstInner?.message || '').split('\n')[0];
  return failureLine(job, code, httpStatus, detail, fixFor(code, job));
}

function failureLine(
  job: FetchJob,
  code: string,
  httpStatus: number | undefined,
  detail: string | undefined,
  fix: string | undefined,
): FetchFailure {
  const status = httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`;
  const message =
    `cannot fetch s3://${job.bucket}/${job.key} from ${job.endpoint ?? 'AWS S3'}: ${code}${status}` +
    (detail && detail !== code ? `: ${detail}` : '') +
    (fix === undefined ? '' : `; ${fix}`);
  return { code, httpStatus, message };
}
