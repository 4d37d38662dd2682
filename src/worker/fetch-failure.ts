// Fetch worker. Turns whatever a fetch or a listing threw into one line that names what was asked
// of the store, the cause and the fix.
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

/** What was asked of the store: a GET of one key (the object, or one of a prefix), or the listing of a prefix. */
export type StoreOperation = { kind: 'fetch'; key: string } | { kind: 'list'; prefix: string };

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function fixFor(code: string, job: FetchJob, operation: StoreOperation): string | undefined {
  const store = job.endpoint ?? 'AWS S3';
  if (networkCodes.has(code)) return `check that the store at ${store} is running and S3_ENDPOINT is right`;
  switch (code) {
    case 'NoSuchBucket':
      return `create the bucket "${job.bucket}" or set S3_BUCKET`;
    case 'NoSuchKey':
      return `upload the object "${job.key}" or set S3_KEY`;
    case 'AccessDenied':
    case 'Forbidden':
      return operation.kind === 'list'
        ? `grant s3:ListBucket on ${job.bucket} (and s3:GetObject on ${job.bucket}/${operation.prefix}*) to these credentials`
        : `grant s3:GetObject on ${job.bucket}/${operation.key} to these credentials`;
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

/** The code a thrown value stands for: ours, the SDK's error name, a socket code, or the HTTP status. */
export function failureCode(error: unknown): { code: string; httpStatus: number | undefined; detail: string | undefined } {
  if (error instanceof ObjectError) return { code: error.code, httpStatus: undefined, detail: error.message };
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
  return { code, httpStatus, detail: (thrown.message || firstInner?.message || '').split('\n')[0] };
}

export function describeFetchError(
  error: unknown,
  job: FetchJob,
  operation: StoreOperation = { kind: 'fetch', key: job.key },
): FetchFailure {
  const { code, httpStatus, detail } = failureCode(error);
  const fix = error instanceof ObjectError ? error.fix : fixFor(code, job, operation);
  const status = httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`;
  const asked = operation.kind === 'fetch' ? `fetch s3://${job.bucket}/${operation.key}` : `list s3://${job.bucket}/${operation.prefix}`;
  const message =
    `cannot ${asked} from ${job.endpoint ?? 'AWS S3'}: ${code}${status}` +
    (detail && detail !== code ? `: ${detail}` : '') +
    (fix === undefined ? '' : `; ${fix}`);
  return { code, httpStatus, message };
}
