import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { newId } from '../../../src/runtime/ids.js';

describe('newId: UUID v7 ids for sagas and events', () => {
  it('is a valid RFC 9562 UUID of version 7 with the 10 variant, in lower case', () => {
    for (let i = 0; i < 2_000; i++) {
      const id = newId();
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('carries the 48-bit Unix ms timestamp it was made at, so ids of later ms sort later', () => {
    const at = Date.UTC(2026, 11, 2, 15, 0, 0, 123);
    const id = newId(at);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    expect(newId(2 ** 48 - 1).slice(0, 13)).toBe('ffffffff-ffff');
    expect(newId(0).slice(0, 13)).toBe('00000000-0000');
    expect(newId(at) < newId(at + 1)).toBe(true);
  });

  it('never repeats across pool refills (the random bytes are drawn afresh)', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId(1_700_000_000_000)));
    expect(ids.size).toBe(20_000);
  });
});
