/**
 * Stopping attempts in flight without an AbortController per attempt.
 *
 * An attempt is aborted when the engine's grace period ends, when the engine is killed, or when
 * another worker took it over (fenced). The engine keeps one registry of the attempts in flight
 * and aborts them all from one place; an attempt that ends removes itself and leaves nothing
 * behind. The AbortSignal that a step sees (`ctx.signal`) is made only if the step reads it:
 * most steps never do, and an AbortController plus the DOMException of its abort was 5-10 % of
 * an engine's CPU per saga.
 */

export class AttemptControl {
  private abortedWith: { reason: unknown } | undefined;
  private cancelledWith: { reason: unknown } | undefined;
  private controller: AbortController | undefined;
  private readonly listeners: ((reason: unknown) => void)[] = [];

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** The saga was cancelled during the attempt: its signal fired, but the attempt runs on to its outcome. */
  get cancelled(): boolean {
    return this.cancelledWith !== undefined;
  }

  /** The signal for user code, created on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      const fired = this.abortedWith ?? this.cancelledWith;
      if (fired) this.controller.abort(fired.reason);
    }
    return this.controller.signal;
  }

  /** Calls `listener` once when the attempt is aborted (at once if it already is). */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.abortedWith) listener(this.abortedWith.reason);
    else this.listeners.push(listener);
  }

  /**
   * Fires the step's signal without giving the attempt up: unlike `abort` (shutdown, kill,
   * fencing), the attempt's outcome — however the step ends — is still recorded.
   */
  cancel(reason: unknown): void {
    if (this.abortedWith || this.cancelledWith) return;
    this.cancelledWith = { reason };
    this.controller?.abort(reason);
  }

  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
    for (const listener of this.listeners.splice(0)) listener(reason);
  }
}

/** The attempts an engine has in flight, so that shutdown and kill reach them all. */
export class AttemptRegistry {
  private readonly inFlight = new Set<AttemptControl>();
  /** Step attempts (not compensations) by saga, for cancellation. */
  private readonly stepsBySaga = new Map<string, Set<AttemptControl>>();
  private stoppedWith: { reason: unknown } | undefined;

  /** Registers an attempt (a step's, when `stepOf` names its saga); returns the function that removes it when it ends. */
  add(control: AttemptControl, stepOf?: string): () => void {
    if (this.stoppedWith) control.abort(this.stoppedWith.reason);
    this.inFlight.add(control);
    if (stepOf === undefined) return () => void this.inFlight.delete(control);
    let steps = this.stepsBySaga.get(stepOf);
    if (!steps) {
      steps = new Set();
      this.stepsBySaga.set(stepOf, steps);
    }
    steps.add(control);
    return () => {
      this.inFlight.delete(control);
      steps.delete(control);
      if (steps.size === 0 && this.stepsBySaga.get(stepOf) === steps) this.stepsBySaga.delete(stepOf);
    };
  }

  /** Fires the signal of the saga's step attempts in flight (a compensation is never cancelled). */
  cancelSaga(sagaId: string, reason: unknown): void {
    for (const control of this.stepsBySaga.get(sagaId) ?? []) control.cancel(reason);
  }

  /** Aborts every attempt in flight, and every one registered later. */
  abortAll(reason: unknown): void {
    this.stoppedWith ??= { reason };
    for (const control of this.inFlight) control.abort(reason);
  }
}
