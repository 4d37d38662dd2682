// Fetch worker. Everything the main thread serves that is derived from the body, prepared once
// per refresh off the main thread: the SHA-256 digests for Repr-Digest and the compressed forms,
// in shared memory like the body.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { EncodedVariant, Encoding, FetchJob } from '../protocol.ts';
import { toSharedBytes } from '../shared/shared-bytes.ts';

const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);

/** Smaller bodies gain nothing worth a header; below 10% saved a variant is not kept. */
const minimumBytes = 1024;
const keptIfAtMost = 0.9;

// Quality 5 and level 6: ~5 and ~6 times faster than the maxima, within a few percent of their
// size on text (bench: "preparation of a 16 MiB text object").
const compressors: Record<Encoding, (body: Uint8Array) => Promise<Buffer>> = {
  br: (body) =>
    compressBrotli(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      },
    }),
  gzip: (body) => compressGzip(body, { level: 6 }),
};

const compressibleTypes = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/ecmascript',
  'application/wasm',
  'application/x-ndjson',
  'application/yaml',
  'application/toml',
  'application/graphql',
]);

export function isCompressible(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || /\+(json|xml)$/.test(type) || compressibleTypes.has(type);
}

/** Base64, as Repr-Digest and the cache file write it. */
export function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('base64');
}

export async function encodedVariants(
  body: SharedArrayBuffer,
  contentType: string | undefined,
  job: Pick<FetchJob, 'compression' | 'compressionMaxBytes'>,
): Promise<EncodedVariant[]> {
  const size = body.byteLength;
  if (job.compression.length === 0 || size < minimumBytes || size > job.compressionMaxBytes || !isCompressible(contentType)) {
    return [];
  }
  const bytes = new Uint8Array(body);
  const compressed = await Promise.all(job.compression.map(async (encoding) => ({ encoding, bytes: await compressors[encoding](bytes) })));
  return compressed
    .filter((variant) => variant.bytes.byteLength <= size * keptIfAtMost)
    .map(({ encoding, bytes: encoded }) => ({ encoding, body: toSharedBytes(encoded), sha256: sha256Of(encoded) }));
}
