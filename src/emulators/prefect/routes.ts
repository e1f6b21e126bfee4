import type { Context, Hono } from 'hono';
import type { WorldRun } from '../world/index.js';
import { detail, notFound, ValidationFailure } from './errors.js';
import type { Filter, FlowRunRow, Pred } from './filters.js';
import {
  deploymentPredicate,
  flowPredicate,
  flowRunPredicate,
  logPredicate,
  taskRunPredicate,
  workPoolMatches,
} from './filters.js';
import { isUuid, prefectTime } from './ids.js';
import type { LazyLog, LogRecord } from './logs.js';
import { arrayLog, flowRunLog, flowRunOwnLogs, taskRunLog } from './logs.js';
import type { DeploymentEntity, FlowEntity, PrefectWorld, TaskRunRecord } from './translate.js';
import type { StateType } from './validation.js';
import {
  BODIES,
  DEPLOYMENT_FLOW_RUN_CREATE,
  parseJson,
  validateEmbedded,
  validateModel,
  FLOW_RUN_SET_STATE,
} from './validation.js';

/** PREFECT_SERVER_API_DEFAULT_LIMIT. */
export const DEFAULT_LIMIT = 200;
/** `GET /version`: the server's API version (SERVER_API_VERSION), not the package version. */
export const SERVER_API_VERSION = '0.8.4';

type Body = Record<string, unknown>;

async function bodyOf(c: Context, fields: Parameters<typeof validateEmbedded>[1]): Promise<Body> {
  const raw = parseJson(await c.req.text(), {});
  // LimitBody is a dependency: FastAPI resolves it (and its HTTPException) before the other parameters.
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'limit' in fields) {
    const limit = (raw as Body).limit;
    if (typeof limit === 'number' && Number.isInteger(limit)) {
      if (limit < 0) throw detail(422, 'Invalid limit: must be greater than or equal to 0.');
      if (limit > DEFAULT_LIMIT)
        throw detail(422, `Invalid limit: must be less than or equal to ${DEFAULT_LIMIT}.`);
    }
  }
  return validateEmbedded(raw, fields);
}

function page<T>(items: T[], body: Body): T[] {
  const limit = typeof body.limit === 'number' ? body.limit : DEFAULT_LIMIT;
  const offset = typeof body.offset === 'number' ? body.offset : 0;
  return items.slice(offset, offset + limit);
}

function pathId(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!isUuid(id)) {
    throw new ValidationFailure([
      {
        type: 'uuid_parsing',
        loc: ['path', 'id'],
        msg: `Input should be a valid UUID, invalid length: expected length 32 for simple format, found ${id.length}`,
        input: id,
        ctx: { error: `invalid length: expected length 32 for simple format, found ${id.length}` },
      },
    ]);
  }
  return id.toLowerCase();
}

function obj(body: Body, key: string): Filter {
  const value = body[key];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

/** `any_` of a sub-filter when its filter combines with and_ (so that narrowing candidates is exact). */
function anyOf(f: Filter, key: string): string[] | null {
  if (!f || f.operator === 'or_') return null;
  const sub = f[key];
  if (typeof sub !== 'object' || sub === null) return null;
  const any = (sub as Record<string, unknown>).any_;
  return Array.isArray(any) ? any.map(String) : null;
}

/** null: bigger first; equal values keep their order. */
function cmp(a: number | string | null, b: number | string | null, desc: boolean, nullsLast = true): number {
  if (a === b) return 0;
  if (a === null) return nullsLast ? 1 : -1;
  if (b === null) return nullsLast ? -1 : 1;
  const d = a < b ? -1 : 1;
  return desc ? -d : d;
}

interface Selection {
  run: WorldRun;
  row: FlowRunRow;
}

export function registerRoutes(api: Hono, pw: PrefectWorld): void {
  const matchTaskRun = (f: Filter): Pred<WorldRun> => {
    if (!f) return () => true;
    const pred = taskRunPredicate(f);
    return (run) => pw.taskRuns(run).some(pred);
  };

  /** Flow runs matching every join of a filter body. */
  const selectRuns = (body: Body): Selection[] => {
    const flowRuns = obj(body, 'flow_runs');
    const ids = anyOf(flowRuns, 'id');
    const deploymentIds = anyOf(flowRuns, 'deployment_id');
    let candidates: WorldRun[];
    if (ids) candidates = ids.map((id) => pw.run(id)).filter((r): r is WorldRun => r !== undefined);
    else if (deploymentIds) {
      candidates = deploymentIds
        .map((id) => pw.deployment(id))
        .filter((d): d is DeploymentEntity => d !== undefined)
        .flatMap((d) => [...pw.runsOf(d)]);
    } else candidates = pw.runs();
    const runPred = flowRunPredicate(flowRuns);
    const flowPred = flowPredicate(obj(body, 'flows'));
    const depPred = deploymentPredicate(obj(body, 'deployments'));
    const taskPred = matchTaskRun(obj(body, 'task_runs'));
    if (!workPoolMatches(obj(body, 'work_pools'), obj(body, 'work_pool_queues'))) return [];
    const out: Selection[] = [];
    const seen = new Set<string>();
    for (const run of candidates) {
      const deployment = pw.deploymentOf(run);
      if (!deployment) continue;
      const row = pw.row(run);
      if (seen.has(row.id)) continue;
      seen.add(row.id);
      if (!runPred(row) || !flowPred(deployment.flow) || !depPred(deployment) || !taskPred(run)) continue;
      out.push({ run, row });
    }
    return out;
  };

  const runSorts: Record<string, (a: FlowRunRow, b: FlowRunRow) => number> = {
    ID_DESC: () => 0,
    START_TIME_ASC: (a, b) => cmp(a.start ?? a.expected, b.start ?? b.expected, false),
    START_TIME_DESC: (a, b) => cmp(a.start ?? a.expected, b.start ?? b.expected, true),
    EXPECTED_START_TIME_ASC: (a, b) => cmp(a.expected, b.expected, false),
    EXPECTED_START_TIME_DESC: (a, b) => cmp(a.expected, b.expected, true),
    NAME_ASC: (a, b) => cmp(a.name, b.name, false),
    NAME_DESC: (a, b) => cmp(a.name, b.name, true),
    NEXT_SCHEDULED_START_TIME_ASC: (a, b) => cmp(a.nextScheduled, b.nextScheduled, false),
    END_TIME_DESC: (a, b) => cmp(a.end, b.end, true),
  };

  api.get('/health', (c) => c.json(true));
  api.get('/version', (c) => c.json(SERVER_API_VERSION));

  // ---- flows -------------------------------------------------------------------------------------------

  api.post('/flows/filter', async (c) => {
    const body = await bodyOf(c, BODIES.flowsFilter);
    const flowPred = flowPredicate(obj(body, 'flows'));
    const depPred = deploymentPredicate(obj(body, 'deployments'));
    const flowRuns = obj(body, 'flow_runs');
    const taskRuns = obj(body, 'task_runs');
    const runPred = flowRunPredicate(flowRuns);
    const taskPred = matchTaskRun(taskRuns);
    const pools = workPoolMatches(obj(body, 'work_pools'), null);
    const hasRun = (f: FlowEntity) =>
      f.deployments.some((d) => pw.runsOf(d).some((r) => runPred(pw.row(r)) && taskPred(r)));
    const flows = pw.flows.filter(
      (f) =>
        flowPred(f) &&
        (!obj(body, 'deployments') || f.deployments.some(depPred)) &&
        (!flowRuns && !taskRuns ? true : hasRun(f)) &&
        pools,
    );
    const sort = String(body.sort ?? 'NAME_ASC');
    flows.sort((a, b) =>
      sort === 'NAME_DESC'
        ? cmp(a.name, b.name, true)
        : sort === 'NAME_ASC'
          ? cmp(a.name, b.name, false)
          : cmp(a.created, b.created, true) || cmp(a.id, b.id, true),
    );
    return c.json(page(flows, body).map((f) => pw.flowJson(f)));
  });

  // ---- deployments -------------------------------------------------------------------------------------

  api.post('/deployments/filter', async (c) => {
    const body = await bodyOf(c, BODIES.deploymentsFilter);
    const depPred = deploymentPredicate(obj(body, 'deployments'));
    const flowPred = flowPredicate(obj(body, 'flows'));
    const flowRuns = obj(body, 'flow_runs');
    const taskRuns = obj(body, 'task_runs');
    const runPred = flowRunPredicate(flowRuns);
    const taskPred = matchTaskRun(taskRuns);
    const pools = workPoolMatches(obj(body, 'work_pools'), obj(body, 'work_pool_queues'));
    const deployments = pools
      ? pw.deployments.filter(
          (d) =>
            depPred(d) &&
            flowPred(d.flow) &&
            // flow_runs / task_runs join: the deployment has a matching run.
            (!flowRuns && !taskRuns ? true : pw.runsOf(d).some((r) => runPred(pw.row(r)) && taskPred(r))),
        )
      : [];
    const sort = String(body.sort ?? 'NAME_ASC');
    deployments.sort((a, b) => {
      if (sort === 'NAME_ASC') return cmp(a.name, b.name, false) || cmp(a.flow.name, b.flow.name, false);
      if (sort === 'NAME_DESC') return cmp(a.name, b.name, true) || cmp(a.flow.name, b.flow.name, true);
      if (sort === 'UPDATED_DESC') return cmp(a.dag.last_parsed_time, b.dag.last_parsed_time, true);
      return cmp(a.dag.created_at, b.dag.created_at, true) || cmp(a.id, b.id, true);
    });
    return c.json(page(deployments, body).map((d) => pw.deploymentJson(d)));
  });

  api.get('/deployments/:id', (c) => {
    const deployment = pw.deployment(pathId(c));
    if (!deployment) throw notFound('Deployment not found');
    return c.json(pw.deploymentJson(deployment));
  });

  api.post('/deployments/:id/create_flow_run', async (c) => {
    const id = pathId(c);
    const raw = parseJson(await c.req.text(), undefined);
    if (raw === undefined) {
      throw new ValidationFailure([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
    }
    const body = validateModel(raw, DEPLOYMENT_FLOW_RUN_CREATE);
    const deployment = pw.deployment(id);
    if (!deployment) throw notFound('Deployment not found');
    const state = obj(body, 'state');
    if (state && state.type !== 'SCHEDULED') {
      throw detail(
        501,
        `pipeline-monitor Prefect emulator: creating a run in state ${String(state.type)} is not implemented`,
      );
    }
    const record = (key: string) => obj(body, key) ?? {};
    const { run, created } = pw.createRun(deployment, {
      parameters: record('parameters'),
      tags: Array.isArray(body.tags) ? body.tags.map(String) : [],
      idempotencyKey: typeof body.idempotency_key === 'string' ? body.idempotency_key : null,
      name: typeof body.name === 'string' ? body.name : null,
      context: record('context'),
      labels: record('labels'),
      jobVariables: record('job_variables'),
    });
    // 201 for a new run; an existing run (same idempotency key) is 200.
    return c.json(pw.flowRunJson(run), created ? 201 : 200);
  });

  // ---- flow runs ---------------------------------------------------------------------------------------

  api.post('/flow_runs/filter', async (c) => {
    const body = await bodyOf(c, BODIES.flowRunsFilter);
    const selected = selectRuns(body);
    const sort = runSorts[String(body.sort ?? 'ID_DESC')] ?? runSorts.ID_DESC;
    selected.sort(
      (a, b) =>
        (sort as (x: FlowRunRow, y: FlowRunRow) => number)(a.row, b.row) || cmp(a.row.id, b.row.id, true),
    );
    return c.json(page(selected, body).map((s) => pw.flowRunJson(s.run)));
  });

  api.post('/flow_runs/count', async (c) => {
    const body = await bodyOf(c, BODIES.flowRunsCount);
    return c.json(selectRuns(body).length);
  });

  api.post('/flow_runs/:id/set_state', async (c) => {
    const id = pathId(c);
    const raw = parseJson(await c.req.text(), undefined);
    if (raw === undefined) {
      throw new ValidationFailure([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
    }
    const body = validateModel(raw, FLOW_RUN_SET_STATE);
    const run = pw.run(id);
    if (!run) throw notFound('Flow run not found');
    const state = body.state as { type: StateType; name?: string | null; message?: string | null };
    const result = pw.setState(
      run,
      { type: state.type, name: state.name ?? null, message: state.message ?? null },
      body.force === true,
    );
    const details =
      result.status === 'ACCEPT'
        ? { type: 'accept_details' }
        : result.status === 'REJECT'
          ? { type: 'reject_details', reason: result.reason }
          : { type: 'abort_details', reason: result.reason };
    // 201 when a new state was created (Prefect: the state's timestamp is not before the request).
    return c.json(
      {
        state: pw.stateJson(result.state, pw.flowRunId(run), null, run.run_after),
        status: result.status,
        details,
      },
      result.status === 'ACCEPT' ? 201 : 200,
    );
  });

  api.get('/flow_runs/:id', (c) => {
    const run = pw.run(pathId(c));
    if (!run) throw notFound('Flow run not found');
    return c.json(pw.flowRunJson(run));
  });

  // ---- task runs ---------------------------------------------------------------------------------------

  api.post('/task_runs/filter', async (c) => {
    const body = await bodyOf(c, BODIES.taskRunsFilter);
    const taskFilter = obj(body, 'task_runs');
    const flowRunFilter = obj(body, 'flow_runs');
    const byRun = anyOf(taskFilter, 'flow_run_id') ?? anyOf(flowRunFilter, 'id');
    const byId = anyOf(taskFilter, 'id');
    let candidates: TaskRunRecord[];
    if (byRun) {
      candidates = byRun
        .map((id) => pw.run(id))
        .filter((r): r is WorldRun => r !== undefined)
        .flatMap((r) => pw.taskRuns(r));
    } else if (byId) {
      candidates = byId.map((id) => pw.taskRun(id)).filter((t): t is TaskRunRecord => t !== undefined);
    } else candidates = pw.runs().flatMap((r) => pw.taskRuns(r));
    const taskPred = taskRunPredicate(taskFilter);
    const runPred = flowRunPredicate(flowRunFilter);
    const flowPred = flowPredicate(obj(body, 'flows'));
    const depPred = deploymentPredicate(obj(body, 'deployments'));
    const seen = new Set<string>();
    const selected = candidates.filter((t) => {
      if (seen.has(t.id)) return false;
      seen.add(t.id);
      const deployment = pw.deploymentOf(t.run);
      return (
        deployment !== undefined &&
        taskPred(t) &&
        (!flowRunFilter || runPred(pw.row(t.run))) &&
        flowPred(deployment.flow) &&
        depPred(deployment)
      );
    });
    const sort = String(body.sort ?? 'ID_DESC');
    const key: Record<string, (a: TaskRunRecord, b: TaskRunRecord) => number> = {
      EXPECTED_START_TIME_ASC: (a, b) => cmp(a.expected, b.expected, false),
      EXPECTED_START_TIME_DESC: (a, b) => cmp(a.expected, b.expected, true),
      NAME_ASC: (a, b) => cmp(a.name, b.name, false),
      NAME_DESC: (a, b) => cmp(a.name, b.name, true),
      END_TIME_DESC: (a, b) => cmp(a.end, b.end, true),
    };
    const by = key[sort] ?? (() => 0);
    selected.sort((a, b) => by(a, b) || cmp(a.id, b.id, true));
    return c.json(page(selected, body).map((t) => pw.taskRunJson(t)));
  });

  // ---- logs --------------------------------------------------------------------------------------------

  api.post('/logs/filter', async (c) => {
    const body = await bodyOf(c, BODIES.logsFilter);
    const f = obj(body, 'logs');
    const runIds = anyOf(f, 'flow_run_id');
    const taskIds = anyOf(f, 'task_run_id');
    const taskSub =
      f && typeof f.task_run_id === 'object' ? (f.task_run_id as Record<string, unknown>) : null;
    const flowOnly = f?.operator !== 'or_' && taskSub?.is_null_ === true && !taskIds;
    const sources: LazyLog[] = [];
    const runs = runIds
      ? runIds.map((id) => pw.run(id)).filter((r): r is WorldRun => r !== undefined)
      : taskIds
        ? [...new Set(taskIds.map((id) => pw.taskRun(id)?.run).filter((r): r is WorldRun => r !== undefined))]
        : pw.runs();
    for (const run of runs) {
      if (taskIds) {
        const wanted = new Set(taskIds.map((t) => t.toLowerCase()));
        for (const rec of pw.taskRuns(run)) if (wanted.has(rec.id)) sources.push(taskRunLog(pw, rec));
      } else if (flowOnly) {
        const own = flowRunOwnLogs(pw, run);
        sources.push(arrayLog([...own.head, ...own.tail]));
      } else sources.push(flowRunLog(pw, run));
    }
    let log: LazyLog;
    if (sources.length === 1) log = sources[0] as LazyLog;
    else {
      const all: LogRecord[] = [];
      for (const s of sources) for (let i = 0; i < s.length; i++) all.push(s.at(i));
      all.sort((a, b) => a.timestamp - b.timestamp);
      log = arrayLog(all);
    }
    // Criteria other than the run/task ids (already applied) need a scan.
    const rest = f
      ? Object.keys(f).filter(
          (k) => f[k] !== null && k !== 'operator' && k !== 'flow_run_id' && k !== 'task_run_id',
        )
      : [];
    if (rest.length > 0 || f?.operator === 'or_') {
      const pred = logPredicate(f);
      const kept: LogRecord[] = [];
      for (let i = 0; i < log.length; i++) {
        const record = log.at(i);
        if (pred(record)) kept.push(record);
      }
      log = arrayLog(kept);
    }
    const desc = body.sort === 'TIMESTAMP_DESC';
    const limit = typeof body.limit === 'number' ? body.limit : DEFAULT_LIMIT;
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const out: unknown[] = [];
    for (let i = offset; i < Math.min(log.length, offset + limit); i++) {
      const record = log.at(desc ? log.length - 1 - i : i);
      const ts = prefectTime(record.timestamp);
      out.push({
        id: record.id,
        created: ts,
        updated: ts,
        name: record.name,
        level: record.level,
        message: record.message,
        timestamp: ts,
        flow_run_id: record.flowRunId,
        task_run_id: record.taskRunId,
      });
    }
    return c.json(out);
  });
}
