// Fetch worker. Which proof that the body is what the store holds applies to one GetObject
// answer, and the MD5 check. Full-object checksums (ChecksumMode ENABLED) are verified by the SDK
// itself while the body streams in; a plain MD5 ETag is checked here.
import { createHash } from 'node:crypto';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { ObjectCorruptedError } from './object-errors.ts';

export type IntegrityCheck =
  | { kind: 'checksum'; algorithm: string }
  | { kind: 'md5'; expectedHex: string }
  | { kind: 'none'; reason: string };

// In the order the SDK picks them when a store sends several.
const checksumFields = [
  ['SHA256', 'ChecksumSHA256'],
  ['SHA1', 'ChecksumSHA1'],
  ['CRC32', 'ChecksumCRC32'],
  ['CRC32C', 'ChecksumCRC32C'],
  ['CRC64NVME', 'ChecksumCRC64NVME'],
] as const;

type Answer = Pick<
  GetObjectCommandOutput,
  'ETag' | 'ChecksumType' | 'ServerSideEncryption' | 'SSECustomerAlgorithm' | (typeof checksumFields)[number][1]
>;

export function integrityCheckFor(answer: Answer): IntegrityCheck {
  // A checksum with a part count (`...-3`) or of type COMPOSITE covers parts, not the object.
  const composite = answer.ChecksumType === 'COMPOSITE';
  for (const [algorithm, field] of checksumFields) {
    const value = answer[field];
    if (value !== undefined && !composite && !/-\d+$/.test(value)) return { kind: 'checksum', algorithm };
  }
  const etag = answer.ETag;
  if (etag === undefined) return { kind: 'none', reason: 'no ETag' };
  // The ETags of SSE-KMS and SSE-C objects are not MD5s of the content.
  if (answer.ServerSideEncryption?.startsWith('aws:kms')) return { kind: 'none', reason: 'SSE-KMS ETag' };
  if (answer.SSECustomerAlgorithm !== undefined) return { kind: 'none', reason: 'SSE-C ETag' };
  const md5 = /^"([0-9a-fA-F]{32})"$/.exec(etag);
  if (md5) return { kind: 'md5', expectedHex: md5[1]!.toLowerCase() };
  return { kind: 'none', reason: /-\d+"$/.test(etag) ? 'multipart ETag' : 'ETag is not an MD5' };
}

/** Throws ObjectCorruptedError when an MD5 check applies and fails. */
export function verifyMd5(check: IntegrityCheck, body: SharedArrayBuffer): void {
  if (check.kind !== 'md5') return;
  const actual = createHash('md5').update(new Uint8Array(body)).digest('hex');
  if (actual !== check.expectedHex) {
    throw new ObjectCorruptedError(`the body's MD5 is ${actual}, the ETag says ${check.expectedHex}`);
  }
}

export function describeCheck(check: IntegrityCheck): string {
  if (check.kind === 'checksum') return `checksum ${check.algorithm}`;
  if (check.kind === 'md5') return 'md5';
  return `none: ${check.reason}`;
}
