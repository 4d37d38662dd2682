#!/usr/bin/env node
// Validates the manifests in deploy/kubernetes against the Kubernetes API's JSON schemas (from
// the kubernetes-models package), offline: every document, every field, no cluster needed.
//
//   node scripts/validate-kubernetes.ts [DIR]    (default deploy/kubernetes; exit 1 on a problem)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const directory = process.argv[2] ?? new URL('../deploy/kubernetes', import.meta.url).pathname;
const kustomization = parseAllDocuments(readFileSync(join(directory, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
  resources: string[];
};

let problems = 0;
for (const file of kustomization.resources) {
  for (const document of parseAllDocuments(readFileSync(join(directory, file), 'utf8'))) {
    const manifest = document.toJS() as { apiVersion: string; kind: string; metadata?: { name?: string } };
    const what = `${file}: ${manifest.kind} ${manifest.metadata?.name ?? '(no name)'}`;
    try {
      // apps/v1 -> kubernetes-models/apps/v1; v1 (the core group) -> kubernetes-models/v1
      const models = (await import(`kubernetes-models/${manifest.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
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
process.exit(problems === 0 ? 0 : 1);
