/** The subscription cases (esdbSubscriptionCases.ts) with `@kurrent/kurrentdb-client` 1.x. */
import { esdbSubscriptionCases } from './esdbSubscriptionCases.js';

esdbSubscriptionCases('kurrentdb');
