// Main thread. Refresh requests (POST /refresh, SIGHUP) waiting for the fetch that answers them.
// The worker says, with each outcome, how many of the requests it was sent this fetch answers;
// requests are answered in the order they were made.
export type RefreshOutcome =
  | { outcome: 'changed' | 'unchanged'; etag: string | undefined; size: number }
  | { outcome: 'failed'; error: string };

interface Waiter {
  answer: (outcome: RefreshOutcome) => void;
  /** Resolves once the answer has been sent to whoever asked. */
  sent: Promise<void>;
}

export interface RefreshRequest {
  outcome: Promise<RefreshOutcome>;
  /** Whoever waits calls this once it has passed the outcome on (an HTTP answer written). */
  answered(): void;
}

export class RefreshRequests {
  private readonly waiting: Waiter[] = [];

  add(): RefreshRequest {
    let answer!: (outcome: RefreshOutcome) => void;
    let answered!: () => void;
    const outcome = new Promise<RefreshOutcome>((resolve) => (answer = resolve));
    const sent = new Promise<void>((resolve) => (answered = resolve));
    this.waiting.push({ answer, sent });
    return { outcome, answered };
  }

  /** Answers the `count` oldest requests; resolves once each answer has been passed on. */
  answer(count: number, outcome: RefreshOutcome): Promise<void> {
    const answered = this.waiting.splice(0, count);
    for (const waiter of answered) waiter.answer(outcome);
    return Promise.all(answered.map((waiter) => waiter.sent)).then(() => undefined);
  }
}
