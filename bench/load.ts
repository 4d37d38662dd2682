// HTTP load with autocannon; latencies are taken from each response at microsecond precision
// (autocannon's own histogram rounds to whole milliseconds, too coarse for p99 ratios here).
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export function percentile(sorted: Float64Array | number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

export async function runLoad(options: {
  url: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  /** Fixed total rate; unset means as fast as the server answers. */
  ratePerSecond?: number;
  /** Paths each connection cycles through (unset: `url`'s). */
  paths?: string[];
}): Promise<LoadResult> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        headers: options.headers,
        ...(options.ratePerSecond === undefined ? {} : { overallRate: options.ratePerSecond }),
        ...(options.paths === undefined ? {} : { requests: options.paths.map((path) => ({ path })) }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  const sorted = Float64Array.from(times).sort();
  return {
    requestsPerSecond: times.length / options.durationSeconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
