// The monitoring files agree with each other: the PrometheusRule of the Kubernetes component holds
// exactly the groups of deploy/prometheus/rules.yaml, and the ServiceMonitor scrapes where the
// Deployment serves its metrics.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => parse(readFileSync(`${root}${path}`, 'utf8'));

test('the PrometheusRule carries exactly the groups of deploy/prometheus/rules.yaml', () => {
  assert.equal(read('deploy/kubernetes/monitoring/prometheusrule.yaml').spec.groups, read('deploy/prometheus/rules.yaml').groups);
});

test('the ServiceMonitor scrapes the operations port and path the Deployment serves metrics on', () => {
  const container = read('deploy/kubernetes/deployment.yaml').spec.template.spec.containers[0];
  const opsPort = container.ports.find((port: { name: string }) => port.name === 'ops').containerPort;
  assert.is(container.env.find((env: { name: string }) => env.name === 'OPS_PORT').value, String(opsPort));
  const metricsService = read('deploy/kubernetes/monitoring/metrics-service.yaml');
  assert.equal(metricsService.spec.ports, [{ name: 'ops', port: opsPort, targetPort: 'ops' }]);
  const [endpoint] = read('deploy/kubernetes/monitoring/servicemonitor.yaml').spec.endpoints;
  assert.equal([endpoint.port, endpoint.path], ['ops', '/-/metrics']);
});

test.run();
