#!/usr/bin/env node
// A local S3-compatible store (s3rver) on 127.0.0.1 for trying the service by hand and for the
// tests. Once ready it prints the service's environment as shell lines (`eval` them) and writes
// DIR/s3rver.pid and DIR/port (scripts/store-fault.sh restarts it on that port), then runs until
// SIGTERM or SIGINT. s3rver is a fake: see CONTRIBUTING.md, "Stores".
//
//   node scripts/s3rver.ts --dir .tmp/store [--port 9000] [--bucket example]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportLines, serviceEnvironment, startS3rver } from './embedded-s3rver.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    port: { type: 'string', default: '0' },
    bucket: { type: 'string', multiple: true, default: ['example'] },
  },
});
if (values.dir === undefined) {
  console.error('s3rver.ts: --dir is required: the directory that holds the store data');
  process.exit(2);
}

mkdirSync(values.dir, { recursive: true });
const store = await startS3rver(join(values.dir, 'data'), values.bucket, Number(values.port));
const pidFile = join(values.dir, 's3rver.pid');
writeFileSync(pidFile, `${process.pid}\n`);
writeFileSync(join(values.dir, 'port'), `${store.port}\n`);
process.stdout.write(exportLines(serviceEnvironment(store.endpoint)));

const stop = () => {
  rmSync(pidFile, { force: true });
  void store.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
