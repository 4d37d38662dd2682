// Bench only: the worker of bench/floor-main.ts. One S3 client, one GetObject of the object the
// service serves (S3_ENDPOINT, S3_BUCKET, S3_KEY and the AWS_* credentials), then idle.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parentPort } from 'node:worker_threads';
import { afterFetch } from '../src/shared/memory-policy.ts';

const client = new S3Client({ endpoint: process.env.S3_ENDPOINT, region: process.env.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
const response = await client.send(new GetObjectCommand({ Bucket: process.env.S3_BUCKET ?? 'example', Key: process.env.S3_KEY ?? 'object.txt' }));
const bytes = await response.Body!.transformToByteArray();
parentPort!.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
afterFetch('changed');
setInterval(() => undefined, 60_000); // idle, as the fetch worker between refreshes
