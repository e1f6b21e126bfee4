import { orchestratorConfig, type AuthConfig, type OrchestratorConfig } from '../../core/config.js';
import type { OrchestratorType } from '../../core/model.js';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { startDagsterEmulator } from '../../emulators/dagster/index.js';
import { startPrefectEmulator } from '../../emulators/prefect/index.js';
import {
  AIRFLOW2_DEMO_FACTS,
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
  DAGSTER_DEMO_FACTS,
  DEMO_FACTS,
  PREFECT_DEMO_FACTS,
  type World,
} from '../../emulators/world/index.js';

/**
 * The orchestrators the adapter contract suite (contract.test.ts) runs against: how to start each one's
 * emulator on its demo world with credentials, the configuration that reaches it, and which of that world's
 * planted facts play each neutral role of the contract.
 */

/** The contract's cases, by id (for `unsupported` and `knownBugs`). */
export const CONTRACT_CASES = [
  'list-all',
  'list-owner',
  'list-search',
  'get-pipeline',
  'not-found',
  'history-unknown',
  'latest-runs',
  'failures-24h',
  'old-failure-excluded',
  'history',
  'run-details',
  'task-log',
  'task-log-bounded',
  'mapped-tasks',
  'trigger',
  'trigger-visible',
  'trigger-idempotent',
  'rerun-failed',
  'rerun-refused',
  'cancel',
  'cancel-refused',
  'auth-failure',
  'unreachable',
] as const;
export type ContractCase = (typeof CONTRACT_CASES)[number];

/** Neutral roles, played by facts planted in the target's demo world. */
export interface ContractFacts {
  /** Its latest run failed within the last 24 h. */
  failingPipeline: string;
  /** The task (step) that failed in that run, as the orchestrator names it in its definition. */
  failedTask: string;
  /** Text of the failure found in the tail of the failed task's log. */
  errorSubstring: string;
  /** No failure within the last 24 h. */
  healthyPipeline: string;
  /** Its latest run is running now. */
  runningPipeline: string;
  pausedPipeline: string;
  /** An owner and exactly the pipelines it owns. */
  ownerWithPipelines: { owner: string; pipelineIds: readonly string[] };
  /** A case-insensitive substring of ids and exactly the pipelines whose id contains it. */
  search: { term: string; pipelineIds: readonly string[] };
  /** Failed more than 24 h ago and not since; null when the world plants none. */
  oldFailurePipeline: string | null;
  /** A dynamically mapped task of a pipeline, in its latest run; null when the orchestrator has none. */
  mapped: {
    pipelineId: string;
    taskId: string;
    mapCount: number;
    /** The instance whose log is read (and, when set, the text in it). */
    mapIndex: number;
    errorSubstring: string | null;
  } | null;
  /** No such pipeline exists. */
  unknownPipeline: string;
  /** No such run exists (in the orchestrator's own run id format). */
  unknownRunId: string;
}

export interface StartedEmulator {
  url: string;
  /** The world the emulator serves (the suite counts a pipeline's runs in it). */
  world: World;
  close(): Promise<void>;
}

export interface ContractTarget {
  /** Shown in test names: `Airflow v1`… */
  name: string;
  type: OrchestratorType;
  /** Its emulator on its demo world, built for `now`, requiring `credentials.valid` when set. */
  start(now: Date): Promise<StartedEmulator>;
  /** The configuration reaching it at `url` (the emulator's, or an unreachable one), with `auth`. */
  config(url: string, auth: AuthConfig): OrchestratorConfig;
  /** Credentials the emulator accepts and ones it rejects; null when it runs without authentication. */
  credentials: { valid: AuthConfig; wrong: AuthConfig } | null;
  facts: ContractFacts;
  /** Cases the orchestrator genuinely cannot do, with the reason (the case is skipped with it). */
  unsupported: Partial<Record<ContractCase, string>>;
  /** Cases that fail because of a known adapter or emulator bug, with the reason (marked todo). */
  knownBugs: Partial<Record<ContractCase, string>>;
  /** A task run's id as the orchestrator's definition names the task (Prefect adds a `-NNN` suffix). */
  taskName(taskRunId: string): string;
  /** What triggering again with the same run id does: return the first run, or refuse (a 409). */
  duplicateTrigger: 'returns-existing' | 'refused';
  /**
   * Re-running a failed run's failed tasks: whether it is a new run (Dagster's re-execution) or the same run
   * again (Airflow's clear, Prefect's retry), and what the same request again does.
   */
  rerun: { newRun: boolean; duplicate: 'returns-existing' | 'refused' };
}

const TIMEOUT_MS = 5000;
const base = (name: string, type: OrchestratorType, url: string, auth: AuthConfig, extra = {}) =>
  orchestratorConfig({ name, type, url, auth, timeout_ms: TIMEOUT_MS, ...extra });

const AIRFLOW_USER = { username: 'contract', password: 'C0ntract-Secret-pw' };
const AIRFLOW_WRONG: AuthConfig = { kind: 'basic', username: 'contract', password: 'Wr0ng-Secret-pw' };
const DAGSTER_TOKEN = 'user:contract-dagster-token-0123456789';
const PREFECT_KEY = 'pnu_contractkey0123456789abcdefghijklmnop';
const sameName = (id: string) => id;

/** Airflow 2.10 (`/api/v1`, HTTP Basic) on the legacy Airflow 2 world. */
export const AIRFLOW_V1: ContractTarget = {
  name: 'Airflow v1',
  type: 'airflow',
  start: (now) =>
    startAirflowEmulator({
      apiVersion: 'v1',
      world: createAirflow2DemoWorld({ now }),
      users: [AIRFLOW_USER],
    }),
  config: (url, auth) => base('contract-airflow2', 'airflow', url, auth, { api_version: 'v1' }),
  credentials: { valid: { kind: 'basic', ...AIRFLOW_USER }, wrong: AIRFLOW_WRONG },
  facts: {
    failingPipeline: AIRFLOW2_DEMO_FACTS.latestFailure.dagId,
    failedTask: AIRFLOW2_DEMO_FACTS.latestFailure.failedTask,
    errorSubstring: AIRFLOW2_DEMO_FACTS.latestFailure.causeMessage,
    healthyPipeline: AIRFLOW2_DEMO_FACTS.healthy.dagId,
    runningPipeline: AIRFLOW2_DEMO_FACTS.runningNow.dagId,
    pausedPipeline: AIRFLOW2_DEMO_FACTS.paused.dagId,
    // Includes a DAG with two owners, which Airflow 2 answers as ["hr-systems", " finance-eng"].
    ownerWithPipelines: { owner: 'finance-eng', pipelineIds: AIRFLOW2_DEMO_FACTS.financeEngDags },
    // `_` is a LIKE wildcard on the server: the adapter must still match it literally.
    search: { term: 'HR_', pipelineIds: ['hr_headcount_report', 'hr_workday_sync'] },
    oldFailurePipeline: AIRFLOW2_DEMO_FACTS.recoveredFailure.dagId,
    mapped: {
      pipelineId: AIRFLOW2_DEMO_FACTS.mapped.dagId,
      taskId: AIRFLOW2_DEMO_FACTS.mapped.mappedTask,
      mapCount: AIRFLOW2_DEMO_FACTS.mapped.mapCount,
      mapIndex: AIRFLOW2_DEMO_FACTS.mapped.mapCount - 1,
      errorSubstring: null,
    },
    unknownPipeline: 'no_such_dag',
    unknownRunId: 'manual__1999-01-01T00:00:00+00:00',
  },
  unsupported: {},
  knownBugs: {},
  taskName: sameName,
  duplicateTrigger: 'refused',
  // The cleared run is queued again: a second request finds it not failed.
  rerun: { newRun: false, duplicate: 'refused' },
};

/** Airflow 3 (`/api/v2`, JWT from /auth/token) on the main demo world. */
export const AIRFLOW_V2: ContractTarget = {
  name: 'Airflow v2',
  type: 'airflow',
  start: (now) =>
    startAirflowEmulator({ apiVersion: 'v2', world: createDemoWorld({ now }), users: [AIRFLOW_USER] }),
  config: (url, auth) => base('contract-airflow3', 'airflow', url, auth, { api_version: 'v2' }),
  credentials: { valid: { kind: 'basic', ...AIRFLOW_USER }, wrong: AIRFLOW_WRONG },
  facts: {
    failingPipeline: DEMO_FACTS.latestFailure.dagId,
    failedTask: DEMO_FACTS.latestFailure.failedTask,
    errorSubstring: DEMO_FACTS.latestFailure.error,
    healthyPipeline: DEMO_FACTS.healthy.dagId,
    runningPipeline: DEMO_FACTS.runningNow.dagId,
    pausedPipeline: DEMO_FACTS.paused.dagId,
    ownerWithPipelines: { owner: 'data-platform', pipelineIds: DEMO_FACTS.dataPlatformDags },
    search: { term: 'Inventory', pipelineIds: [DEMO_FACTS.latestFailure.dagId] },
    oldFailurePipeline: DEMO_FACTS.recoveredFailure.dagId,
    mapped: {
      pipelineId: DEMO_FACTS.oldFailure.dagId,
      taskId: DEMO_FACTS.oldFailure.mappedTask,
      mapCount: DEMO_FACTS.oldFailure.mapCount,
      mapIndex: DEMO_FACTS.oldFailure.failedMapIndex,
      errorSubstring: DEMO_FACTS.oldFailure.error,
    },
    unknownPipeline: 'no_such_dag',
    unknownRunId: 'manual__1999-01-01T00:00:00+00:00',
  },
  unsupported: {},
  knownBugs: {},
  taskName: sameName,
  duplicateTrigger: 'refused',
  // The cleared run is queued again: a second request finds it not failed.
  rerun: { newRun: false, duplicate: 'refused' },
};

/** Dagster (GraphQL, Dagster+ API token) on the Dagster demo world. */
export const DAGSTER: ContractTarget = {
  name: 'Dagster',
  type: 'dagster',
  start: (now) =>
    startDagsterEmulator({ world: createDagsterDemoWorld({ now }), cloudTokens: [DAGSTER_TOKEN] }),
  config: (url, auth) => base('contract-dagster', 'dagster', url, auth),
  credentials: {
    valid: { kind: 'token', token: DAGSTER_TOKEN },
    wrong: { kind: 'token', token: 'user:wrong-dagster-token-987654321' },
  },
  facts: {
    failingPipeline: DAGSTER_DEMO_FACTS.latestFailure.job,
    failedTask: DAGSTER_DEMO_FACTS.latestFailure.failedStep,
    errorSubstring: 'does not exist or not authorized',
    healthyPipeline: DAGSTER_DEMO_FACTS.healthy.job,
    runningPipeline: DAGSTER_DEMO_FACTS.runningNow.job,
    pausedPipeline: DAGSTER_DEMO_FACTS.paused.job,
    ownerWithPipelines: { owner: 'data-platform', pipelineIds: DAGSTER_DEMO_FACTS.dataPlatformJobs },
    search: { term: 'REFRESH', pipelineIds: DAGSTER_DEMO_FACTS.sharedJobName.ids },
    oldFailurePipeline: DAGSTER_DEMO_FACTS.recoveredFailure.job,
    mapped: null,
    unknownPipeline: 'no_such_job',
    unknownRunId: '00000000-0000-4000-8000-000000000000',
  },
  unsupported: {
    'mapped-tasks':
      'Dagster has no map indexes: each dynamic output is its own step (op[key]), and the adapter reports map_index null',
  },
  knownBugs: {},
  taskName: sameName,
  duplicateTrigger: 'returns-existing',
  // The re-execution carries the request id as a tag: a second request finds it.
  rerun: { newRun: true, duplicate: 'returns-existing' },
};

/** Prefect 3 (REST, Cloud-style API key) on the Prefect demo world. */
export const PREFECT: ContractTarget = {
  name: 'Prefect',
  type: 'prefect',
  start: (now) => startPrefectEmulator({ world: createPrefectDemoWorld({ now }), apiKeys: [PREFECT_KEY] }),
  config: (url, auth) => base('contract-prefect', 'prefect', url, auth),
  credentials: {
    valid: { kind: 'token', token: PREFECT_KEY },
    wrong: { kind: 'token', token: 'pnu_wrongkey9876543210zyxwvutsrqponmlkji' },
  },
  facts: {
    failingPipeline: PREFECT_DEMO_FACTS.failed.pipelineId,
    failedTask: PREFECT_DEMO_FACTS.failed.failedTask,
    errorSubstring: '401 Unauthorized',
    healthyPipeline: PREFECT_DEMO_FACTS.healthy.pipelineId,
    runningPipeline: PREFECT_DEMO_FACTS.runningNow.pipelineId,
    pausedPipeline: PREFECT_DEMO_FACTS.paused.pipelineId,
    ownerWithPipelines: {
      owner: 'data-platform',
      pipelineIds: PREFECT_DEMO_FACTS.dataPlatformDeployments,
    },
    search: {
      term: 'SalesForce',
      pipelineIds: [PREFECT_DEMO_FACTS.healthy.pipelineId, PREFECT_DEMO_FACTS.sameFlow.pipelineId],
    },
    oldFailurePipeline: null,
    mapped: null,
    unknownPipeline: 'no-such-flow/prod',
    unknownRunId: '00000000-0000-4000-8000-000000000000',
  },
  unsupported: {
    'old-failure-excluded': 'the Prefect demo world plants no failure older than 24 h',
    'mapped-tasks':
      'Prefect has no map indexes: task.map() creates separate task runs, and the adapter reports map_index null',
  },
  knownBugs: {},
  // Task runs are named `<task>-<3 hex digits>`.
  taskName: (id) => id.replace(/-[0-9a-f]{3}$/, ''),
  duplicateTrigger: 'returns-existing',
  // The flow run is AwaitingRetry: a second request leaves it so and answers it.
  rerun: { newRun: false, duplicate: 'returns-existing' },
};

export const CONTRACT_TARGETS: readonly ContractTarget[] = [AIRFLOW_V1, AIRFLOW_V2, DAGSTER, PREFECT];
