import { randomBytes } from 'node:crypto';
import { MonitorError } from '../core/errors.js';
import { liveAdapter } from './cached-adapter.js';
import type { ServiceContext } from './context.js';
import { presentRun } from './present.js';
import type { RunView } from './views.js';

export interface TriggerInput {
  pipeline_id: string;
  conf: Record<string, unknown>;
  reason?: string;
}

export interface TriggerResult {
  run: RunView;
  message: string;
}

/** Per-pipeline queue of trigger attempts, owned by the service instance. */
export type TriggerLocks = Map<string, Promise<TriggerResult>>;

/**
 * Starts a run after the basic guard: triggers enabled, pipeline not paused (never unpaused),
 * no run queued or running. Concurrent calls for one pipeline are serialized so the guard holds.
 */
export async function triggerPipeline(
  ctx: ServiceContext,
  inFlight: TriggerLocks,
  input: TriggerInput,
): Promise<TriggerResult> {
  if (!ctx.triggers.enabled) {
    throw new MonitorError('refused', 'Triggers are disabled in this server’s configuration.', {
      hint: 'an operator can set triggers.enabled: true',
    });
  }
  const resolved = await ctx.registry.resolve(input.pipeline_id);
  // The guard reads live state: a cached "not paused" or "no active run" could be seconds old.
  const adapter = liveAdapter(resolved.adapter);
  const key = `${adapter.name}\u0000${resolved.pipeline.pipeline_id}`;
  const previous = inFlight.get(key) ?? Promise.resolve();
  const attempt = previous
    .catch(() => undefined)
    .then(async (): Promise<TriggerResult> => {
      const pipeline = await adapter.getPipeline(resolved.pipeline.pipeline_id);
      if (pipeline.paused) {
        throw new MonitorError(
          'refused',
          `${pipeline.pipeline_id} is paused on ${adapter.name}; it was not triggered.`,
          {
            orchestrator: adapter.name,
            hint: 'a paused pipeline must be unpaused by its owners in the orchestrator; this server never unpauses',
          },
        );
      }
      const active = await adapter.listRuns({
        pipelineId: pipeline.pipeline_id,
        statuses: ['pending', 'running'],
        orderBy: 'started_at',
        limit: 1,
      });
      const current = active.runs[0];
      if (current) {
        throw new MonitorError(
          'refused',
          `${pipeline.pipeline_id} already has a ${current.native_status} run (${current.run_id}, since ${current.started_at ?? current.queued_at ?? 'unknown'}); not triggered.`,
          { orchestrator: adapter.name, hint: 'wait for it to finish; check it with get_pipeline_status' },
        );
      }
      const runId = `mcp__${ctx.now().toISOString().replace(/[:.]/g, '-')}__${randomBytes(3).toString('hex')}`;
      const note = `Triggered via pipeline-monitor-mcp${input.reason ? `: ${input.reason.slice(0, 500)}` : ''}`;
      const run = await resolved.adapter.triggerRun(pipeline.pipeline_id, { conf: input.conf, runId, note });
      ctx.logger.info(
        {
          orchestrator: adapter.name,
          pipeline: pipeline.pipeline_id,
          run_id: run.run_id,
          reason: input.reason,
        },
        'pipeline triggered',
      );
      return { run: presentRun(run, ctx.text), message: `Started ${run.run_id} (${run.native_status}).` };
    });
  inFlight.set(key, attempt);
  try {
    return await attempt;
  } finally {
    if (inFlight.get(key) === attempt) inFlight.delete(key);
  }
}
