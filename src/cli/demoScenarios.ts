/**
 * The four orders the demo runs, each with the faults planted in the participants before it
 * starts: a clean run, transient failures, a permanent failure, a compensation that keeps
 * failing.
 */
import type { ExampleSagaOptions, OrderFulfilmentParticipants, OrderInput } from '../../sagas/index.js';

/** One demo run. */
export interface DemoScenario {
  label: string;
  title: string;
  input: OrderInput;
  /** Plants this scenario's faults; the demo clears them afterwards. */
  arrange(participants: OrderFulfilmentParticipants): void;
}

/**
 * Small delays so the demo takes about a second. Jitter is off so the doubling of the backoff
 * is plain to see; production policies should keep the default full jitter.
 */
export const DEMO_POLICIES: ExampleSagaOptions = {
  retry: { immediateAttempts: 1, maxAttempts: 5, initialDelayMs: 100, backoff: 2, maxDelayMs: 1_000, jitter: 'none' },
  compensationRetry: { immediateAttempts: 1, maxAttempts: 4, initialDelayMs: 50, backoff: 2, maxDelayMs: 1_000, jitter: 'none' },
};

function order(n: number, lines: OrderInput['lines'], amountCents: number): OrderInput {
  return { orderId: `order-${n}`, customerId: `customer-${n % 7}`, lines, amountCents, address: `${n} Harbour Street, Lisbon` };
}

/** (a) completes, (b) retries, (c) compensates, (d) parks. */
export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  {
    label: 'a',
    title: 'An order that completes',
    input: order(1001, [{ sku: 'widget', quantity: 2 }], 4_998),
    arrange: () => {},
  },
  {
    label: 'b',
    title: 'The payment gateway times out 3 times: retried at once, then with backoff (100ms, 200ms)',
    input: order(1002, [{ sku: 'gadget', quantity: 1 }], 1_999),
    arrange: (p) =>
      p.payments.faults.inject('charge', { kind: 'transient', times: 3, code: 'GATEWAY_TIMEOUT', message: 'payment gateway did not answer in time' }),
  },
  {
    label: 'c',
    title: 'The carrier rejects the address (permanent): refund, then release the stock, in reverse order',
    input: order(
      1003,
      [
        { sku: 'widget', quantity: 1 },
        { sku: 'gadget', quantity: 2 },
      ],
      7_497,
    ),
    arrange: (p) => p.shipping.faults.inject('create', { kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE', message: 'no such street' }),
  },
  {
    label: 'd',
    title: 'The carrier rejects the order and the refund keeps failing: parked, needs attention',
    input: order(1004, [{ sku: 'widget', quantity: 3 }], 14_997),
    arrange: (p) => {
      p.shipping.faults.inject('create', { kind: 'permanent', code: 'ADDRESS_UNDELIVERABLE', message: 'no such street' });
      p.payments.faults.inject('refund', { kind: 'transient', code: 'BANK_OFFLINE', message: 'acquiring bank is offline' });
    },
  },
];
