// The Ceph RGW cluster of a TEST_STORE=ceph run: booted once by the runner (about 3 s, where each
// file booting its own cost about 10 s with its stop), shared by every file through TEST_CEPH_DIR,
// put right after each file (a file that failed mid-outage may have left the gateway stopped or
// paused), and destroyed at the end. Its daemons run in sessions of their own (scripts/ceph-rgw.sh),
// so they are the run's, never counted as a file's leftovers; files share it as they share any
// store, each with buckets of its own.
import { runScript } from '../helpers/scripts.ts';

export interface SharedCeph {
  /** For each file's environment. */
  env: { TEST_CEPH_DIR: string };
  /** After each file: the gateway running and answering. */
  restore(): Promise<void>;
  destroy(): Promise<void>;
}

export async function bootSharedCeph(runDirectory: string): Promise<SharedCeph> {
  const directory = `${runDirectory}/ceph`;
  try {
    await runScript('ceph-rgw.sh', ['start', directory], 180_000);
  } catch (error) {
    await runScript('ceph-rgw.sh', ['destroy', directory]).catch(() => undefined);
    throw error;
  }
  return {
    env: { TEST_CEPH_DIR: directory },
    restore: async () => void (await runScript('ceph-rgw.sh', ['gateway-ensure', directory])),
    destroy: async () => void (await runScript('ceph-rgw.sh', ['destroy', directory])),
  };
}
