// Main thread. Refresh requests (POST /refresh, SIGHUP) waiting for the fetch that answers them.
// The worker says, with each outcome, how many of the requests it was sent this fetch answers;
// requests are answered in the order they were made.
import type { RefreshOutcome, RefreshRequest } from '../serving-protocol.ts';

export class RefreshRequests {
  private readonly waiting: Array<(outcome: RefreshOutcome) => void> = [];

  add(): RefreshRequest {
    return { outcome: new Promise<RefreshOutcome>((resolve) => this.waiting.push(resolve)) };
  }

  /** Answers the `count` oldest requests. */
  answer(count: number, outcome: RefreshOutcome): void {
    for (const answer of this.waiting.splice(0, count)) answer(outcome);
  }
}
