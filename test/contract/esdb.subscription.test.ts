/** The subscription cases (esdbSubscriptionCases.ts) with `@eventstore/db-client` 6.x. */
import { esdbSubscriptionCases } from './esdbSubscriptionCases.js';

esdbSubscriptionCases('eventstore');
