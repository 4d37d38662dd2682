// A real Ceph RADOS Gateway, booted from nothing by scripts/ceph-rgw.sh for the whole run;
// outages go through scripts/store-fault.sh, which stops or pauses only the gateway.
import { readFile } from 'node:fs/promises';
import { onCleanup, temporaryDirectory } from './cleanup.ts';
import { readExports, runScript } from './scripts.ts';
import { fixturesClient } from '../../scripts/fixtures-client.ts';
import type { TestStore } from './store.ts';

export async function startCephStore(): Promise<TestStore> {
  const directory = `${temporaryDirectory('ceph')}/cluster`;
  onCleanup(() => runScript('ceph-rgw.sh', ['destroy', directory]).then(() => undefined));
  const env = readExports(await runScript('ceph-rgw.sh', ['start', directory], 180_000));
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
    close: async () => void (await runScript('ceph-rgw.sh', ['destroy', directory])),
  };
}
