/**
 * Item 5 of issue 12 on PostgreSQL: an engine with the AES-256-GCM codec runs a saga end to
 * end on the suite's private cluster; no row of the schema holds the card number in plain text,
 * while event types and step names stay readable for SQL read models.
 */
import { describe, expect, it } from 'vitest';
import { createAesGcmCodec, createEngine } from '../../src/index.js';
import { openTestStore, rawClient } from '../support/postgresTestStore.js';
import { CARD, newKey, paymentSaga } from '../support/codecSaga.js';

describe('payload codec on PostgreSQL', () => {
  it('runs a compensating saga with the codec; the events table holds no plaintext card number', async () => {
    const store = await openTestStore();
    const codec = createAesGcmCodec({ keys: { k1: newKey() }, currentKeyId: 'k1' });
    const engine = await createEngine({ store, sagas: [paymentSaga], codec });
    try {
      const { sagaId } = await engine.start(paymentSaga, { card: CARD, amount: 10 });
      expect(await engine.result(sagaId)).toMatchObject({ status: 'compensated', failure: { code: 'DECLINED', message: `card ${CARD} declined` } });
      expect((await engine.replay(sagaId)).state?.input).toEqual({ card: CARD, amount: 10 });
      const client = await rawClient();
      try {
        const { rows } = await client.query<{ type: string; text: string }>(`SELECT type, data::text || metadata::text AS text FROM "${store.schema}".events`);
        expect(rows.map((r) => r.type)).toEqual(
          expect.arrayContaining(['SagaStarted', 'StepSucceeded', 'CheckpointRecorded', 'StepFailed', 'SagaCompensated']),
        );
        expect(rows.filter((r) => r.text.includes(CARD))).toEqual([]);
        expect(rows.find((r) => r.type === 'StepFailed')?.text).toContain('"code": "DECLINED"');
      } finally {
        await client.end();
      }
    } finally {
      await engine.close();
      await store.close();
    }
  });
});
