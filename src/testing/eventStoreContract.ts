/**
 * The event-store conformance suite: one set of vitest cases every adapter must pass
 * (memory and SQLite in unit runs, PostgreSQL and EventStoreDB in integration runs).
 *
 * Every case works on its own `saga-<uuid v7>…` streams and reads "all" only after a marker
 * position or under its own prefix, so the suite runs against a shared server, in parallel
 * with other suites.
 *
 * Imports `vitest`: load it only from vitest test files.
 *
 * @module sagaflow/testing/contract
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_BYTES, type EventStore } from '../stores/eventStore.js';
import { appendCases } from './storeContract/appendCases.js';
import { concurrencyCases } from './storeContract/concurrencyCases.js';
import type { ContractContext, EventStoreContractOptions } from './storeContract/contractContext.js';
import { largeCase } from './storeContract/largeCase.js';
import { openStreamCases } from './storeContract/openStreamCases.js';
import { openStreamClaimCases } from './storeContract/openStreamClaimCases.js';
import { readCases } from './storeContract/readCases.js';
import { subscriptionCases } from './storeContract/subscriptionCases.js';
import { validationCases } from './storeContract/validationCases.js';

export type { EventStoreContractOptions } from './storeContract/contractContext.js';

/**
 * Declares the contract suite for one adapter. Call it at the top level of a test file:
 *
 * ```ts
 * describeEventStoreContract('sqlite', () => createSqliteEventStore({ path }), { large: true });
 * ```
 *
 * `makeStore` is called once for the suite's shared store (closed after the suite) and once
 * more by each close case (which closes its own store). Each call must return a store over
 * the same data where that is possible (one file, one server); the cases do not rely on it.
 */
export function describeEventStoreContract(name: string, makeStore: () => Promise<EventStore> | EventStore, options: EventStoreContractOptions = {}): void {
  const resolved: Required<EventStoreContractOptions> = {
    large: options.large ?? false,
    largeEventCount: options.largeEventCount ?? 100_000,
    largeTimeoutMs: options.largeTimeoutMs ?? 300_000,
    maxEventBytes: options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 10_000,
    openStreams: options.openStreams ?? false,
    openStreamClaims: options.openStreamClaims ?? false,
  };
  let shared: EventStore | undefined;
  const ctx: ContractContext = {
    get store(): EventStore {
      if (!shared) throw new Error('The contract store is not open (beforeAll failed?).');
      return shared;
    },
    makeStore: async () => makeStore(),
    options: resolved,
  };

  describe(`EventStore contract: ${name}`, () => {
    beforeAll(async () => {
      shared = await makeStore();
    });
    afterAll(async () => {
      await shared?.close();
    });

    appendCases(ctx);
    readCases(ctx);
    concurrencyCases(ctx);
    subscriptionCases(ctx);
    validationCases(ctx);
    it(`${resolved.openStreams ? 'keeps' : 'does not keep'} an open-stream index, as declared (openStreams: ${resolved.openStreams})`, () => {
      expect(ctx.store.openStreams !== undefined).toBe(resolved.openStreams);
    });
    if (resolved.openStreams) openStreamCases(ctx);
    it(`${resolved.openStreamClaims ? 'claims' : 'does not claim'} open streams, as declared (openStreamClaims: ${resolved.openStreamClaims})`, () => {
      expect(ctx.store.openStreams?.claim !== undefined).toBe(resolved.openStreamClaims);
    });
    if (resolved.openStreamClaims) openStreamClaimCases(ctx);
    if (resolved.large) largeCase(ctx);
  });
}
