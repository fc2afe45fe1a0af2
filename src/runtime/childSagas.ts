/**
 * Performs the steps `.child` declares (definition/childStep.ts): starting a child and waiting
 * until it has finished its steps, compensating it, and committing every child at the end.
 * Each is an ordinary attempt of an ordinary step: idempotent (one child id per parent and
 * step, one verdict signal id per child), so a retried or taken-over attempt just does it again.
 */
import { v5 as uuidv5 } from 'uuid';
import { ChildSagaFailedError, isSagaError, PartialFailure, PermanentError, TransientError } from '../core/errors.js';
import type { ParentLink } from '../core/events.js';
import type { SagaState } from '../core/sagaState.js';
import { findStep } from '../core/sagaState.js';
import { PARENT_VERDICT_SIGNAL, type ParentVerdict, RESERVED_STEP_PREFIX, VERDICT_STEP, childStepsOf } from '../definition/childStep.js';
import type { AnySagaDefinition, StepDefinition } from '../definition/defineSaga.js';
import type { StepContext } from '../definition/stepContext.js';

/** Fixed namespace for idempotency-keyed saga ids (UUID v5 of `<saga>:<key>`), shared with `engine.start`. */
export const IDEMPOTENCY_NAMESPACE = '6f1c7d0e-53c2-4b8e-9a55-0c6f4b7e2a10';

/** The id of a saga started with an idempotency key: the same for the same name and key. */
export function idempotentSagaId(saga: string, key: string): string {
  return uuidv5(`${saga}:${key}`, IDEMPOTENCY_NAMESPACE);
}

/** The idempotency key a parent's step starts its child with: one child per parent and step. */
export function childIdempotencyKey(parentSagaId: string, step: string): string {
  return `child:${parentSagaId}:${step}`;
}

/** The id of the child that step `step` of saga `parentSagaId` starts: fixed before it exists. */
export function childSagaId(parentSagaId: string, step: string, childSaga: string): string {
  return idempotentSagaId(childSaga, childIdempotencyKey(parentSagaId, step));
}

/** The id of the one verdict a parent sends a child: a second verdict is a duplicate, applied never. */
export function verdictSignalId(childId: string): string {
  return `sagaflow.verdict:${childId}`;
}

/** What performing child steps needs from the engine. */
export interface ChildSagaHost {
  /** Starts the child (idempotently: its key is fixed by parent and step) and drives it; resolves with its id. */
  startChild(definition: AnySagaDefinition, input: unknown, parent: ParentLink): Promise<string>;
  /** Creates the child's stream already cancelled (it will run nothing), unless it exists. */
  startCancelled(definition: AnySagaDefinition, input: unknown, parent: ParentLink, reason: string): Promise<void>;
  /** The child's state; undefined when it has no stream. */
  state(sagaId: string): Promise<SagaState | undefined>;
  /** `engine.signal`. */
  signal(sagaId: string, name: string, payload: unknown, options: { signalId: string }): Promise<unknown>;
  /** `engine.cancel`. */
  cancel(sagaId: string, reason: string): Promise<boolean>;
  /** Runs `wait` without holding one of the engine's drive slots (the child may need it). */
  outsideSlot<T>(wait: () => Promise<T>): Promise<T>;
  /** Resolves at the next local append to `sagaId`, after `ms` at most, or when `signal` fires. */
  changed(sagaId: string, ms: number, signal: AbortSignal): Promise<void>;
}

/** How often a child run by another process is read again while a step waits for it, in ms. */
const POLL_MS = 200;

/** The child's outputs, without the engine's own steps. */
function ownOutputs(state: SagaState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state.outputs).filter(([k]) => !k.startsWith(RESERVED_STEP_PREFIX)));
}

/** The child has done its own steps: it waits for (or has) its verdict. */
function finishedItsSteps(state: SagaState): boolean {
  const verdict = findStep(state, VERDICT_STEP)?.status;
  return state.status === 'running' && state.cancelRequested === null && (verdict === 'running' || verdict === 'succeeded');
}

function failed(state: SagaState, link: ParentLink): ChildSagaFailedError {
  const why = state.failure ? `${state.failure.step ?? 'the saga'} failed: ${state.failure.code}: ${state.failure.message}` : 'it was cancelled';
  return new ChildSagaFailedError(`child saga ${state.saga} ${state.sagaId} of step ${link.step} ended ${state.status} (${why})`, {
    details: { childSagaId: state.sagaId, childSaga: state.saga, status: state.status, failure: state.failure },
  });
}

function parked(state: SagaState, link: ParentLink): PartialFailure {
  return new PartialFailure(
    `child saga ${state.saga} ${state.sagaId} of step ${link.step} is parked (${state.failure?.message ?? 'needs attention'}): resume it (\`sagaflow resume ${state.sagaId}\`)`,
    { details: { code: 'CHILD_SAGA_PARKED', childSagaId: state.sagaId, childSaga: state.saga, status: state.status, failure: state.failure } },
  );
}

/** Performs `.child` steps, their compensations and the commit step. */
export class ChildSagas {
  constructor(private readonly host: ChildSagaHost) {}

  /** Waits until `done(state)` answers, reading the child again on each local append and every POLL_MS. */
  private async until<T>(sagaId: string, signal: AbortSignal, done: (state: SagaState | undefined) => T | undefined): Promise<T> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const answer = done(await this.host.state(sagaId));
      if (answer !== undefined) return answer;
      await this.host.changed(sagaId, POLL_MS, signal);
    }
  }

  private link(step: StepDefinition, ctx: StepContext<unknown, Record<string, unknown>>): ParentLink {
    const child = step.child;
    if (!child) throw new Error(`bug: step ${step.name} is not a child step`);
    return { sagaId: ctx.sagaId, saga: ctx.saga, step: step.name, verdictTimeoutMs: child.verdictTimeoutMs };
  }

  /** The step's action: start the child (once), then wait until it finished its steps; its outputs are the step's. */
  run(step: StepDefinition, ctx: StepContext<unknown, Record<string, unknown>>): Promise<Record<string, unknown>> {
    // Starting and waiting for a child need no drive slot, and the child's own drive needs one.
    return this.host.outsideSlot(() => this.startAndWait(step, ctx));
  }

  private async startAndWait(step: StepDefinition, ctx: StepContext<unknown, Record<string, unknown>>): Promise<Record<string, unknown>> {
    const link = this.link(step, ctx);
    const child = step.child as NonNullable<StepDefinition['child']>;
    const input = await child.input(ctx);
    // Stopped (cancelled) before the child exists: start none; the compensation makes sure none starts.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const id = await this.host.startChild(child.saga, input, link);
    return this.until(id, ctx.signal, (state) => {
      if (!state) return undefined;
      if (finishedItsSteps(state) || state.status === 'completed') return ownOutputs(state);
      if (state.status === 'compensated') throw failed(state, link);
      // Parked: what it did is not all undone yet, so this step counts as partly applied and is
      // compensated too, which waits (retrying, then parking this saga) until an operator resumes the child.
      if (state.status === 'failed') throw parked(state, link);
      return undefined;
    });
  }

  /**
   * The step's compensation: the child undoes what it did. A child waiting for its verdict gets
   * `compensate`; one still running its steps (this saga was cancelled, or the step timed out)
   * is cancelled; one that was never started is created cancelled, so a start still under way
   * from an aborted attempt finds it and starts nothing. Then wait until it ended compensated.
   */
  compensate(step: StepDefinition, ctx: StepContext<unknown, Record<string, unknown>>): Promise<void> {
    return this.host.outsideSlot(() => this.undo(step, ctx));
  }

  private async undo(step: StepDefinition, ctx: StepContext<unknown, Record<string, unknown>>): Promise<void> {
    const link = this.link(step, ctx);
    const child = step.child as NonNullable<StepDefinition['child']>;
    const id = childSagaId(ctx.sagaId, step.name, child.saga.name);
    const reason = `parent saga ${ctx.sagaId} (${ctx.saga}) compensates step ${step.name}`;
    const current = await this.host.state(id);
    if (!current) await this.host.startCancelled(child.saga, await child.input(ctx), link, reason);
    else if (finishedItsSteps(current)) await this.verdict(id, 'compensate');
    else if (current.status === 'running') await this.host.cancel(id, reason);
    await this.until(id, ctx.signal, (state) => {
      if (!state) return undefined;
      if (state.status === 'compensated') return true;
      if (state.status === 'completed')
        throw new PermanentError(`child saga ${id} of step ${step.name} has completed (it was committed): it cannot be compensated any more`, {
          details: { code: 'CHILD_SAGA_COMMITTED', childSagaId: id },
        });
      if (state.status === 'failed')
        throw new TransientError(`child saga ${id} of step ${step.name} is parked: resume it (\`sagaflow resume ${id}\`) so it can finish compensating`, {
          details: { code: 'CHILD_SAGA_PARKED', childSagaId: id },
        });
      // Between our reading and our signal the child may have reached its verdict wait (a cancel) or
      // left it (a signal): send again what fits now; both are idempotent.
      if (finishedItsSteps(state) && !state.signals?.received.includes(verdictSignalId(id))) void this.verdict(id, 'compensate').catch(() => {});
      return undefined;
    });
  }

  /** The commit step: every child this saga kept gets `commit`; wait until each has completed. */
  commit(definition: AnySagaDefinition, state: SagaState, ctx: StepContext<unknown, Record<string, unknown>>): Promise<null> {
    return this.host.outsideSlot(() => this.commitAll(definition, state, ctx));
  }

  private async commitAll(definition: AnySagaDefinition, state: SagaState, ctx: StepContext<unknown, Record<string, unknown>>): Promise<null> {
    for (const step of childStepsOf(definition)) {
      if (!state.succeeded.includes(step.name)) continue; // skipped (optional): the child compensated itself
      const id = childSagaId(ctx.sagaId, step.name, (step.child as NonNullable<StepDefinition['child']>).saga.name);
      await this.verdict(id, 'commit');
      await this.until(id, ctx.signal, (child) => {
        if (child?.status === 'completed') return true;
        if (child?.status === 'compensated')
          throw new PermanentError(`child saga ${id} of step ${step.name} compensated itself before the commit (its verdict timed out?)`, {
            details: { code: 'CHILD_SAGA_COMPENSATED', childSagaId: id },
          });
        if (child?.status === 'failed')
          throw new TransientError(`child saga ${id} of step ${step.name} is parked: resume it`, { details: { childSagaId: id } });
        return undefined;
      });
    }
    return null;
  }

  /** Sends the child its one verdict; a child that has it, or has ended, needs none. */
  private async verdict(childId: string, verdict: ParentVerdict): Promise<void> {
    try {
      await this.host.signal(childId, PARENT_VERDICT_SIGNAL, { verdict }, { signalId: verdictSignalId(childId) });
    } catch (error) {
      // Ended, or cancelled meanwhile: the wait that follows reads how it ended.
      if (isSagaError(error) && (error.code === 'SAGA_FINISHED' || error.code === 'SIGNAL_NOT_AWAITED')) return;
      throw error;
    }
  }
}
