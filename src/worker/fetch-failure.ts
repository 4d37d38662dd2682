// Fetch worker. Turns whatever a fetch or a listing threw into one line that names what was asked
// of the store (and through which proxy), the cause and the fix: the store, the proxy, or its
// certificate.
import type { FetchFailure, FetchJob } from '../protocol.ts';
import { formatDuration } from './format-duration.ts';
import { ObjectError } from './object-errors.ts';

interface ThrownBySdk {
  name?: string;
  code?: string;
  message?: string;
  /** node:https's proxy tunnel: the proxy's answer to CONNECT. */
  statusCode?: number;
  $metadata?: { httpStatusCode?: number };
  errors?: unknown[];
}

/** What was asked of the store: a GET of one key (the object, or one of a prefix), or the listing of a prefix. */
export type StoreOperation = { kind: 'fetch'; key: string } | { kind: 'list'; prefix: string };

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
/** The store's certificate chain ends at an authority this process does not trust. */
const untrustedCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** A proxy URL as a line names it: host and port, never its credentials. */
const proxyHost = (job: FetchJob) => (job.proxy === undefined ? undefined : new URL(job.proxy).host);

function fixFor(code: string, httpStatus: number | undefined, job: FetchJob, operation: StoreOperation): string | undefined {
  const store = job.endpoint ?? 'AWS S3';
  const proxy = proxyHost(job);
  if (networkCodes.has(code)) return `check that the store at ${store} is running and S3_ENDPOINT is right`;
  if (untrustedCodes.has(code)) return "the store's certificate is signed by an authority this service does not trust: set AWS_CA_BUNDLE (or NODE_EXTRA_CA_CERTS) to a PEM file of that authority's certificate";
  switch (code) {
    case 'ProxyUnreachable':
      return `check that the proxy at ${proxy} is running and that HTTPS_PROXY or HTTP_PROXY names it, or list the store in NO_PROXY`;
    case 'ProxyAuthenticationRequired':
      return `the proxy at ${proxy} wants credentials: put USER:PASSWORD@ before its host in HTTPS_PROXY or HTTP_PROXY`;
    case 'ProxyTunnelFailed':
      if (httpStatus === 407) return fixFor('ProxyAuthenticationRequired', httpStatus, job, operation);
      if (httpStatus === 403) return `the proxy at ${proxy} does not allow connections to the store: allow it there, or list the store in NO_PROXY`;
      return `the proxy at ${proxy} could not reach the store: check S3_ENDPOINT and the proxy's route to it`;
    case 'HTTP502':
    case 'HTTP503':
    case 'HTTP504':
      // What a proxy answers for a store it cannot reach, where the request was in absolute form.
      return proxy === undefined ? undefined : fixFor('ProxyTunnelFailed', httpStatus, job, operation);
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return "the store's certificate is not valid at this time: renew it on the store (verification cannot be turned off)";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the store's certificate is not issued for the host in S3_ENDPOINT (${store}): use a name it was issued for, or reissue it`;
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
  if (thrown.code === 'ERR_PROXY_TUNNEL') return { code: 'ProxyTunnelFailed', httpStatus: thrown.statusCode, detail: thrown.message };
  if (thrown.$metadata?.httpStatusCode === 407) return { code: 'ProxyAuthenticationRequired', httpStatus: 407, detail: undefined };
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
  const failure = failureCode(error);
  const { httpStatus, detail } = failure;
  // Through a proxy every connection is the proxy's: one that fails never reached the store.
  const code = job.proxy !== undefined && networkCodes.has(failure.code) ? 'ProxyUnreachable' : failure.code;
  const fix = error instanceof ObjectError ? error.fix : fixFor(code, httpStatus, job, operation);
  const status = httpStatus === undefined ? '' : ` (HTTP ${httpStatus})`;
  const asked = operation.kind === 'fetch' ? `fetch s3://${job.bucket}/${operation.key}` : `list s3://${job.bucket}/${operation.prefix}`;
  const through = job.proxy === undefined ? '' : ` through the proxy ${proxyHost(job)}`;
  const message =
    `cannot ${asked} from ${job.endpoint ?? 'AWS S3'}${through}: ${code}${status}` +
    (detail && detail !== code ? `: ${detail}` : '') +
    (fix === undefined ? '' : `; ${fix}`);
  return { code, httpStatus, message };
}
