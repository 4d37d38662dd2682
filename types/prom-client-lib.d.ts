// prom-client's own modules, imported one by one by src/main/metrics.ts: its index also loads the
// Pushgateway (node:https, node:zlib) and the cluster aggregator (node:cluster), which this
// service never uses (README, "Memory"); and of its default metrics some are left out. Their
// types are the index's.
declare module 'prom-client/lib/registry.js' {
  import { Registry } from 'prom-client';
  export = Registry;
}
declare module 'prom-client/lib/counter.js' {
  import { Counter } from 'prom-client';
  export = Counter;
}
declare module 'prom-client/lib/gauge.js' {
  import { Gauge } from 'prom-client';
  export = Gauge;
}
// Each default metric's module: a function that registers its metrics.
declare module 'prom-client/lib/metrics/*.js' {
  import type { DefaultMetricsCollectorConfiguration, Registry } from 'prom-client';
  const collect: (registry: Registry, config?: Omit<DefaultMetricsCollectorConfiguration<'text/plain; version=0.0.4; charset=utf-8'>, 'register'>) => void;
  export = collect;
}
