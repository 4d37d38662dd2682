// Main thread. STALE_IF_ERROR's bound: the object served may never be older than the bound,
// counted from the store's last confirmation. Each confirmation moves the deadline; reaching it
// ends the process (the caller's `exceeded`), so the supervisor takes over.
export interface StalenessBound {
  /** The store vouched for the object at `at` (ms since the epoch). */
  confirmed(at: number): void;
  stop(): void;
}

export function createStalenessBound(boundMs: number, exceeded: () => void, now: () => number = Date.now): StalenessBound {
  let timer: NodeJS.Timeout | undefined;
  return {
    confirmed(at) {
      clearTimeout(timer);
      timer = setTimeout(exceeded, Math.max(0, at + boundMs - now()));
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
