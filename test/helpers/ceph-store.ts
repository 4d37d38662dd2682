// A real Ceph RADOS Gateway: the cluster test/run.ts booted for the run (TEST_CEPH_DIR, see
// test/runner/shared-ceph.ts); outages go through scripts/store-fault.sh, which stops or pauses
// only the gateway.
import { readFile } from 'node:fs/promises';
import { readExports, runScript } from './scripts.ts';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import type { TestStore } from './store.ts';

export async function cephStore(): Promise<TestStore> {
  const directory = process.env.TEST_CEPH_DIR;
  if (directory === undefined) throw new Error('TEST_STORE=ceph uses the cluster that test/run.ts boots: run the tests with npm test');
  const env = readExports(await runScript('ceph-rgw.sh', ['env', directory]));
  const fault = (action: string) => runScript('store-fault.sh', ['--ceph', directory, action]);
  const { CEPH_OUTSIDER_ACCESS_KEY_ID, CEPH_OUTSIDER_SECRET_ACCESS_KEY, CEPH_RGW_LOG, ...serviceEnv } = env;

  return {
    kind: 'ceph',
    serviceEnv,
    fixtures: fixturesClient(env.S3_ENDPOINT!, env.AWS_ACCESS_KEY_ID!, env.AWS_SECRET_ACCESS_KEY!),
    checksSignatures: true,
    replacesAtomically: true,
    outsider: { accessKeyId: CEPH_OUTSIDER_ACCESS_KEY_ID!, secretAccessKey: CEPH_OUTSIDER_SECRET_ACCESS_KEY! },
    stop: async () => void (await fault('stop')),
    start: async () => void (await fault('start')),
    pause: async () => void (await fault('pause')),
    resume: async () => void (await fault('resume')),
    async getCounts(key) {
      // The gateway's access lines: "GET /bucket/key?x-id=GetObject HTTP/1.1" 304 0 ...
      const log = await readFile(CEPH_RGW_LOG!, 'utf8');
      const statuses = [...log.matchAll(/"GET \/[^/ ]+\/([^? ]+)\S* HTTP\/1\.1" (\d{3})/g)]
        .filter(([, path]) => decodeURIComponent(path!) === key)
        .map(([, , status]) => status);
      return {
        withBody: statuses.filter((status) => status === '200').length,
        notModified: statuses.filter((status) => status === '304').length,
      };
    },
  };
}
