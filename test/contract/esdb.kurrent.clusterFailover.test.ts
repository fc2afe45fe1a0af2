/** The leader change under load (esdbClusterCases.ts) with `@kurrent/kurrentdb-client` 1.x. */
import { clusterFailoverCases } from './esdbClusterCases.js';

clusterFailoverCases('kurrentdb');
