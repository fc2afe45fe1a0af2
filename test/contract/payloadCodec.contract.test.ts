/**
 * The payload codec's store decorator is a faithful store: the whole conformance suite passes
 * through it on a SQLite file (every port member, the open-stream index, subscriptions,
 * idempotent re-appends), so putting a codec in front of a store changes no guarantee.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createAesGcmCodec, withPayloadCodec } from '../../src/index.js';
import { createSqliteEventStore } from '../../src/stores/sqlite/index.js';
import { describeEventStoreContract } from '../../src/testing/eventStoreContract.js';

const dir = mkdtempSync(join(tmpdir(), 'sagaflow-codec-contract-'));
const path = join(dir, 'events.db');
const codec = createAesGcmCodec({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });

describeEventStoreContract('sqlite through a payload codec', () => withPayloadCodec(createSqliteEventStore({ path }), codec), {
  large: true,
  openStreams: true,
  openStreamClaims: true,
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
