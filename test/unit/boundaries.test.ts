// The thread boundaries are lint rules (eslint.config.js): each one fails when a file of one
// thread imports what belongs to another. Each case lints a copy of a real file with one
// forbidden import added, in memory, under the file's own path.
import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function restrictedImports(file: string, addedLine: string): Promise<string[]> {
  const source = `${addedLine}\n${readFileSync(`${root}${file}`, 'utf8').replace(/^#!.*\n/, '')}`;
  const [result] = await eslint.lintText(source, { filePath: `${root}${file}` });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

const forbidden: Array<[file: string, line: string, reason: RegExp]> = [
  ['src/fetch-worker.ts', "import { pino } from 'pino';", /fetch worker must not load the logger/],
  ['src/worker/refresh-loop.ts', "import { ServiceMetrics } from '../main/metrics.ts';", /fetch worker must not load/],
  ['src/worker/s3-object-source.ts', "import { createServer } from 'node:http';", /fetch worker must not load/],
  ['src/worker/refresh-loop.ts', "import { Server } from 'node:net';", /fetch worker must not load/],
  ['src/worker/fetch-failure.ts', "import { send } from '../http/plain-responses.ts';", /fetch worker must not load/],
  ['src/http/request-handler.ts', "import { S3Client } from '@aws-sdk/client-s3';", /only the fetch worker talks to the store/],
  ['src/main/metrics.ts', "import { fetchObject } from '../worker/s3-object-source.ts';", /only the fetch worker/],
  ['src/main.ts', "import { createLogger } from './main/logger.ts';", /loads this with import\(\)/],
  ['src/main.ts', "import { createHttpServer } from './http/http-server.ts';", /loads this with import\(\)/],
  ['src/serving-thread.ts', "import { pino } from 'pino';", /a serving thread must not load the logger or metrics/],
  ['src/serving-thread.ts', "import { ServiceMetrics } from './main/metrics.ts';", /a serving thread must not load/],
  ['src/http/serve-object.ts', "import { Registry } from 'prom-client';", /a serving thread must not load/],
  ['src/serving-thread.ts', "import { S3Client } from '@aws-sdk/client-s3';", /only the fetch worker talks to the store/],
  // Not even a type from the main thread's folder: shared vocabulary lives in the protocol files.
  ['src/worker/representations.ts', "import type { Config } from '../main/config.ts';", /only the main thread imports src\/main\//],
  ['src/fetch-worker.ts', "import type { Logger } from './main/logger.ts';", /only the main thread imports src\/main\//],
  ['src/http/cached-object.ts', "import type { Config } from '../main/config.ts';", /only the main thread imports src\/main\//],
  ['src/serving-thread.ts', "import type { RefreshRequests } from './main/refresh-requests.ts';", /only the main thread imports src\/main\//],
  ['src/protocol.ts', "import type { Config } from './main/config.ts';", /only the main thread imports src\/main\//],
  ['src/serving-protocol.ts', "import type { Config } from './main/config.ts';", /only the main thread imports src\/main\//],
  ['src/shared/shared-bytes.ts', "import type { ExitCode } from '../main/exit-codes.ts';", /only the main thread imports src\/main\//],
];

for (const [file, line, reason] of forbidden) {
  test(`${file}: lint fails on ${line}`, async () => {
    const messages = await restrictedImports(file, line);
    assert.ok(messages.some((message) => reason.test(message)), `no boundary error; got ${JSON.stringify(messages)}`);
  });
}

test('the files as they are pass the boundary rules (type-only imports across them are allowed)', async () => {
  const files = readdirSync(`${root}src`, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of files.map((name) => `src/${name}`)) {
    assert.equal(await restrictedImports(file, ''), [], file);
  }
});

test('every file in src/ says on its first line which thread runs it', () => {
  const files = readdirSync(`${root}src`, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of files) {
    const firstComment = readFileSync(`${root}src/${file}`, 'utf8').replace(/^#!.*\n/, '').split('\n')[0]!;
    assert.match(firstComment, /^\/\/ (Main thread|Fetch worker|Serving thread)/, `src/${file}`);
  }
});

test.run();
