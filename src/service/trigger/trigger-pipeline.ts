import { randomUUID } from 'node:crypto';
import type { OrchestratorAdapter } from '../../core/adapter.js';
import { MonitorError, isMonitorError } from '../../core/errors.js';
import { qualify } from '../../core/identifiers.js';
import type { PipelineRun } from '../../core/model.js';
import { isTerminal } from '../../core/status.js';
import { liveAdapter } from '../cached-adapter.js';
import type { ServiceContext } from '../context.js';
import { presentRun } from '../present.js';
import type { RunView } from '../views.js';
import type { AuditEntry } from './audit-log.js';
import { canonicalJson, digest } from './params.js';
import { listRefusal, rateRefusal, type Refusal } from './policy.js';
import { findIntentRun, reconcileIntent } from './reconcile.js';
import {
  ALREADY_STARTED_REASON,
  countsAsStart,
  LockBusyError,
  StateUnavailableError,
  type TriggerStore,
} from './store.js';

/** What a guarded write does: start a run, re-run the failed tasks of a run, or cancel a run. */
export type WriteAction = 'trigger' | 'rerun' | 'cancel';

export interface TriggerInput {
  /** Default `trigger`. */
  action?: WriteAction;
  /** The run to re-run or cancel. */
  run_id?: string;
  pipeline_id: string;
  conf: Record<string, unknown>;
  reason?: string;
  confirmation_token?: string;
  idempotency_key?: string;
  /** The MCP client's name, for the audit log. */
  client?: string | null;
  /** The authenticated caller (HTTP with auth), for the audit log and per-principal limits; null on stdio. */
  principal?: string | null;
  /** After starting, wait up to this many seconds for the run to finish, reporting progress. */
  wait_seconds?: number;
  /** Progress reporting and cancellation from the caller. */
  progress?: (message: string, progress: number, total?: number) => Promise<void>;
  signal?: AbortSignal;
}

/** How often a waiting write looks at the run. */
export const WAIT_POLL_MS = 2_000;

export interface TriggerResult {
  status: 'started' | 'already_started' | 'cancelled' | 'confirmation_required';
  message: string;
  run: RunView | null;
  confirmation: {
    token: string;
    expires_at: string;
    action: WriteAction;
    orchestrator: string;
    pipeline_id: string;
    run_id: string | null;
    conf: Record<string, unknown>;
    reason: string | null;
  } | null;
}

/** Everything the trigger path keeps between calls; one per service. */
export interface TriggerState {
  /** Locks, audit, accepted-trigger history and confirmation tokens: local, or shared by replicas. */
  store: TriggerStore;
}

/**
 * Starts a run under the full guard, checked in order: allow/deny lists, paused, a run queued or running,
 * cooldown, hourly limits; then confirmation (a single-use token bound to pipeline and parameters) and an
 * idempotency key that makes a replayed request start nothing new. The intent is flushed to the audit
 * log before the orchestrator is called, the outcome after; refusals are audited too.
 */
export async function triggerPipeline(
  ctx: ServiceContext,
  state: TriggerState,
  given: TriggerInput,
): Promise<TriggerResult> {
  const input = { ...given, progress: bestEffort(given.progress) };
  if (!ctx.triggers.enabled) {
    throw new MonitorError('refused', 'Triggers are disabled in this server’s configuration.', {
      hint: 'an operator can set triggers.enabled: true',
    });
  }
  const resolved = await ctx.registry.resolve(input.pipeline_id);
  const adapter = liveAdapter(resolved.adapter);
  const qualified = qualify(adapter.name, resolved.pipeline.pipeline_id);
  const action = input.action ?? 'trigger';
  const paramsDigest = digest(action, input.run_id ?? null, input.conf);
  if (action !== 'trigger' && !input.run_id) {
    throw new MonitorError('invalid_input', `run_id is required to ${action} a run.`, {
      hint: 'use get_pipeline_history to find run ids',
    });
  }
  const capability = action === 'rerun' ? 'rerunFailed' : action === 'cancel' ? 'cancel' : 'trigger';
  if (!resolved.adapter.capabilities[capability]) {
    throw new MonitorError(
      'unsupported',
      `${resolved.adapter.name} cannot ${action} runs through this server yet.`,
      {
        orchestrator: resolved.adapter.name,
      },
    );
  }
  let outcome: TriggerResult | Accepted;
  try {
    // The guard, the intent, the orchestrator call and the outcome happen one at a time per pipeline,
    // across every process sharing the store.
    outcome = await state.store.withPipelineLock(qualified, () =>
      guardedStart(ctx, state, input, resolved.adapter, adapter, qualified, paramsDigest),
    );
  } catch (error) {
    if (error instanceof LockBusyError)
      throw await busy(ctx, state.store, input, adapter.name, qualified, paramsDigest, error);
    if (!(error instanceof StateUnavailableError)) throw error;
    throw unavailable(ctx, state.store, adapter.name, error, action);
  }
  return 'accepted' in outcome
    ? finish(ctx, input, adapter, resolved.pipeline.pipeline_id, outcome)
    : outcome;
}

/** Another write held the pipeline's lock past the wait: refused (and audited) without touching it. */
async function busy(
  ctx: ServiceContext,
  store: TriggerStore,
  input: TriggerInput,
  orchestrator: string,
  qualified: string,
  paramsDigest: string,
  error: LockBusyError,
): Promise<MonitorError> {
  const reason = `Another write to ${qualified} has been in progress for over ${Math.round(error.waitedMs / 1000)} s (on this or another replica).`;
  try {
    await store.append({
      ...auditBase(ctx, input, orchestrator, qualified, paramsDigest),
      ...blank(),
      decision: 'refused',
      reason,
    });
  } catch (appendError) {
    if (!(appendError instanceof StateUnavailableError)) throw appendError;
    ctx.logger.error(
      { err: appendError, state: store.location },
      'refusal not recorded: trigger state unavailable',
    );
  }
  return new MonitorError('refused', `${reason} Nothing was done.`, {
    orchestrator,
    hint: 'try again once it has finished; get_pipeline_status shows the pipeline’s latest run',
  });
}

/** The shared state cannot be reached before anything was started: the write is refused. */
function unavailable(
  ctx: ServiceContext,
  store: TriggerStore,
  orchestrator: string,
  error: StateUnavailableError,
  action: WriteAction,
): MonitorError {
  ctx.logger.error({ err: error, state: store.location }, 'trigger state unavailable');
  return new MonitorError(
    'refused',
    `${store.noun} cannot be read or written, so nothing was ${action === 'cancel' ? 'cancelled' : 'started'}.`,
    { orchestrator, hint: store.unavailableHint },
  );
}

async function guardedStart(
  ctx: ServiceContext,
  state: TriggerState,
  input: TriggerInput,
  cached: OrchestratorAdapter,
  adapter: OrchestratorAdapter,
  qualified: string,
  paramsDigest: string,
): Promise<TriggerResult | Accepted> {
  const pipelineId = qualified.slice(adapter.name.length + 1);
  const action = input.action ?? 'trigger';
  const base = auditBase(ctx, input, adapter.name, qualified, paramsDigest);
  const tool = base.tool;
  const store = state.store;
  const refuse = async (refusal: Refusal): Promise<never> => {
    try {
      await store.append({ ...base, ...blank(), decision: 'refused', reason: refusal.reason });
    } catch (error) {
      if (!(error instanceof StateUnavailableError)) throw error;
      ctx.logger.error(
        { err: error, state: store.location },
        'refusal not recorded: trigger state unavailable',
      );
    }
    throw new MonitorError(
      'refused',
      `${refusal.reason} Nothing was ${action === 'cancel' ? 'cancelled' : 'started'}.`,
      {
        orchestrator: adapter.name,
        hint: refusal.retry_after ? `a trigger would be allowed after ${refusal.retry_after}` : refusal.hint,
      },
    );
  };

  const listed = listRefusal(ctx.triggers, qualified);
  if (listed) return refuse(listed);
  const starts = action !== 'cancel';
  const pipeline = await adapter.getPipeline(pipelineId);
  if (starts && pipeline.paused) {
    return refuse({
      reason: `${qualified} is paused; this server never unpauses a pipeline.`,
      retry_after: null,
      hint: 'its owners can unpause it in the orchestrator',
    });
  }
  const active = !starts
    ? { runs: [] }
    : await adapter.listRuns({
        pipelineId,
        statuses: ['pending', 'running'],
        orderBy: 'started_at',
        limit: 1,
      });
  const current = active.runs[0];
  if (current) {
    return refuse({
      reason: `${qualified} already has a ${current.native_status} run (${current.run_id}, since ${current.started_at ?? current.queued_at ?? 'unknown'}).`,
      retry_after: null,
      hint: 'a trigger is allowed once that run has finished; follow it with get_pipeline_status',
    });
  }
  const now = ctx.now().getTime();
  if (starts) {
    // Only what the limits look at: the last hour, or the cooldown when it is longer.
    const lookback = Math.max(3600, ctx.triggers.cooldown_seconds) * 1000;
    const accepted = await store.acceptedSince(now - lookback);
    const rated = rateRefusal(ctx.triggers, qualified, accepted, now, input.principal ?? null);
    if (rated) return refuse(rated);
  }

  let nonce: string | null = null;
  if (ctx.triggers.confirm === 'always') {
    // A token confirms what one caller was shown: another principal cannot redeem it.
    const binding = digest(paramsDigest, input.principal ?? null);
    if (!input.confirmation_token) {
      const issued = await store.issueConfirmation(qualified, binding);
      return {
        status: 'confirmation_required',
        message: `Confirm with the user, then call ${tool} again with confirmation_token to ${action === 'trigger' ? 'start' : action} ${qualified}${input.run_id ? ` run ${input.run_id}` : ''}.`,
        run: null,
        confirmation: {
          ...issued,
          action,
          orchestrator: adapter.name,
          pipeline_id: pipelineId,
          run_id: input.run_id ?? null,
          conf: input.conf,
          reason: input.reason ?? null,
        },
      };
    }
    const check = await store.checkConfirmation(input.confirmation_token, qualified, binding);
    if (!check.ok) {
      return refuse({
        reason: `Confirmation refused: ${check.reason}.`,
        retry_after: null,
        hint: 'call trigger_pipeline without confirmation_token for a new preview, and confirm it with the user',
      });
    }
    nonce = check.nonce;
  }

  // The same key always yields the same run id, so a replayed request finds the run it already started.
  const window = Math.floor(now / (Math.max(60, ctx.triggers.cooldown_seconds) * 1000));
  const key = input.idempotency_key ?? nonce ?? `${paramsDigest}:${window}`;
  const runId = `mcp__${digest(qualified, paramsDigest, key).slice(0, 24)}`;
  if (action !== 'cancel') {
    const earlier = await earlierStart(ctx, store, adapter, qualified, runId);
    if (earlier) {
      await store.append({
        ...base,
        ...blank(),
        decision: 'accepted',
        idempotency_key: runId,
        run_id: earlier.run_id,
        reason: ALREADY_STARTED_REASON,
        latency_ms: 0,
      });
      if (nonce) await store.consumeConfirmation(nonce);
      return {
        status: 'already_started',
        message: `Already started as ${earlier.run_id}; nothing new was started.`,
        run: presentRun(earlier, ctx.text),
        confirmation: null,
      };
    }
  }
  const id = randomUUID();
  const intentTime = new Date().toISOString();
  await store.append({
    ...base,
    ...blank(),
    id,
    time: intentTime,
    decision: 'intent',
    idempotency_key: runId,
    reason: ctx.text.optional(input.reason, 500),
  });
  if (nonce && !(await store.consumeConfirmation(nonce))) {
    // Only reachable if the lock was bypassed: the token was redeemed elsewhere meanwhile.
    await store.append({
      ...base,
      ...blank(),
      id,
      decision: 'failed',
      idempotency_key: runId,
      reason: 'the confirmation token was already used',
    });
    throw new MonitorError('refused', 'Confirmation refused: the confirmation token was already used.', {
      orchestrator: adapter.name,
      hint: 'call again without confirmation_token for a new preview, and confirm it with the user',
    });
  }

  const started = Date.now();
  await input.progress?.(
    `asking ${adapter.name} to ${action === 'trigger' ? 'start' : action} ${pipelineId}`,
    0,
  );
  const note = `Triggered via pipeline-monitor-mcp${input.reason ? `: ${input.reason.slice(0, 500)}` : ''}`;
  let run: PipelineRun;
  let status: TriggerResult['status'] = 'started';
  let answerLost = false;
  try {
    run =
      action === 'trigger'
        ? await cached.triggerRun(pipelineId, { conf: input.conf, runId, note })
        : action === 'rerun'
          ? await callOptional(cached.rerunFailed?.bind(cached), pipelineId, input.run_id as string, {
              requestId: runId,
              note,
            })
          : await callOptional(cached.cancelRun?.bind(cached), pipelineId, input.run_id as string);
  } catch (error) {
    let recovered: PipelineRun | null = null;
    if (isMonitorError(error) && error.kind === 'refused') {
      recovered = await findRun(adapter, pipelineId, runId);
      if (recovered) status = 'already_started';
    } else if (
      action === 'trigger' &&
      isMonitorError(error) &&
      (error.kind === 'upstream_unavailable' || error.kind === 'upstream_error')
    ) {
      // No answer, or a broken one: the orchestrator may have started the run before the answer was lost.
      const found = await findIntentRun(adapter, pipelineId, { time: intentTime, idempotency_key: runId });
      if (found === undefined) {
        // Left open: the next start, or the next write with this key, settles it from the orchestrator.
        throw new MonitorError(
          'upstream_unavailable',
          `${error.message} The outcome is unknown: ${adapter.name} may have started ${pipelineId}.`,
          {
            orchestrator: adapter.name,
            hint: `check get_pipeline_status for ${qualified} before trying again; a retry with the same idempotency_key never starts a second run`,
          },
        );
      }
      if (found) answerLost = true;
      recovered = found;
    }
    if (!recovered) {
      await recordOutcome(ctx, store, {
        ...base,
        ...blank(),
        id,
        decision: 'failed',
        idempotency_key: runId,
        reason: error instanceof Error ? ctx.text.line(error.message, 300) : 'unknown',
        latency_ms: Date.now() - started,
      });
      throw error;
    }
    run = recovered;
  }
  await recordOutcome(ctx, store, {
    ...base,
    ...blank(),
    id,
    decision: 'accepted',
    idempotency_key: runId,
    run_id: run.run_id,
    reason:
      status === 'already_started'
        ? ALREADY_STARTED_REASON
        : answerLost
          ? 'the answer was lost; the orchestrator has the run'
          : null,
    latency_ms: Date.now() - started,
  });
  if (action === 'cancel') status = 'cancelled';
  return { accepted: run, status };
}

/** What the guarded part hands back once the orchestrator accepted: the lock is released before waiting. */
interface Accepted {
  accepted: PipelineRun;
  status: TriggerResult['status'];
}

/** Reports the accepted run and, with wait_seconds, follows it to the end; outside the pipeline lock. */
async function finish(
  ctx: ServiceContext,
  input: TriggerInput,
  adapter: OrchestratorAdapter,
  pipelineId: string,
  { accepted, status }: Accepted,
): Promise<TriggerResult> {
  const action = input.action ?? 'trigger';
  let run = accepted;
  await input.progress?.(`${adapter.name} accepted: ${run.run_id} is ${run.native_status}`, 1);
  if (input.wait_seconds) run = await waitForRun(adapter, pipelineId, run, input);
  ctx.logger.info(
    { orchestrator: adapter.name, pipeline: pipelineId, run_id: run.run_id, status },
    'pipeline triggered',
  );
  return {
    status,
    message:
      status === 'cancelled'
        ? `Cancelled ${run.run_id} (now ${run.native_status}).`
        : action === 'rerun' && status === 'started'
          ? `Re-running the failed tasks of ${input.run_id} as ${run.run_id} (${run.native_status}${waitNote(run, input)}).`
          : status === 'started'
            ? `Started ${run.run_id} (${run.native_status}${waitNote(run, input)}).`
            : `Already started as ${run.run_id}; nothing new was started.`,
    run: presentRun(run, ctx.text),
    confirmation: null,
  };
}

/** The fields every audit entry of one call shares. */
function auditBase(
  ctx: ServiceContext,
  input: TriggerInput,
  orchestrator: string,
  qualified: string,
  paramsDigest: string,
) {
  const action = input.action ?? 'trigger';
  return {
    tool: { trigger: 'trigger_pipeline', rerun: 'rerun_failed_tasks', cancel: 'cancel_run' }[action],
    orchestrator,
    pipeline: qualified,
    principal: input.principal ?? null,
    client: input.client ?? null,
    params: {
      conf: ctx.text.line(canonicalJson(input.conf), 4000),
      reason: ctx.text.optional(input.reason, 500),
    },
    params_digest: paramsDigest,
  };
}

function blank(): Omit<
  AuditEntry,
  'tool' | 'orchestrator' | 'pipeline' | 'principal' | 'client' | 'params' | 'params_digest' | 'decision'
> {
  return {
    time: new Date().toISOString(),
    id: randomUUID(),
    idempotency_key: null,
    reason: null,
    run_id: null,
    latency_ms: null,
  };
}

/**
 * The outcome of a call the orchestrator has answered. If the state became unreachable meanwhile, the
 * answer still stands (the run exists): the intent stays open and is reconciled later.
 */
async function recordOutcome(ctx: ServiceContext, store: TriggerStore, entry: AuditEntry): Promise<void> {
  try {
    await store.append(entry);
  } catch (error) {
    if (!(error instanceof StateUnavailableError)) throw error;
    ctx.logger.error(
      { err: error, state: store.location, audit_id: entry.id, decision: entry.decision },
      'outcome not recorded: trigger state unavailable; it will be reconciled',
    );
  }
}

/**
 * A run this idempotency key already started, by this process or another one sharing the store. Checked
 * under the pipeline lock, so two processes can never both start the same key. An intent left open by a
 * process that died is settled here first (it released the lock we now hold).
 */
async function earlierStart(
  ctx: ServiceContext,
  store: TriggerStore,
  adapter: OrchestratorAdapter,
  qualified: string,
  runId: string,
): Promise<PipelineRun | null> {
  let entries = await store.entriesWithKey(qualified, runId);
  const closed = new Set(entries.filter((e) => e.decision !== 'intent').map((e) => e.id));
  const open = entries.filter((e) => e.decision === 'intent' && !closed.has(e.id));
  for (const intent of open) await reconcileIntent(ctx, store, intent);
  if (open.length > 0) entries = await store.entriesWithKey(qualified, runId);
  const started = entries.filter(countsAsStart).at(-1);
  if (!started?.run_id) return null;
  return findRun(adapter, qualified.slice(adapter.name.length + 1), started.run_id);
}

async function findRun(
  adapter: OrchestratorAdapter,
  pipelineId: string,
  runId: string,
): Promise<PipelineRun | null> {
  try {
    return await adapter.getRun(pipelineId, runId);
  } catch (error) {
    if (isMonitorError(error)) return null;
    throw error;
  }
}

function callOptional<A extends unknown[]>(
  fn: ((...args: A) => Promise<PipelineRun>) | undefined,
  ...args: A
): Promise<PipelineRun> {
  if (!fn) throw new MonitorError('unsupported', 'This orchestrator does not support that operation.');
  return fn(...args);
}

/**
 * Polls the run until it finishes, the wait bound passes or the caller cancels, sending progress each
 * time. A cancelled wait stops watching; it never cancels the run.
 */
async function waitForRun(
  adapter: OrchestratorAdapter,
  pipelineId: string,
  run: PipelineRun,
  input: TriggerInput,
): Promise<PipelineRun> {
  const bound = Math.min(Math.max(0, input.wait_seconds ?? 0), 600) * 1000;
  const until = Date.now() + bound;
  let current = run;
  let step = 1;
  while (!isTerminal(current.status) && Date.now() < until && !input.signal?.aborted) {
    await sleep(Math.min(WAIT_POLL_MS, Math.max(0, until - Date.now())), input.signal);
    if (input.signal?.aborted) break;
    current = await adapter.getRun(pipelineId, current.run_id);
    step += 1;
    await input.progress?.(`${current.run_id} is ${current.native_status}`, step);
  }
  return current;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function waitNote(run: PipelineRun, input: TriggerInput): string {
  return input.wait_seconds && !isTerminal(run.status)
    ? `; not finished after waiting ${input.wait_seconds} s`
    : '';
}

/**
 * Progress is best effort: a client that went away (its HTTP exchange closed) makes sending fail, and that
 * must never stop a write between its audited intent and the orchestrator call, nor the outcome's record.
 */
function bestEffort(progress: TriggerInput['progress']): TriggerInput['progress'] {
  if (!progress) return undefined;
  return async (message, step, total) => {
    try {
      await progress(message, step, total);
    } catch {
      // nobody is listening any more
    }
  };
}
