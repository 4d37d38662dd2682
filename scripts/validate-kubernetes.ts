#!/usr/bin/env node
// Validates the manifests against the Kubernetes API's JSON schemas (from the kubernetes-models
// package) and the Prometheus Operator's (ServiceMonitor, PrometheusRule: from
// @kubernetes-models/prometheus-operator), offline: every document, every field, no cluster needed.
//
//   node scripts/validate-kubernetes.ts [DIR...]   (default deploy/kubernetes and its monitoring
//                                                   component; exit 1 on a problem)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const deploy = new URL('../deploy/kubernetes', import.meta.url).pathname;
const directories = process.argv.length > 2 ? process.argv.slice(2) : [deploy, join(deploy, 'monitoring')];

/** Where the models of an API group live: the core API's package, or the operator's CRDs. */
const modelsOf = (apiVersion: string) =>
  apiVersion.startsWith('monitoring.coreos.com/') ? `@kubernetes-models/prometheus-operator/${apiVersion}` : `kubernetes-models/${apiVersion}`;

let problems = 0;
for (const directory of directories) {
  const kustomization = parseAllDocuments(readFileSync(join(directory, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
  for (const resource of kustomization.resources) await validateFile(join(directory, resource));
}

async function validateFile(path: string): Promise<void> {
  const file = path.slice(path.indexOf('deploy/'));
  for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
    const manifest = document.toJS() as { apiVersion: string; kind: string; metadata?: { name?: string } };
    const what = `${file}: ${manifest.kind} ${manifest.metadata?.name ?? '(no name)'}`;
    try {
      // apps/v1 -> kubernetes-models/apps/v1; v1 (the core group) -> kubernetes-models/v1
      const models = (await import(modelsOf(manifest.apiVersion))) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = models[manifest.kind];
      if (Model === undefined) throw new Error(`unknown kind ${manifest.kind} in ${manifest.apiVersion}`);
      new Model(manifest).validate();
      console.log(`valid: ${what}`);
    } catch (error) {
      problems++;
      console.error(`invalid: ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
process.exitCode = problems === 0 ? 0 : 1;
