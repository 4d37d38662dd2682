import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { delayToNextSlot, RefreshLoop } from '../../src/worker/refresh-loop.ts';
import { waitFor } from '../helpers/wait.ts';

test('slots fall on start + n × interval, whatever the fetch took', () => {
  assert.is(delayToNextSlot(0, 60_000, 0), 60_000);
  assert.is(delayToNextSlot(0, 60_000, 1_500), 58_500);
  assert.is(delayToNextSlot(1_000, 60_000, 61_000), 60_000);
});

test('a slot missed by a long fetch is skipped, never run late', () => {
  assert.is(delayToNextSlot(0, 1_000, 2_300), 700);
});

/** A fetch that stays in flight until the test lets it finish. */
function controllableFetches() {
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  const finishers: Array<() => void> = [];
  const fetchOnce = (signal: AbortSignal) =>
    new Promise<boolean>((resolve) => {
      started++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      const finish = () => {
        running--;
        resolve(true);
      };
      finishers.push(finish);
      signal.addEventListener('abort', finish);
    });
  return {
    fetchOnce,
    started: () => started,
    maxRunning: () => maxRunning,
    finishOne: () => finishers.shift()?.(),
  };
}

test('an on-demand refresh during a fetch runs right after it, never beside it', async () => {
  const fetches = controllableFetches();
  const loop = new RefreshLoop(fetches.fetchOnce, 60_000);
  loop.start();
  try {
    assert.is(fetches.started(), 1);
    loop.refreshNow();
    loop.refreshNow(); // coalesced with the one before
    assert.is(fetches.started(), 1);
    fetches.finishOne();
    await waitFor('the queued refresh to start', () => fetches.started() === 2);
    fetches.finishOne();
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(fetches.started(), 2);
    assert.is(fetches.maxRunning(), 1);
  } finally {
    loop.stop();
  }
});

test('slots that fall during a long fetch are skipped', async () => {
  const fetches = controllableFetches();
  const loop = new RefreshLoop(fetches.fetchOnce, 20);
  loop.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100)); // five slots pass while the fetch hangs
    assert.is(fetches.started(), 1);
    fetches.finishOne();
    await waitFor('the next slot to fetch again', () => fetches.started() === 2, 1_000);
    assert.is(fetches.maxRunning(), 1);
  } finally {
    loop.stop();
  }
});

test('stop aborts the fetch in flight and ends the schedule', async () => {
  const fetches = controllableFetches();
  let aborted = false;
  const loop = new RefreshLoop(async (signal) => {
    signal.addEventListener('abort', () => (aborted = true));
    return fetches.fetchOnce(signal);
  }, 20);
  loop.start();
  loop.stop();
  assert.ok(aborted);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.is(fetches.started(), 1);
});

test.run();
