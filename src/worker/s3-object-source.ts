// Fetch worker. Reads objects from the store: one S3 client, conditional GETs, bounded time and
// size.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { getCACertificates } from 'node:tls';
import { GetObjectCommand, S3Client, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { DeserializeMiddleware } from '@smithy/types';
import type { FetchJob, FetchedObject } from '../protocol.ts';
import { describeCheck, integrityCheckFor, verifyMd5 } from './integrity.ts';
import { ObjectCorruptedError, ObjectTooLargeError, TruncatedBodyError, UnexpectedNotModifiedError } from './object-errors.ts';

/** The object as the store sent it, its bytes proven intact; the worker derives the rest. */
export type StoreObject = Omit<FetchedObject, 'sha256' | 'variants' | 'lastModifiedStrong'>;

export type FetchResult = { kind: 'changed'; object: StoreObject } | { kind: 'unchanged' };

/**
 * The connections' agents: through the proxy chosen at start or none, whatever else the environment
 * says (node:http's own proxying: CONNECT for https, the absolute form for http, its credentials as
 * Proxy-Authorization), trusting AWS_CA_BUNDLE besides the default CAs (NODE_EXTRA_CA_CERTS is
 * among those). 50 sockets kept alive, as the SDK's own agents.
 */
function agentsFor(job: FetchJob): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const proxyEnv = job.proxy === undefined ? {} : { HTTP_PROXY: job.proxy, HTTPS_PROXY: job.proxy };
  const ca = job.caBundle === undefined ? undefined : [...getCACertificates('default'), readFileSync(job.caBundle, 'utf8')];
  const common = { keepAlive: true, maxSockets: 50, proxyEnv };
  return { httpAgent: new HttpAgent(common), httpsAgent: new HttpsAgent({ ...common, ...(ca && { ca }) }) };
}

export function createS3Client(job: FetchJob): S3Client {
  return new S3Client({
    ...(job.endpoint === undefined ? {} : { endpoint: job.endpoint }),
    ...(job.region === undefined ? {} : { region: job.region }),
    forcePathStyle: job.forcePathStyle,
    // The SDK's default CRC checks are not implemented by many S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      // requestTimeout bounds the wait for response headers (a paused store accepts the
      // connection and never answers); it only throws with throwOnRequestTimeout.
      requestTimeout: job.fetchTimeoutMs,
      throwOnRequestTimeout: true,
      // socketTimeout bounds each silent gap while the body streams in.
      socketTimeout: job.fetchTimeoutMs,
      connectionTimeout: job.fetchTimeoutMs,
      ...agentsFor(job),
    },
  });
}

/** Which object, and on what condition. */
export interface ObjectRequest {
  key: string;
  /** The ETag held: the store answers 304 with no body while it is still current. */
  ifNoneMatch?: string | undefined;
  /** The ETag a listing showed: the store answers 412 if the object has changed since. */
  ifMatch?: string | undefined;
}

/**
 * GETs the object on `request`'s condition. The body lands in shared memory of the exact size,
 * read once, shared by every serving thread.
 */
export async function fetchObject(
  client: S3Client,
  job: FetchJob,
  request: ObjectRequest,
  signal: AbortSignal,
): Promise<FetchResult> {
  const command = new GetObjectCommand({
    Bucket: job.bucket,
    Key: request.key,
    IfNoneMatch: request.ifNoneMatch,
    IfMatch: request.ifMatch,
    // Asks for the store's full-object checksum, which the SDK then verifies as the body streams in.
    ...(job.integrityCheck && { ChecksumMode: 'ENABLED' }),
  });
  const rawLastModified = takeRawLastModified(command);
  let response;
  try {
    response = await client.send(command, { abortSignal: signal });
  } catch (error) {
    // The SDK throws on 304, with a name that has changed across versions; the status is stable.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 304) {
      if (request.ifNoneMatch === undefined) throw new UnexpectedNotModifiedError();
      return { kind: 'unchanged' };
    }
    throw error;
  }

  const body = response.Body as Readable | undefined;
  const declaredSize = response.ContentLength;
  if (declaredSize !== undefined && declaredSize > job.maxObjectBytes) {
    body?.destroy(); // an unread body would pin the keep-alive socket
    throw new ObjectTooLargeError(declaredSize, job.maxObjectBytes);
  }
  const bytes = body === undefined ? new SharedArrayBuffer(0) : await readBody(body, declaredSize, job.maxObjectBytes);
  const check = integrityCheckFor(response);
  if (job.integrityCheck) verifyMd5(check, bytes);
  return {
    kind: 'changed',
    object: {
      body: bytes,
      etag: response.ETag,
      lastModified: rawLastModified(),
      contentType: response.ContentType,
      cacheControl: response.CacheControl,
      redirectLocation: response.WebsiteRedirectLocation,
      integrity: job.integrityCheck ? describeCheck(check) : 'off',
    },
  };
}

/**
 * Takes Last-Modified out of the raw response before the SDK parses it: its date parser throws on
 * a value it cannot read, which would fail every fetch of an object whose bytes are fine. The
 * value is passed on as the store sent it; the main thread checks it before serving it.
 */
function takeRawLastModified(command: GetObjectCommand): () => string | undefined {
  let raw: string | undefined;
  const middleware: DeserializeMiddleware<GetObjectCommandInput, GetObjectCommandOutput> = (next) => async (args) => {
    const result = await next(args);
    const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
    if (headers !== undefined) {
      raw = headers['last-modified'];
      delete headers['last-modified'];
    }
    return result;
  };
  command.middlewareStack.addRelativeTo(middleware, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'rawLastModified',
  });
  return () => raw;
}

async function readBody(body: Readable, declaredSize: number | undefined, limit: number): Promise<SharedArrayBuffer> {
  try {
    return await (declaredSize === undefined ? readBodyOfUnknownSize(body, limit) : readBodyOfSize(body, declaredSize));
  } catch (error) {
    // The SDK's checksum stream fails the read with a plain Error; its message is all there is.
    if (error instanceof Error && error.message.startsWith('Checksum mismatch')) throw new ObjectCorruptedError(error.message);
    throw error;
  }
}

async function readBodyOfSize(body: Readable, declaredSize: number): Promise<SharedArrayBuffer> {
  const buffer = new SharedArrayBuffer(declaredSize);
  const bytes = new Uint8Array(buffer);
  let received = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    if (received + chunk.byteLength > declaredSize) {
      body.destroy();
      throw new TruncatedBodyError(`the store sent more than the ${declaredSize} bytes it declared`);
    }
    bytes.set(chunk, received);
    received += chunk.byteLength;
  }
  if (received !== declaredSize) {
    throw new TruncatedBodyError(`the store declared ${declaredSize} bytes but sent ${received}`);
  }
  return buffer;
}

async function readBodyOfUnknownSize(body: Readable, limit: number): Promise<SharedArrayBuffer> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    received += chunk.byteLength;
    if (received > limit) {
      body.destroy();
      throw new ObjectTooLargeError(undefined, limit);
    }
    chunks.push(chunk);
  }
  const shared = new SharedArrayBuffer(received);
  const bytes = new Uint8Array(shared);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return shared;
}
