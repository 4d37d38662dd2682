#!/usr/bin/env node
// Points a Ceph RADOS Gateway bucket notification at the service's refresh endpoint, so that a PUT
// or a DELETE of the object is served within a second instead of at the next refresh (see
// docs/operations.md, "Failure modes"). Reads the service's own environment: S3_ENDPOINT, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, S3_BUCKET, S3_KEY; in prefix mode S3_PREFIX and SNAPSHOT_MARKER: then
// the marker alone is watched (a deploy's switch), or without one every key under the prefix.
//
//   node scripts/ceph-notify.ts 'http://HOST:PORT/-/refresh?token=TOKEN&wait=0'
//
// RGW cannot send headers with a notification, so the token travels in the query; `wait=0`
// because RGW holds the client's PUT until the endpoint answers. Non-persistent notifications
// only: persistent ones were seen to wedge RGW 16.2's queue (shared notes).
import { PutBucketNotificationConfigurationCommand, S3Client, type FilterRule } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';

const [target] = process.argv.slice(2);
const { S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env;
const bucket = process.env.S3_BUCKET ?? 'example';
const { S3_PREFIX, SNAPSHOT_MARKER } = process.env;
// Exactly one key (both rules equal to it), or every key under a prefix.
const exactKey = S3_PREFIX === undefined ? (process.env.S3_KEY ?? 'object.txt') : SNAPSHOT_MARKER === undefined ? undefined : S3_PREFIX + SNAPSHOT_MARKER;
const key = exactKey ?? `${S3_PREFIX}*`;
const rules: FilterRule[] =
  exactKey === undefined ? [{ Name: 'prefix', Value: S3_PREFIX }] : [{ Name: 'prefix', Value: exactKey }, { Name: 'suffix', Value: exactKey }];
if (target === undefined || !/^https?:\/\//.test(target) || !S3_ENDPOINT || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
  console.error('ceph-notify.ts: give the refresh URL, with S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set');
  process.exit(2);
}

const credentials = { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY };
// RGW checks neither the region nor the service of the signature of its SNS-style topic API.
const topics = new SNSClient({ endpoint: S3_ENDPOINT, region: 'default', credentials });
const { TopicArn } = await topics.send(
  new CreateTopicCommand({
    Name: `s3-object-cache-${bucket}`,
    Attributes: { 'push-endpoint': target, persistent: 'false' },
  }),
);
const store = new S3Client({ endpoint: S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials });
await store.send(
  new PutBucketNotificationConfigurationCommand({
    Bucket: bucket,
    NotificationConfiguration: {
      TopicConfigurations: [
        {
          Id: `s3-object-cache-${key}`,
          TopicArn,
          Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
          Filter: { Key: { FilterRules: rules } },
        },
      ],
    },
  }),
);
topics.destroy();
store.destroy();
console.log(`notifications of s3://${bucket}/${key} now go to ${target.replace(/([?&]token=)[^&]*/, '$1REDACTED')}`);
