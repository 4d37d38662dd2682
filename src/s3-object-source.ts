// Reads the object from the store: one S3 client, conditional GETs, bounded time and size.
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FetchJob, FetchedObject } from './protocol.ts';

export type FetchResult = { kind: 'changed'; object: FetchedObject } | { kind: 'unchanged' };

export class ObjectTooLargeError extends Error {
  override name = 'ObjectTooLarge';
  constructor(size: number | undefined, limit: number) {
    super(`object is ${size === undefined ? 'larger than' : `${size} bytes, over`} the limit of ${limit} bytes`);
  }
}

export class TruncatedBodyError extends Error {
  override name = 'TruncatedBody';
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
    },
  });
}

/**
 * GETs the object unless its ETag is still `knownEtag` (the store then answers 304 with no body).
 * The body lands in a fresh, exactly sized ArrayBuffer so that it can be transferred, not copied.
 */
export async function fetchObject(
  client: S3Client,
  job: FetchJob,
  knownEtag: string | undefined,
  signal: AbortSignal,
): Promise<FetchResult> {
  let response;
  try {
    response = await client.send(
      new GetObjectCommand({ Bucket: job.bucket, Key: job.key, IfNoneMatch: knownEtag }),
      { abortSignal: signal },
    );
  } catch (error) {
    // The SDK throws on 304, with a name that has changed across versions; the status is stable.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 304) {
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
  return {
    kind: 'changed',
    object: {
      body: body === undefined ? new ArrayBuffer(0) : await readBody(body, declaredSize, job.maxObjectBytes),
      etag: response.ETag,
      lastModified: response.LastModified?.toUTCString(),
      contentType: response.ContentType,
    },
  };
}

async function readBody(body: Readable, declaredSize: number | undefined, limit: number): Promise<ArrayBuffer> {
  if (declaredSize === undefined) return readBodyOfUnknownSize(body, limit);
  const buffer = new ArrayBuffer(declaredSize);
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

async function readBodyOfUnknownSize(body: Readable, limit: number): Promise<ArrayBuffer> {
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
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}
