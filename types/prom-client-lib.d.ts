// prom-client's own modules, imported one by one by src/main/metrics.ts: its index also loads the
// Pushgateway (node:https, node:zlib) and the cluster aggregator (node:cluster), which this
// service never uses (README, "Memory"). Their types are the index's.
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
declare module 'prom-client/lib/defaultMetrics.js' {
  import { collectDefaultMetrics } from 'prom-client';
  export = collectDefaultMetrics;
}
