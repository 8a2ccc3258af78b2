interface Timer {
  dueAt: number;
  run: () => void;
  handle: NodeJS.Timeout | undefined;
}

/**
 * Emulated time. It runs `timeScale` times faster than the wall clock so tests can fast-forward machine
 * state transitions and lease expiry while every timestamp the API returns stays consistent with them.
 */
export class Clock {
  #timeScale: number;
  #realAnchor = Date.now();
  #emulatedAnchor = Date.now();
  readonly #timers = new Set<Timer>();

  constructor(timeScale: number) {
    this.#timeScale = assertTimeScale(timeScale);
  }

  get timeScale(): number {
    return this.#timeScale;
  }

  /** Emulated epoch milliseconds. */
  now(): number {
    return Math.floor(this.#emulatedAnchor + (Date.now() - this.#realAnchor) * this.#timeScale);
  }

  setTimeScale(timeScale: number): void {
    const now = this.now();
    this.#timeScale = assertTimeScale(timeScale);
    this.#emulatedAnchor = now;
    this.#realAnchor = Date.now();
    // Pending timers keep their emulated due time, so they are re-armed at the new speed.
    for (const timer of this.#timers) this.#arm(timer);
  }

  /** Runs `run` after `delayMs` of emulated time; returns a cancel function. */
  schedule(delayMs: number, run: () => void): () => void {
    const timer: Timer = { dueAt: this.now() + delayMs, run, handle: undefined };
    this.#timers.add(timer);
    this.#arm(timer);
    return () => {
      clearTimeout(timer.handle);
      this.#timers.delete(timer);
    };
  }

  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer.handle);
    this.#timers.clear();
  }

  #arm(timer: Timer): void {
    clearTimeout(timer.handle);
    const realDelay = Math.max(0, (timer.dueAt - this.now()) / this.#timeScale);
    timer.handle = setTimeout(() => {
      this.#timers.delete(timer);
      timer.run();
    }, realDelay);
    timer.handle.unref();
  }
}

function assertTimeScale(timeScale: number): number {
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new RangeError("timeScale must be a positive number");
  return timeScale;
}
