import { describeEventStoreContract } from '../../src/testing/eventStoreContract.js';
import { createInMemoryEventStore } from '../../src/stores/inMemory/index.js';

describeEventStoreContract('memory', () => createInMemoryEventStore(), { large: true, openStreams: true, openStreamClaims: true });
