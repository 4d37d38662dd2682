#!/usr/bin/env node
// `npm run demo`: an embedded local store (s3rver) holding example/object.txt, and the service on
// :8000 in the foreground. Ctrl-C stops both. No cloud account, no Docker.
// `npm run demo -- --site`: the store holds a small site under example/site/ instead, and the
// service serves that prefix as one snapshot (S3_PREFIX), for a browser. Other arguments after
// `--` go to the service.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s3rverCredentials, serviceEnvironment, startS3rver } from './embedded-s3rver.ts';
import { demoSite } from './demo-site.ts';
import { fixturesClient } from './fixtures-client.ts';
import { runEnvironment, serviceArgs } from './service-command.ts';

const directory = mkdtempSync(join(tmpdir(), 's3-object-cache-demo-'));
const store = await startS3rver(directory, ['example']);
const fixtures = fixturesClient(store.endpoint, s3rverCredentials.accessKeyId, s3rverCredentials.secretAccessKey);
const site = process.argv.includes('--site');
const port = process.env.PORT ?? 8000;
if (site) {
  for (const [path, { body, contentType }] of Object.entries(demoSite)) {
    await fixtures.putObject('example', `site/${path}`, Buffer.from(body), undefined, { 'Content-Type': contentType });
  }
  console.error(`demo: local store at ${store.endpoint} holds a small site under example/site/`);
  console.error(`demo: open  http://localhost:${port}/  in a browser, or curl -i http://localhost:${port}/docs   (Ctrl-C stops)`);
} else {
  await fixtures.putObject('example', 'object.txt', Buffer.from('Hello from s3-object-cache!\n'), undefined, {
    'Content-Type': 'text/plain; charset=utf-8',
  });
  console.error(`demo: local store at ${store.endpoint} holds example/object.txt`);
  console.error(`demo: try  curl -i http://localhost:${port}/   (Ctrl-C stops)`);
}
const siteEnvironment = site ? { S3_PREFIX: 'site/', NOT_FOUND_DOCUMENT: '404.html', SNAPSHOT_MARKER: 'deploy.json' } : {};

const service = spawn(process.execPath, serviceArgs(process.argv.slice(2).filter((argument) => argument !== '--site')), {
  stdio: 'inherit',
  // Its own process group: Ctrl-C reaches only this script, which forwards exactly one signal
  // (a second one would make the service skip its graceful stop).
  detached: true,
  // Readable lines for a person at a terminal; LOG_FORMAT=json in the environment still wins.
  env: { LOG_FORMAT: 'pretty', ...siteEnvironment, ...process.env, ...runEnvironment, ...serviceEnvironment(store.endpoint) },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => service.kill(signal));

service.on('exit', (code, signal) => {
  void store.close().finally(() => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(code ?? (signal === null ? 0 : 1));
  });
});
