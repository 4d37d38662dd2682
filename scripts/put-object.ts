#!/usr/bin/env node
// Puts a new version of the object into the store the service reads, using the service's own
// environment (S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET, S3_KEY), as
// printed by scripts/s3rver.ts or scripts/ceph-rgw.sh. Reads the file, or standard input for -.
//
//   node scripts/put-object.ts FILE|- [--content-type text/plain] [--create-bucket]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fixturesClient } from './fixtures-client.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'content-type': { type: 'string', default: 'application/octet-stream' },
    'create-bucket': { type: 'boolean', default: false },
  },
});
const { S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env;
const bucket = process.env.S3_BUCKET ?? 'example';
const key = process.env.S3_KEY ?? 'object.txt';
if (positionals.length !== 1 || !S3_ENDPOINT || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
  console.error('put-object.ts: give one FILE (or -), with S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set');
  process.exit(2);
}

const client = fixturesClient(S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, process.env.AWS_REGION);
const body = readFileSync(positionals[0] === '-' ? 0 : positionals[0]!);
if (values['create-bucket'] && !(await client.bucketExists(bucket))) await client.makeBucket(bucket);
const { etag } = await client.putObject(bucket, key, body, body.byteLength, { 'Content-Type': values['content-type'] });
console.log(`put s3://${bucket}/${key}: ${body.byteLength} bytes, ETag "${etag}"`);
