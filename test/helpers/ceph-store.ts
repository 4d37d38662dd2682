import type { TestStore } from './store.ts';

export async function startCephStore(): Promise<TestStore> {
  throw new Error('TEST_STORE=ceph is not available yet');
}
