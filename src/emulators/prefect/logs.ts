import type { LogLine, WorldAttempt, WorldError, WorldRun } from '../world/index.js';
import { hashKeys } from '../world/index.js';
import { pyRepr, uuidFrom } from './ids.js';
import type { PrefectWorld, TaskRunRecord } from './translate.js';
import { exceptionRepr, isCrash, pythonTraceback } from './translate.js';

/**
 * Prefect logs derived from the world's task logs, line by line on demand: the operator output of each try
 * is read lazily from the world (a 30,000-line log costs nothing until it is read); the few lines around
 * it are Prefect's own (worker submission, "Finished in state …", exception tracebacks, crash reports).
 */

export interface LogRecord {
  id: string;
  name: string;
  level: number;
  message: string;
  timestamp: number;
  flowRunId: string;
  taskRunId: string | null;
}

/** A list of log records read by index, in timestamp order. */
export interface LazyLog {
  readonly length: number;
  at(index: number): LogRecord;
}

const LEVELS: Record<string, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

export function levelNumber(level: string | undefined): number {
  return (level && LEVELS[level]) || 20;
}

export function arrayLog(records: LogRecord[]): LazyLog {
  return { length: records.length, at: (i) => records[i] as LogRecord };
}

/** Segments one after the other (each in timestamp order, and in order between them). */
export function concatLogs(parts: readonly LazyLog[]): LazyLog {
  const segments = parts.filter((p) => p.length > 0);
  const starts: number[] = [];
  let total = 0;
  for (const s of segments) {
    starts.push(total);
    total += s.length;
  }
  return {
    length: total,
    at(index: number): LogRecord {
      let lo = 0;
      let hi = segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= index) lo = mid;
        else hi = mid - 1;
      }
      return (segments[lo] as LazyLog).at(index - (starts[lo] as number));
    },
  };
}

/** How many leading lines of a world task log are Airflow's own preamble (log source, DagBag loading). */
function worldHeadLength(at: (i: number) => LogLine, length: number): number {
  let head = 0;
  while (head < Math.min(length, 8)) {
    const line = at(head);
    const airflow =
      line.timestamp === undefined ||
      (line.logger ?? '').startsWith('airflow.dag_processing') ||
      (line.logger ?? '').startsWith('airflow.models.dagbag');
    if (!airflow) break;
    head++;
  }
  return head;
}

/** How many trailing lines of a world task log are the outcome of the try (mirrors world/logs.ts). */
function worldTailLength(
  run: WorldRun,
  attempt: WorldAttempt,
  at: (i: number) => LogLine,
  length: number,
): number {
  if (attempt.end_date === null || length === 0) return 0;
  const failedHere = attempt.state === 'failed' || attempt.state === 'up_for_retry';
  const error = failedHere ? run.failure?.error : undefined;
  if (!error) return 1;
  let tail = error.preamble.length + 2;
  const caught = error.chain[1] ?? error.chain[0];
  if (error.printed_traceback && caught) {
    tail += 2 + caught.frames.reduce((n, f) => n + 1 + (f.line ? 1 : 0), 0);
  }
  const last = at(length - 1);
  // If the world's log format ever changes, keep every line rather than mistranslating some.
  return last.logger === 'task' && last.event.startsWith('Marking task as') && tail <= length ? tail : 0;
}

interface Ctx {
  flowRunId: string;
  taskRunId: string | null;
}

function recordId(ctx: Ctx, ...keys: (string | number)[]): string {
  return uuidFrom('log', ctx.flowRunId, ctx.taskRunId ?? 'flow', ...keys);
}

/** The log of one task run: every try, one after the other. */
export function taskRunLog(pw: PrefectWorld, rec: TaskRunRecord): LazyLog {
  const ctx: Ctx = { flowRunId: rec.flowRunId, taskRunId: rec.id };
  const crashed = isCrash(rec.run);
  const parts: LazyLog[] = [];
  const attempts = rec.task.attempts;
  attempts.forEach((attempt, i) => {
    const log = pw.world.log(rec.task, attempt.try_number);
    if (!log) return;
    const at = (k: number) => log.at(k);
    const head = worldHeadLength(at, log.length);
    const tail = worldTailLength(rec.run, attempt, at, log.length);
    const bodyLength = Math.max(0, log.length - head - tail);
    const t = attempt.try_number;
    parts.push({
      length: bodyLength,
      at(k: number): LogRecord {
        const line = log.at(head + k);
        return {
          id: recordId(ctx, t, k),
          name: 'prefect.task_runs',
          level: levelNumber(line.level),
          message: line.event,
          timestamp: line.timestamp ?? attempt.start_date,
          ...ctx,
        };
      },
    });
    const tailLines: LogLine[] = [];
    for (let k = log.length - tail; k < log.length; k++) tailLines.push(log.at(k));
    const isLast = i === attempts.length - 1;
    parts.push(arrayLog(translateTail(rec, attempt, tailLines, { isLast, crashed, ctx })));
  });
  return concatLogs(parts);
}

function translateTail(
  rec: TaskRunRecord,
  attempt: WorldAttempt,
  lines: readonly LogLine[],
  o: { isLast: boolean; crashed: boolean; ctx: Ctx },
): LogRecord[] {
  const error: WorldError | undefined = rec.run.failure?.error;
  const out: LogRecord[] = [];
  const t = attempt.try_number;
  const push = (name: string, level: number, message: string, timestamp: number) =>
    out.push({ id: recordId(o.ctx, t, 'tail', out.length), name, level, message, timestamp, ...o.ctx });
  const crashedHere = o.crashed && o.isLast && rec.run.failure?.task_id === rec.task.task_id;
  for (const line of lines) {
    const ts = line.timestamp ?? attempt.start_date;
    if (line.logger === 'task.stderr') continue;
    if (line.logger === 'task' && line.event === 'Task failed with exception') {
      if (crashedHere || !error) continue; // killed: the process wrote nothing more
      const retries = rec.def.retries;
      if (attempt.state === 'up_for_retry') {
        push(
          'prefect.task_runs',
          20,
          `Task run failed with exception: ${exceptionRepr(error)} - Retry ${t}/${retries} will start 10 second(s) from now`,
          ts,
        );
      } else {
        push(
          'prefect.task_runs',
          40,
          `Task run failed with exception: ${exceptionRepr(error)} - Retries are exhausted\n${pythonTraceback(error)}`,
          ts,
        );
      }
      continue;
    }
    if (line.logger === 'task' && line.event.startsWith('Marking task as')) {
      if (crashedHere || !o.isLast || attempt.state !== 'failed') continue;
      push('prefect.task_runs', 40, `Finished in state Failed(${pyRepr(rec.state.message ?? 'Failed')})`, ts);
      continue;
    }
    if (!error || attempt.state === 'success') {
      push('prefect.task_runs', 20, 'Finished in state Completed()', ts);
      continue;
    }
    push(line.logger ?? 'prefect.task_runs', levelNumber(line.level), line.event, ts);
  }
  return out;
}

/** The flow run's own lines (task_run_id null): before the first task, and after the last one. */
export function flowRunOwnLogs(pw: PrefectWorld, run: WorldRun): { head: LogRecord[]; tail: LogRecord[] } {
  const flowRunId = pw.flowRunId(run);
  const ctx: Ctx = { flowRunId, taskRunId: null };
  const head: LogRecord[] = [];
  const tail: LogRecord[] = [];
  const line = (into: LogRecord[], name: string, level: number, message: string, timestamp: number) =>
    into.push({
      id: recordId(ctx, into === head ? 'head' : 'tail', into.length),
      name,
      level,
      message,
      timestamp,
      ...ctx,
    });
  if (run.start_date === null) return { head, tail };
  const start = run.start_date;
  const worker = `ProcessWorker ${hashKeys('worker', run.dag_id).toString(16).padStart(8, '0')}`;
  const deployment = pw.deploymentOf(run);
  line(
    head,
    'prefect.flow_runs.worker',
    20,
    `Worker '${worker}' submitting flow run '${flowRunId}'`,
    start - 4200,
  );
  line(head, 'prefect.flow_runs.worker', 20, 'Opening process...', start - 4100);
  line(head, 'prefect.flow_runs.worker', 20, `Completed submission of flow run '${flowRunId}'`, start - 3900);
  line(head, 'prefect.flow_runs', 20, "Downloading flow code from storage at '.'", start - 1200);
  line(
    head,
    'prefect.flow_runs',
    20,
    `Beginning flow run '${pw.runName(run)}' for flow '${deployment?.flow.name ?? run.dag_id}'`,
    start,
  );
  const end = run.end_date;
  if (end === null) return { head, tail };
  const state = pw.state(run);
  const error = run.failure?.error;
  if (state.type === 'COMPLETED') {
    line(tail, 'prefect.flow_runs', 20, 'Finished in state Completed()', end);
  } else if (state.type === 'CRASHED') {
    line(
      tail,
      'prefect.flow_runs.worker',
      40,
      `Process ${hashKeys(flowRunId) % 30000} exited with status code: 137; Process was terminated by the operating system (SIGKILL), typically because it exceeded its memory limit.`,
      end,
    );
    line(
      tail,
      'prefect.flow_runs.worker',
      20,
      `Reported flow run '${flowRunId}' as crashed: ${state.message ?? ''}`,
      end + 150,
    );
  } else if (state.type === 'FAILED') {
    if (error) {
      line(
        tail,
        'prefect.flow_runs',
        40,
        `Encountered exception during execution: ${exceptionRepr(error)}\n${pythonTraceback(error)}`,
        end - 2,
      );
    }
    line(
      tail,
      'prefect.flow_runs',
      40,
      `Finished in state Failed(${pyRepr(state.message ?? 'Failed')})`,
      end - 1,
    );
  }
  return { head, tail };
}

/** Every log of a flow run (its own lines and every task run's), in timestamp order. */
export function flowRunLog(pw: PrefectWorld, run: WorldRun): LazyLog {
  const own = flowRunOwnLogs(pw, run);
  const tasks = pw.taskRuns(run);
  const taskLogs = tasks.map((rec) => taskRunLog(pw, rec));
  const sequential = tasks.every((rec) => rec.task.map_index < 0);
  if (sequential) return concatLogs([arrayLog(own.head), ...taskLogs, arrayLog(own.tail)]);
  // Mapped task runs overlap in time: sort (fine for the sizes mapped demo runs have).
  const all: LogRecord[] = [...own.head, ...own.tail];
  for (const log of taskLogs) for (let i = 0; i < log.length; i++) all.push(log.at(i));
  all.sort((a, b) => a.timestamp - b.timestamp);
  return arrayLog(all);
}
