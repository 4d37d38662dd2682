import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { delayToNextSlot, RefreshLoop, retryDelay, type FetchOutcome } from '../../../src/worker/refresh-loop.ts';
import { waitFor } from '../../helpers/wait.ts';

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
  const answered: number[] = [];
  const fetchOnce = (signal: AbortSignal, answers: number) =>
    new Promise<FetchOutcome>((resolve) => {
      started++;
      running++;
      answered.push(answers);
      maxRunning = Math.max(maxRunning, running);
      const finish = () => {
        running--;
        resolve('succeeded');
      };
      finishers.push(finish);
      signal.addEventListener('abort', finish);
    });
  return {
    fetchOnce,
    started: () => started,
    answered,
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
    assert.equal(fetches.answered, [0, 2], 'the second fetch answers both requests');
  } finally {
    loop.stop();
  }
});

test('retries back off from 1 s, doubling, capped at the interval, with ±25% jitter', () => {
  assert.is(retryDelay(1, 60_000, () => 0.5), 1_000);
  assert.is(retryDelay(2, 60_000, () => 0.5), 2_000);
  assert.is(retryDelay(4, 60_000, () => 0.5), 8_000);
  assert.is(retryDelay(1, 60_000, () => 0), 750);
  assert.is(retryDelay(1, 60_000, () => 1), 1_250);
  assert.is(retryDelay(20, 60_000, () => 1), 60_000);
  assert.is(retryDelay(3, 2_500, () => 0.5), 2_500);
});

test('a failure answered with retry fetches again after the back-off; success resets it', async () => {
  const outcomes: FetchOutcome[] = ['retry', 'retry', 'succeeded'];
  const times: number[] = [];
  const loop = new RefreshLoop(async () => {
    times.push(performance.now());
    return outcomes.shift() ?? 'succeeded';
  }, 60_000);
  loop.start();
  try {
    await waitFor('two retries', () => times.length === 3, 5_000);
    const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
    assert.ok(gaps[0]! >= 700 && gaps[0]! < 1_400, `first retry after ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 1_450 && gaps[1]! < 2_700, `second retry after ${gaps[1]} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.is(times.length, 3, 'after a success, only the schedule fetches');
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
  const loop = new RefreshLoop(async (signal, answers) => {
    signal.addEventListener('abort', () => (aborted = true));
    return fetches.fetchOnce(signal, answers);
  }, 20);
  loop.start();
  loop.stop();
  assert.ok(aborted);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.is(fetches.started(), 1);
});

test.run();
