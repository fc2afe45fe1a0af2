import { describe, expect, it } from 'vitest';
import { CorruptedEventError, ErrorCode, isSagaError, parseSagaEvent, PermanentError, SagaError } from '../../../src/core/index.js';

const where = { streamId: 'saga-abc', revision: 7 };

describe('stored events are validated on read', () => {
  it('an unknown event type is a CorruptedEventError naming the stream and revision', () => {
    const error = (() => {
      try {
        parseSagaEvent({ type: 'StepTeleported', data: {} }, where);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CorruptedEventError);
    expect((error as CorruptedEventError).code).toBe(ErrorCode.EventCorrupted);
    expect((error as Error).message).toMatch(/saga-abc at revision 7/);
  });

  it('malformed data names the field', () => {
    expect(() => parseSagaEvent({ type: 'StepStarted', data: { step: 's', attempt: 0, worker: 'w', leaseUntil: 1, at: 1 } }, where)).toThrow(/attempt/);
  });

  it('a newer schema version asks to upgrade instead of guessing', () => {
    expect(() => parseSagaEvent({ type: 'SagaCompensated', data: { at: 1 }, metadata: { schemaVersion: 99 } }, where)).toThrow(/Upgrade sagaflow/);
  });

  it('errors are recognised across package copies by their brand, and carry a stable code', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('sagaflow.error')]: true, code: 'PERMANENT' });
    expect(isSagaError(foreign)).toBe(true);
    const e = new PermanentError('declined', { cause: new Error('card') });
    expect(e).toBeInstanceOf(SagaError);
    expect(e.name).toBe('PermanentError');
    expect(e.code).toBe('PERMANENT');
    expect(e.cause).toBeInstanceOf(Error);
  });
});
