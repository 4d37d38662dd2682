// The fetched object a worker posts, for in-process tests of what the main and serving threads do
// with it: real bytes in shared memory and their real SHA-256; `extra` changes any field.
import { createHash } from 'node:crypto';
import type { FetchedObject } from '../../src/protocol.ts';
import { toSharedBytes } from '../../src/shared/shared-bytes.ts';

export function fetchedObject(content: string | Uint8Array, extra: Partial<FetchedObject> = {}): FetchedObject {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    body: toSharedBytes(bytes),
    sha256: createHash('sha256').update(bytes).digest('base64'),
    variants: [],
    etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
    lastModified: 'Fri, 27 Nov 2026 10:00:00 GMT',
    lastModifiedStrong: true,
    contentType: 'text/plain',
    cacheControl: undefined,
    redirectLocation: undefined,
    integrity: 'md5',
    ...extra,
  };
}
