/**
 * The shared event-store contract against PostgreSQL, including the 100,000-event case.
 * Every store object the suite opens shares one schema on the suite's server.
 */
import { inject } from 'vitest';
import { createPostgresEventStore } from '../../src/stores/postgres/index.js';
import { describeEventStoreContract } from '../../src/testing/eventStoreContract.js';
import { freshSchema } from '../support/postgresTestStore.js';

const schema = freshSchema('contract');

describeEventStoreContract('postgres', () => createPostgresEventStore({ connectionString: inject('postgresUrl'), schema }), {
  large: true,
  openStreams: true,
  openStreamClaims: true,
});
