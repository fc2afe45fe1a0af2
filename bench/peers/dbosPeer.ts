/**
 * DBOS Transact 5.3 as a contender: the same two sagas as workflows of three steps, on the
 * bench's PostgreSQL cluster (its system database `dbos_bench`, created by DBOS on first
 * launch). Compensation is written the way DBOS documents it: a try/catch in the workflow that
 * runs compensation steps in reverse. Steps have DBOS's default `retriesAllowed: false`, so the
 * third step's throw fails it at once, like sagaflow's PermanentError.
 *
 * A fresh system schema per run (`systemDatabaseSchemaName`), as sagaflow gets a fresh schema:
 * each run is DBOS.shutdown({ deregister }) → register → setConfig → launch, all untimed.
 */
import type { Contender, SagaKind } from '../contender.js';
import { checkCompensations } from '../benchSagas.js';
import { peerVersion } from './installPeers.js';
import { loadPeerModule, type DbosSdk } from './sdkShapes.js';

type Outcome = { status: 'completed' } | { status: 'compensated'; compensated: string[] };
type Workflow = (i: number) => Promise<Outcome>;

function defineWorkflows(DBOS: DbosSdk['DBOS']): Record<SagaKind, Workflow> {
  const reserve = DBOS.registerStep(async (i: number) => ({ id: i }), { name: 'reserve' });
  const charge = DBOS.registerStep(async () => ({ paid: true }), { name: 'charge' });
  const ship = DBOS.registerStep(async () => 'shipped', { name: 'ship' });
  const shipRefused = DBOS.registerStep(
    async (): Promise<string> => {
      throw new Error('carrier refused the parcel');
    },
    { name: 'shipRefused' },
  );
  const releaseReservation = DBOS.registerStep(async () => 'released', { name: 'releaseReservation' });
  const refund = DBOS.registerStep(async () => 'refunded', { name: 'refund' });

  const threeSteps = DBOS.registerWorkflow(
    async (i: number): Promise<Outcome> => {
      await reserve(i);
      await charge();
      await ship();
      return { status: 'completed' };
    },
    { name: 'threeSteps' },
  );

  const compensating = DBOS.registerWorkflow(
    async (i: number): Promise<Outcome> => {
      const compensations: { step: string; run: () => Promise<unknown> }[] = [];
      try {
        await reserve(i);
        compensations.push({ step: 'reserve', run: releaseReservation });
        await charge();
        compensations.push({ step: 'charge', run: refund });
        await shipRefused();
        return { status: 'completed' };
      } catch {
        const compensated: string[] = [];
        for (const c of compensations.reverse()) {
          await c.run();
          compensated.push(c.step);
        }
        return { status: 'compensated', compensated };
      }
    },
    { name: 'compensating' },
  );
  return { threeSteps, compensating };
}

export async function createDbosContender(systemDatabaseUrl: string): Promise<Contender & { version: string }> {
  const { DBOS } = await loadPeerModule<DbosSdk>('@dbos-inc/dbos-sdk');
  const version = peerVersion('@dbos-inc/dbos-sdk');
  let workflows: Record<SagaKind, Workflow> | undefined;
  let launched = false;
  const shutdown = async (): Promise<void> => {
    if (launched) await DBOS.shutdown({ deregister: true });
    launched = false;
    workflows = undefined;
  };
  return {
    name: 'DBOS Transact',
    version: `@dbos-inc/dbos-sdk ${version}`,
    async prepare(runId) {
      await shutdown();
      workflows = defineWorkflows(DBOS);
      DBOS.setConfig({
        name: 'sagaflow-bench',
        systemDatabaseUrl,
        systemDatabaseSchemaName: `dbos_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
        logLevel: 'error',
      });
      await DBOS.launch();
      launched = true;
    },
    async runOne(kind, i) {
      if (!workflows) throw new Error('DBOS: runOne before prepare');
      const handle = await DBOS.startWorkflow(workflows[kind])(i);
      const outcome = await handle.getResult();
      return outcome.status === 'compensated' ? checkCompensations(outcome.compensated) : outcome.status;
    },
    // Shut down between runs so no background work of one run lands in another's figures.
    finish: shutdown,
    close: shutdown,
  };
}
