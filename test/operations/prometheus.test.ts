// The operator's kit, run with Prometheus's own tools (Debian's prometheus package, which brings
// promtool): the rules checked and unit-tested, the exposition linted, and a real Prometheus
// scraping the service every second: the target up, the request counter rising with both serving
// threads counted, the stale alert pending, firing and resolving as the store goes and comes back,
// every metric the rules and the dashboard name exposed, every dashboard query parsed.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'undici';
import { parse, stringify } from 'yaml';
import { temporaryDirectory } from '../helpers/cleanup.ts';
import { stopAtCleanup } from '../helpers/processes.ts';
import { cgroupUnavailable, inCgroups } from '../helpers/cgroups.ts';
import { freePort } from '../helpers/net.ts';
import { startService, type ServiceProcess } from '../helpers/service.ts';
import { objectInStore } from '../helpers/serving.ts';
import { siteInStore } from '../helpers/site.ts';
import { programMissing, testUnless } from '../helpers/skips.ts';
import { waitFor, withTimeout } from '../helpers/wait.ts';

const root = new URL('../../', import.meta.url).pathname;
const rulesFile = `${root}deploy/prometheus/rules.yaml`;
const dashboardFile = `${root}deploy/grafana/dashboard.json`;
const install = 'apt-get install prometheus';
const promTest = testUnless(programMissing(['promtool', 'prometheus'], install));

const run = promisify(execFile);

interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string; for?: string }>;
}

const ruleGroups = () => (parse(readFileSync(rulesFile, 'utf8')) as { groups: RuleGroup[] }).groups;

/** The dashboard's queries as Prometheus reads them: Grafana's variables given values. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((panel) => panel.targets.map(({ expr }) =>
    expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$instance', '.*'),
  ));
}

/**
 * The service's metric names in PromQL text: every name that starts as the service's, prom-client's
 * or the process's metrics do. Recording rules (with a colon) and Prometheus's own `up` are not the
 * service's to expose.
 */
const namesIn = (expression: string) => [...expression.matchAll(/\b(?:s3_object_cache|process|nodejs)_[a-z0-9_]+\b/g)].map(([name]) => name);

promTest('promtool: the rules check, and every alert\'s unit tests pass', async () => {
  const checked = await run('promtool', ['check', 'rules', rulesFile]);
  assert.match(checked.stdout, /SUCCESS: \d+ rules found/);
  const tested = await run('promtool', ['test', 'rules', `${root}deploy/prometheus/rules.test.yaml`]);
  assert.match(tested.stdout, /SUCCESS/);
  const alerts = ruleGroups().flatMap((group) => group.rules.flatMap((rule) => rule.alert ?? []));
  const unitTests = readFileSync(`${root}deploy/prometheus/rules.test.yaml`, 'utf8');
  for (const alert of alerts) assert.ok(unitTests.includes(`alertname: ${alert}`), `${alert} has no unit test`);
});

/** promtool check metrics on what the service exposes; resolves with its complaints. */
async function lint(service: ServiceProcess, metricsUrl: string): Promise<string> {
  await (await request(`${service.url}/`)).body.dump();
  const exposition = await (await request(metricsUrl)).body.text();
  const checker = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  checker.stdout.on('data', (chunk: Buffer) => (output += chunk));
  checker.stderr.on('data', (chunk: Buffer) => (output += chunk));
  checker.stdin.end(exposition);
  const [code] = (await withTimeout(once(checker, 'exit'), 10_000, 'promtool check metrics')) as [number];
  return code === 0 ? output : `exit ${code}: ${output}`;
}

testUnless(cgroupUnavailable('memory'))('s3_object_cache_memory_limit_bytes: the container\'s memory limit, where its cgroup has one', async () => {
  const { env } = await objectInStore('limited');
  const service = await startService({ env, wrapper: inCgroups({ memoryBytes: 300 * 1024 * 1024 }) });
  const exposition = await (await request(`${service.url}/-/metrics`)).body.text();
  assert.match(exposition, /^s3_object_cache_memory_limit_bytes 314572800$/m);
});

promTest('promtool check metrics: nothing to say about a live scrape, in one-object mode and in prefix mode', async () => {
  const { env } = await objectInStore('linted');
  const single = await startService({ env: { ...env, HTTP_THREADS: '2' } });
  assert.is(await lint(single, `${single.url}/-/metrics`), '');
  const site = await siteInStore({ 'index.html': 'home' });
  const prefix = await startService({ env: site.env });
  assert.is(await lint(prefix, `${prefix.url}/-/metrics`), '');
});

interface Prometheus {
  query(expression: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>>;
  get(path: string): Promise<{ status: number; body: { status: string; data: unknown; error?: string } }>;
}

/** A Prometheus server on 127.0.0.1 scraping `target` every second, with `rules`. */
async function startPrometheus(target: string, rules: { groups: RuleGroup[] }): Promise<Prometheus> {
  const directory = temporaryDirectory('prometheus');
  writeFileSync(join(directory, 'rules.yaml'), stringify(rules));
  writeFileSync(
    join(directory, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(directory, 'rules.yaml')],
      scrape_configs: [{ job_name: 's3-object-cache', metrics_path: '/-/metrics', static_configs: [{ targets: [target] }] }],
    }),
  );
  const port = await freePort();
  const server = spawn(
    'prometheus',
    [`--config.file=${join(directory, 'prometheus.yml')}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  server.stderr.on('data', (chunk: Buffer) => (log += chunk));
  stopAtCleanup(server, 'SIGTERM');
  const base = `http://127.0.0.1:${port}`;
  await waitFor('Prometheus to be ready', async () => (await request(`${base}/-/ready`)).statusCode === 200, 30_000).catch((error: Error) => {
    throw new Error(`${error.message}; its log:\n${log}`);
  });
  const get = async (path: string) => {
    const response = await request(`${base}${path}`);
    return { status: response.statusCode, body: (await response.body.json()) as { status: string; data: unknown; error?: string } };
  };
  return {
    get,
    async query(expression) {
      const { body } = await get(`/api/v1/query?query=${encodeURIComponent(expression)}`);
      if (body.status !== 'success') throw new Error(`query ${expression}: ${body.error}`);
      return (body.data as { result: Array<{ metric: Record<string, string>; value: [number, string] }> }).result;
    },
    async alerts() {
      return ((await get('/api/v1/alerts')).body.data as { alerts: Array<{ labels: Record<string, string>; state: string }> }).alerts;
    },
  };
}

promTest('a real Prometheus: target up, requests counted over both threads, the stale alert pends, fires and resolves', async () => {
  const { store, env } = await objectInStore('watched');
  const opsPort = await freePort();
  const service = await startService({
    env: { ...env, OPS_PORT: String(opsPort), HTTP_THREADS: '2', STALE_IF_ERROR: '1m', REFRESH_INTERVAL: '1s', FETCH_TIMEOUT: '1s' },
  });
  // The test's copy of the rules: the stale alert's `for:` of 10 minutes becomes 2 seconds.
  const rules = { groups: ruleGroups() };
  const stale = rules.groups.flatMap((group) => group.rules).find((rule) => rule.alert === 'S3ObjectCacheServingStale')!;
  stale.for = '2s';
  const prometheus = await startPrometheus(`127.0.0.1:${opsPort}`, rules);

  await waitFor('the target up', async () => (await prometheus.query('up{job="s3-object-cache"}'))[0]?.value[1] === '1', 15_000);
  const total = async () => Number((await prometheus.query('sum(s3_object_cache_http_requests_total{code="200"})'))[0]?.value[1] ?? 0);
  const before = await total();
  for (let index = 0; index < 60; index++) await (await request(`${service.url}/`, { reset: true })).body.dump(); // new connections: both threads
  await waitFor('Prometheus to count the 60 requests', async () => (await total()) >= before + 60, 10_000);
  const threads = await prometheus.query('sum by (thread) (s3_object_cache_http_thread_requests_total)');
  assert.equal(threads.map(({ metric }) => metric.thread).sort(), ['0', '1']);
  assert.ok(threads.every(({ value }) => Number(value[1]) > 0), `a thread served nothing: ${JSON.stringify(threads)}`);
  const difference = await prometheus.query('sum(s3_object_cache_http_requests_total) - sum(s3_object_cache_http_thread_requests_total)');
  assert.is(Number(difference[0]?.value[1]), 0, 'the totals by code and by thread disagree');

  const staleAlert = async () => (await prometheus.alerts()).find((alert) => alert.labels.alertname === 'S3ObjectCacheServingStale')?.state;
  assert.is(await staleAlert(), undefined);
  await store.stop();
  try {
    await waitFor('the stale alert pending', async () => (await staleAlert()) === 'pending', 15_000, 100);
    await waitFor('the stale alert firing', async () => (await staleAlert()) === 'firing', 10_000, 100);
  } finally {
    await store.start();
  }
  await waitFor('the stale alert resolved', async () => (await staleAlert()) === undefined, 15_000, 100);

  // Every metric the rules and the dashboard name is one the service exposes (a renamed metric fails here).
  const exposed = new Set(((await prometheus.get('/api/v1/label/__name__/values')).body.data as string[]));
  const named = [...ruleGroups().flatMap((group) => group.rules.flatMap((rule) => namesIn(rule.expr))), ...dashboardQueries().flatMap(namesIn)];
  // A memory limit is exposed only where the cgroup has one: this machine's may have none.
  const missing = [...new Set(named)].filter((name) => !exposed.has(name) && name !== 's3_object_cache_memory_limit_bytes');
  assert.equal(missing, [], `named but not exposed: ${missing.join(', ')}`);
  // And each dashboard query is one Prometheus parses (a bad one answers 400).
  for (const query of dashboardQueries()) {
    const { status, body } = await prometheus.get(`/api/v1/query?query=${encodeURIComponent(query)}`);
    assert.is(status, 200, `${query}: ${body.error}`);
  }
});

test.run();
