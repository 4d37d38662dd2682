// `npm run bench:ab -- DIR`: this build against another (DIR: a checkout of another commit, built
// with `npm ci`), measured alternately in one run on the same machine, for a change that must leave
// the figures where they were. One-object mode: spawn to first 200, idle RSS, req/s and p99 with
// HTTP_THREADS=1 and 2 (wrk on core 1, 50 connections). Prefix mode (bench/site-store.ts, 1,000
// files of 20 KB): req/s and p99 over random paths, RSS holding the site, start-up to ready.
// Each figure: the median of this build's values over the other's, pair by pair.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { cleanupAll, temporaryDirectory } from '../test/helpers/cleanup.ts';
import { spawnService, startService, type ServiceProcess } from '../test/helpers/service.ts';
import { objectInStore } from '../test/helpers/serving.ts';
import { serviceEntry } from '../scripts/service-command.ts';
import { benchScript, fmt, MiB, quick, rssBytes, startHelper } from './harness.ts';
import { median } from './load.ts';
import { siteFiles } from './site-files.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const other = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
if (other === undefined) throw new Error('usage: npm run bench:ab -- DIR   (DIR: another checkout, built)');
const builds = { this: serviceEntry, other: join(resolve(other), 'dist/main.js') };
const commitOf = (entry: string) => execFileSync('git', ['-C', resolve(entry, '../..'), 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const commits = { this: commitOf(builds.this), other: commitOf(builds.other) };
const pairs = quick ? 1 : 10;
type Build = keyof typeof builds;

/** `measure` of each build, alternating which goes first; resolves with each pair's ratio this/other. */
async function alternately(measure: (build: Build) => Promise<number>): Promise<{ ratio: number; values: Record<Build, number[]> }> {
  const values: Record<Build, number[]> = { this: [], other: [] };
  for (let pair = 0; pair < pairs; pair++) {
    for (const build of pair % 2 === 0 ? (['this', 'other'] as const) : (['other', 'this'] as const)) values[build].push(await measure(build));
  }
  return { ratio: median(values.this.map((value, pair) => value / values.other[pair]!)), values };
}

const rows: string[] = [];
function report(figure: string, result: { ratio: number; values: Record<Build, number[]> }, unit: string, digits = 0) {
  const line = `| ${figure} | ${fmt(median(result.values.this), digits)} ${unit} | ${fmt(median(result.values.other), digits)} ${unit} | ${fmt(result.ratio)} |`;
  rows.push(line);
  console.error(line);
}

/** Two services, one of each build, measured with wrk alternately. */
async function throughput(figure: string, start: (build: Build) => Promise<ServiceProcess>, paths?: string) {
  const services = { this: await start('this'), other: await start('other') };
  const wrk = (build: Build): WrkResult => runWrk(services[build].url, 50, quick ? 1 : 2, '1', paths);
  wrk('this');
  wrk('other'); // warm-up
  const results: Record<Build, WrkResult[]> = { this: [], other: [] };
  await alternately(async (build) => {
    const result = wrk(build);
    results[build].push(result);
    return result.requestsPerSecond;
  }).then((rps) => report(`${figure}: req/s`, rps, 'req/s'));
  const p99 = { this: results.this.map((r) => r.p99Ms), other: results.other.map((r) => r.p99Ms) };
  report(`${figure}: p99`, { ratio: median(p99.this.map((value, pair) => value / p99.other[pair]!)), values: p99 }, 'ms', 2);
  await Promise.all([services.this.kill(), services.other.kill()]);
}

try {
  console.error(`bench ab: this build (${commits.this}) against ${other} (${commits.other}), ${pairs} alternating pairs`);
  const small = await objectInStore('a small object, as the throughput figures serve it');
  const env = { ...small.env, LOG_LEVEL: 'info' };

  report('one object: spawn to first 200 OK', await alternately(async (build) => {
    const started = performance.now();
    const service = await spawnService({ env, entry: builds[build] });
    for (;;) {
      const answered = await request(`${service.url}/`).then((response) => response.body.dump().then(() => response.statusCode === 200), () => false);
      if (answered) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const ms = performance.now() - started;
    await service.kill();
    return ms;
  }), 'ms');

  report('one object: RSS idle', await alternately(async (build) => {
    const service = await startService({ env, entry: builds[build] });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rss = rssBytes(service.child.pid!) / MiB;
    await service.kill();
    return rss;
  }), 'MiB', 1);

  for (const threads of ['1', '2']) {
    await throughput(`one object, HTTP_THREADS=${threads}`, (build) => startService({ env: { ...env, HTTP_THREADS: threads }, entry: builds[build] }));
  }

  const { firstLine: endpoint, stop } = await startHelper(benchScript('site-store'), ['1000', '20000', '0', '--uniform']);
  const siteEnv = { S3_ENDPOINT: endpoint, S3_BUCKET: 'bench', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1', S3_PREFIX: 'site/' };
  const paths = join(temporaryDirectory('paths'), 'paths.txt');
  writeFileSync(paths, siteFiles(1000, 20_000, { uniform: true }).map((file) => `/${file.path}`).join('\n'));
  await throughput('prefix, 1,000 × 20 KB, random paths', (build) => startService({ env: siteEnv, entry: builds[build] }, 60_000), paths);
  report('prefix, 1,000 × 20 KB: start-up to ready', await alternately(async (build) => {
    const started = performance.now();
    const service = await startService({ env: siteEnv, entry: builds[build] }, 60_000);
    const ms = performance.now() - started;
    await service.kill();
    return ms;
  }), 'ms');
  report('prefix, 1,000 × 20 KB: RSS holding the site', await alternately(async (build) => {
    const service = await startService({ env: siteEnv, entry: builds[build] }, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rss = rssBytes(service.child.pid!) / MiB;
    await service.kill();
    return rss;
  }), 'MiB', 1);
  await stop();
  console.log(`\n| figure | this (${commits.this}) | other (${commits.other}) | this / other |\n| --- | --- | --- | --- |\n${rows.join('\n')}`);
} finally {
  await cleanupAll();
}
