// Reading the service's Prometheus metrics: a test waits on counters instead of debug log lines,
// so that services in tests run at the production log level.
import { request } from 'undici';

/** The value of one sample (`name` with its labels, as written), or undefined when absent. */
export function metricValue(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

export async function scrapeMetric(metricsUrl: string, name: string): Promise<number | undefined> {
  return metricValue(await (await request(metricsUrl)).body.text(), name);
}
