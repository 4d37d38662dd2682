// Reading the service's Prometheus metrics: a test waits on counters instead of debug log lines,
// so that services in tests run at the production log level.
import { request } from 'undici';

/** The value of one sample (`name` with its labels, as written), or undefined when absent. */
export function metricValue(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/**
 * Every metric, scraped on a new connection: with HTTP_THREADS the kernel picks a thread for each
 * one afresh, as for any client's new connection.
 */
export async function scrapeOnNewConnection(serviceUrl: string): Promise<string> {
  return (await request(`${serviceUrl}/-/metrics`, { reset: true })).body.text();
}

/** Requests answered by each thread of HTTP_THREADS=2 (0: the main thread). */
export function requestsByThread(metrics: string): number[] {
  return [0, 1].map((thread) => metricValue(metrics, `s3_object_cache_http_thread_requests_total{thread="${thread}"}`) ?? 0);
}

export async function scrapeMetric(metricsUrl: string, name: string): Promise<number | undefined> {
  return metricValue(await (await request(metricsUrl)).body.text(), name);
}
