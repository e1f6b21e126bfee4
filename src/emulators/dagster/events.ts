import { createHash } from 'node:crypto';
import type { LogLine, World, WorldAttempt, WorldException, WorldRun, WorldTask } from '../world/index.js';
import { stepKeyOf, type JobPlacement } from './model.js';

/**
 * A run's structured event log and its steps' captured stdout/stderr, derived from the world's runs, task
 * attempts, failures and task logs, in Dagster's shapes and wording.
 */

export interface PythonErrorValue {
  __typename: 'PythonError';
  message: string;
  className: string | null;
  stack: string[];
  cause: PythonErrorValue | null;
  causes: PythonErrorValue[];
}

export interface EventValue {
  __typename: string;
  runId: string;
  message: string;
  /** Epoch milliseconds, as a string (Dagster's event timestamps). */
  timestamp: string;
  level: 'CRITICAL' | 'ERROR' | 'INFO' | 'WARNING' | 'DEBUG';
  stepKey: string | null;
  solidHandleID: string | null;
  eventType: string | null;
  pipelineName?: string;
  error?: PythonErrorValue | null;
  errorSource?: string | null;
  secondsToWait?: number | null;
  fileKey?: string;
  stepKeys?: string[];
  logKey?: string;
  pid?: number | null;
  externalUrl?: null;
  externalStdoutUrl?: null;
  externalStderrUrl?: null;
  label?: string | null;
  description?: string | null;
  markerStart?: string | null;
  markerEnd?: string | null;
}

/** A Python exception chain as Dagster serializes it (message = `module.Class: text\n`). */
export function pythonError(chain: readonly WorldException[], index = 0): PythonErrorValue | null {
  const exc = chain[index];
  if (!exc) return null;
  const cause = pythonError(chain, index + 1);
  return {
    __typename: 'PythonError',
    message: `${exc.type}: ${exc.message}\n`,
    className: exc.type.slice(exc.type.lastIndexOf('.') + 1),
    stack: exc.frames.map(
      (f) => `  File "${f.filename}", line ${f.lineno}, in ${f.name}\n${f.line ? `    ${f.line}\n` : ''}`,
    ),
    cause,
    causes: cause ? [cause] : [],
  };
}

/** A PythonError from a printed traceback (the last line is `Type: message`). */
export function pythonErrorFromTraceback(traceback: string): PythonErrorValue {
  const lines = traceback.split('\n').filter((l) => l.trim().length > 0);
  const last = lines[lines.length - 1] ?? 'Exception';
  const frames: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.startsWith('  File ')) continue;
    const next = lines[i + 1];
    frames.push(`${line}\n${next?.startsWith('    ') ? `${next}\n` : ''}`);
  }
  const type = last.includes(':') ? last.slice(0, last.indexOf(':')) : last;
  return {
    __typename: 'PythonError',
    message: `${last}\n`,
    className: type.slice(type.lastIndexOf('.') + 1),
    stack: frames,
    cause: null,
    causes: [],
  };
}

/** A short file key per step attempt, like the ones Dagster's compute log manager uses. */
export function fileKeyOf(runId: string, stepKey: string, attempt: number): string {
  const digest = createHash('sha1').update(`${runId}\u0000${stepKey}\u0000${attempt}`).digest();
  let key = '';
  for (let i = 0; i < 8; i++) key += String.fromCharCode(97 + ((digest[i] as number) % 26));
  return key;
}

function level(value: LogLine['level']): EventValue['level'] {
  switch (value) {
    case 'critical':
      return 'CRITICAL';
    case 'error':
      return 'ERROR';
    case 'warning':
      return 'WARNING';
    case 'debug':
      return 'DEBUG';
    default:
      return 'INFO';
  }
}

function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${s % 60}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

interface StepAttempt {
  task: WorldTask;
  stepKey: string;
  attempt: WorldAttempt;
  number: number;
  /** The failure this attempt ended with, if it failed. */
  error: PythonErrorValue | null;
}

/** Every attempt of every step that ran (never-run steps have no events, as in Dagster). */
export function stepAttempts(world: World, run: WorldRun): StepAttempt[] {
  const out: StepAttempt[] = [];
  const failure = run.failure;
  for (const task of world.tasks(run)) {
    const stepKey = stepKeyOf(task);
    task.attempts.forEach((attempt, i) => {
      const failedHere =
        (attempt.state === 'failed' || attempt.state === 'up_for_retry') &&
        failure !== null &&
        failure.task_id === task.task_id &&
        failure.map_index === task.map_index;
      out.push({
        task,
        stepKey,
        attempt,
        number: i + 1,
        error: failedHere ? pythonError(failure.error.chain) : null,
      });
    });
  }
  return out;
}

/** The run's event log, oldest first. */
export function runEvents(world: World, run: WorldRun, runId: string, placement: JobPlacement): EventValue[] {
  const job = placement.job;
  const events: EventValue[] = [];
  const base = (
    typename: string,
    at: number,
    message: string,
    eventType: string,
    extra: Partial<EventValue> = {},
  ): EventValue => ({
    __typename: typename,
    runId,
    message,
    timestamp: String(Math.floor(at)),
    level: 'DEBUG',
    stepKey: null,
    solidHandleID: null,
    eventType,
    ...extra,
  });
  if (run.queued_at !== null) {
    events.push(base('RunEnqueuedEvent', run.queued_at, '', 'RUN_ENQUEUED', { pipelineName: job }));
  }
  if (run.start_date === null) return events;
  const start = run.start_date;
  events.push(
    base('RunStartingEvent', start - 900, '', 'RUN_STARTING', { pipelineName: job }),
    base('RunStartEvent', start, `Started execution of run for "${job}".`, 'RUN_START', {
      pipelineName: job,
    }),
    base(
      'EngineEvent',
      start + 5,
      'Executing steps using multiprocess executor: parent process (pid: 1)',
      'ENGINE_EVENT',
      {
        label: null,
        description: null,
        markerStart: null,
        markerEnd: null,
        error: null,
      },
    ),
  );
  const failedSteps: string[] = [];
  for (const s of stepAttempts(world, run)) {
    const step = { stepKey: s.stepKey, solidHandleID: s.task.task_id };
    const a = s.attempt;
    if (s.number === 1) {
      events.push(
        base(
          'ExecutionStepStartEvent',
          a.start_date,
          `Started execution of step "${s.stepKey}".`,
          'STEP_START',
          step,
        ),
      );
    } else {
      events.push(
        base(
          'ExecutionStepRestartEvent',
          a.start_date,
          `Started re-execution (attempt # ${s.number}) of step "${s.stepKey}".`,
          'STEP_RESTARTED',
          step,
        ),
      );
    }
    const fileKey = fileKeyOf(runId, s.stepKey, s.number);
    events.push(
      base(
        'LogsCapturedEvent',
        a.start_date + 1,
        `Started capturing logs in process (pid: ${a.pid}).`,
        'LOGS_CAPTURED',
        {
          fileKey,
          stepKeys: [s.stepKey],
          logKey: [runId, 'compute_logs', fileKey].join('/'),
          pid: a.pid,
          externalUrl: null,
          externalStdoutUrl: null,
          externalStderrUrl: null,
        },
      ),
    );
    if (a.end_date === null) continue;
    if (s.error && run.failure) {
      const preamble = run.failure.error.preamble;
      preamble.forEach((p, i) => {
        events.push({
          ...base(
            'LogMessageEvent',
            (a.end_date as number) - (preamble.length - i) * 50 - 20,
            p.event,
            '',
            step,
          ),
          eventType: null,
          level: level(p.level),
        });
      });
      if (a.state === 'up_for_retry') {
        const next = s.task.attempts[s.number];
        const wait = next ? Math.max(0, Math.round((next.start_date - a.end_date) / 1000)) : 0;
        events.push({
          ...base(
            'ExecutionStepUpForRetryEvent',
            a.end_date,
            `Execution of step "${s.stepKey}" failed and has requested a retry in ${wait} seconds.`,
            'STEP_UP_FOR_RETRY',
            { ...step, error: s.error, secondsToWait: wait },
          ),
          level: 'ERROR',
        });
      } else {
        failedSteps.push(s.stepKey);
        events.push({
          ...base(
            'ExecutionStepFailureEvent',
            a.end_date,
            `Execution of step "${s.stepKey}" failed.`,
            'STEP_FAILURE',
            {
              ...step,
              error: s.error,
              errorSource: 'USER_CODE_ERROR',
            },
          ),
          level: 'ERROR',
        });
      }
    } else if (a.state === 'success') {
      events.push(
        base(
          'ExecutionStepSuccessEvent',
          a.end_date,
          `Finished execution of step "${s.stepKey}" in ${humanDuration(a.end_date - a.start_date)}.`,
          'STEP_SUCCESS',
          step,
        ),
      );
    }
  }
  if (run.end_date !== null) {
    if (run.state === 'success') {
      events.push(
        base('RunSuccessEvent', run.end_date, `Finished execution of run for "${job}".`, 'RUN_SUCCESS', {
          pipelineName: job,
        }),
      );
    } else if (run.state === 'failed') {
      const steps = failedSteps.map((k) => `'${k}'`).join(', ');
      events.push({
        ...base(
          'RunFailureEvent',
          run.end_date,
          `Execution of run for "${job}" failed. Steps failed: [${steps}].`,
          'RUN_FAILURE',
          { pipelineName: job, error: null },
        ),
        level: 'ERROR',
      });
    }
  }
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => Number(x.e.timestamp) - Number(y.e.timestamp) || x.i - y.i)
    .map((x) => x.e);
}

// ---------------------------------------------------------------------------------------------------------
// Captured stdout / stderr

export interface CapturedText {
  stdout: Buffer;
  stderr: Buffer;
}

/** `2025-09-08 22:02:04 +0000`, as Dagster's console log formatter prints times. */
function consoleTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}

/**
 * Dagster's text rendering of a step failure: the wrapper's message, then the user's exception and each of
 * its causes with their stacks ("The above exception was caused by the following exception:").
 */
export function renderErrorText(error: PythonErrorValue): string[] {
  const lines: string[] = [];
  const chain: PythonErrorValue[] = [];
  if (error.cause) {
    lines.push(`${error.message.replace(/\n+$/, '')}:`, '');
    for (let c: PythonErrorValue | null = error.cause; c; c = c.cause) chain.push(c);
  } else {
    chain.push(error);
  }
  chain.forEach((e, i) => {
    if (i > 0) lines.push('', 'The above exception was caused by the following exception:');
    lines.push(...e.message.replace(/\n+$/, '').split('\n'), '', 'Stack Trace:');
    for (const frame of e.stack) lines.push(...frame.replace(/\n+$/, '').split('\n'));
  });
  return lines;
}

function isStdoutLine(line: LogLine): boolean {
  const logger = line.logger ?? '';
  return logger.startsWith('unusual_prefix_') || logger.startsWith('airflow.task.hooks.');
}

/** Airflow-specific lines of the world's task logs, which a Dagster step would not print. */
function isAirflowOnly(line: LogLine): boolean {
  const logger = line.logger ?? '';
  return (
    line.event.startsWith('::') ||
    line.event.startsWith('/opt/airflow/logs/') ||
    logger === 'task' ||
    logger.startsWith('airflow.task.operators.') ||
    logger.startsWith('airflow.dag_processing') ||
    logger.startsWith('airflow.models.')
  );
}

/** What one step attempt printed: user output on stdout, Dagster's own log lines and tracebacks on stderr. */
export function capturedText(
  world: World,
  run: WorldRun,
  runId: string,
  placement: JobPlacement,
  fileKey: string,
): CapturedText | null {
  const attempt = stepAttempts(world, run).find((s) => fileKeyOf(runId, s.stepKey, s.number) === fileKey);
  if (!attempt) return null;
  const log = world.log(attempt.task, attempt.number);
  const a = attempt.attempt;
  const prefix = (at: number, lvl: string) =>
    `${consoleTime(at)} - dagster - ${lvl} - ${placement.job} - ${runId} - ${a.pid} - ${attempt.stepKey}`;
  const stdout: string[] = [];
  const stderr: string[] = [
    `${prefix(a.start_date, 'DEBUG')} - ${attempt.number === 1 ? 'STEP_START - Started execution of step' : `STEP_RESTARTED - Started re-execution (attempt # ${attempt.number}) of step`} "${attempt.stepKey}".`,
  ];
  for (let i = 0; i < (log?.length ?? 0); i++) {
    const line = (log as NonNullable<typeof log>).at(i);
    if (isAirflowOnly(line)) continue;
    if (isStdoutLine(line)) stdout.push(line.event);
    else if (line.logger === 'task.stderr') stderr.push(line.event);
    else {
      const at = line.timestamp ?? a.start_date;
      stderr.push(
        `${consoleTime(at)} - ${line.logger ?? 'root'} - ${(line.level ?? 'info').toUpperCase()} - ${line.event}`,
      );
    }
  }
  if (a.end_date !== null) {
    if (attempt.error) {
      const retry = a.state === 'up_for_retry';
      stderr.push(
        `${prefix(a.end_date, 'ERROR')} - ${retry ? 'STEP_UP_FOR_RETRY' : 'STEP_FAILURE'} - Execution of step "${attempt.stepKey}" failed${retry ? ' and has requested a retry' : ''}.`,
        '',
        ...renderErrorText(attempt.error),
        '',
      );
    } else if (a.state === 'success') {
      stderr.push(
        `${prefix(a.end_date, 'DEBUG')} - STEP_SUCCESS - Finished execution of step "${attempt.stepKey}" in ${humanDuration(a.end_date - a.start_date)}.`,
      );
    }
  }
  const text = (lines: string[]) => Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
  return { stdout: text(stdout), stderr: text(stderr) };
}

/** `[start, end)` of a UTF-8 buffer, moved back so that no character is split. */
export function utf8Slice(buffer: Buffer, start: number, maxBytes: number): { text: string; end: number } {
  const from = Math.min(Math.max(0, start), buffer.length);
  let end = Math.min(buffer.length, from + Math.max(0, maxBytes));
  while (end > from && end < buffer.length && ((buffer[end] as number) & 0xc0) === 0x80) end--;
  return { text: buffer.subarray(from, end).toString('utf8'), end };
}
