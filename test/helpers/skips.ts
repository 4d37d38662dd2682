// Tests that cannot run here are reported as skipped with the reason and what would let them run
// (a program and its install command, the other store), never left out and never a crash. The
// runner prints each reason under the closing line.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'uvu';

export interface Skip {
  test: string;
  reason: string;
}

/** The skips of the file running in this process, read by the runner when the file ends. */
export const skips: Skip[] = [];

type TestFunction = (name: string, handler: () => void | Promise<void>) => void;

/** `suite` itself, or, when there is a `reason` it cannot run here, one that skips each test with it. */
export function testUnless(reason: string | undefined, suite: TestFunction & { skip: () => void } = test): TestFunction {
  if (reason === undefined) return suite;
  return (name) => {
    skips.push({ test: name, reason });
    suite.skip();
  };
}

export function isOnPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((directory) => {
    try {
      accessSync(join(directory, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why a test needing `programs` cannot run here (the ones missing, and how to install them), or undefined when it can. */
export function programMissing(programs: string | string[], install: string): string | undefined {
  const missing = [programs].flat().filter((program) => !isOnPath(program));
  if (missing.length === 0) return undefined;
  const [are, them] = missing.length === 1 ? ['is', 'it'] : ['are', 'them'];
  return `needs ${missing.join(' and ')}, which ${are} not on PATH; install ${them} with: ${install}`;
}

/** Why a test needing Ceph RGW cannot run against this store, or undefined when it can. */
export function needsCeph(what: string, kind: string): string | undefined {
  return kind === 'ceph' ? undefined : `${what}; run it against Ceph RGW with: TEST_STORE=ceph npm test (installs ceph-mon ceph-osd radosgw)`;
}
