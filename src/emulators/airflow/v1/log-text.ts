import { hashKeys, pythonIsoTime } from '../../world/index.js';
import type {
  LogLine,
  TaskLog,
  WorldAttempt,
  WorldDag,
  WorldError,
  WorldException,
  WorldFrame,
  WorldRun,
  WorldTask,
} from '../../world/index.js';
import { executionDate } from './serializers.js';

/**
 * A world task log as Airflow 2 writes it: plain text lines `[time] {file.py:lineno} LEVEL - message`, the
 * task runner's own lines around the operator's output, and a failure as `Task failed with exception`
 * followed by a Python traceback (cause first, then the exception it caused).
 */

export interface RenderedLog {
  /** The `*** …` lines the log handler prepends to the first chunk (where it found the log). */
  messages: string;
  /** The log file's text (lines joined with `\n`, no trailing newline). */
  text: string;
}

const SITE = '/home/airflow/.local/lib/python3.12/site-packages';

/** How the Airflow 2 UI (and most pasted Airflow 2 logs) shows a log line's time: `[2026-11-24, 06:17:03 UTC]`. */
export function logStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `[${iso.slice(0, 10)}, ${iso.slice(11, 19)} UTC]`;
}

function line(ms: number, file: string, lineno: number, level: string, message: string): string {
  return `${logStamp(ms)} {${file}:${lineno}} ${level} - ${message}`;
}

/** Relative log path, as the task handler's filename template renders it. */
export function logRelativePath(task: WorldTask, tryNumber: number): string {
  const mapped = task.map_index >= 0 ? `map_index=${task.map_index}/` : '';
  return `dag_id=${task.dag_id}/run_id=${task.run_id}/task_id=${task.task_id}/${mapped}attempt=${tryNumber}.log`;
}

/** `str(datetime)`: `2025-06-18 06:00:00+00:00`. */
function pyStrTime(ms: number): string {
  return pythonIsoTime(ms).replace('T', ' ');
}

function compactTime(ms: number): string {
  return pythonIsoTime(ms).slice(0, 19).replace(/[-:]/g, '');
}

function tiRepr(task: WorldTask, state: string): string {
  const mapped = task.map_index >= 0 ? ` map_index=${task.map_index}` : '';
  return `<TaskInstance: ${task.dag_id}.${task.task_id} ${task.run_id}${mapped} [${state}]>`;
}

/** Airflow 3's task-runner frames become the Airflow 2 frames between the worker and the operator. */
const A2_RUNNER: WorldFrame[] = [
  {
    filename: `${SITE}/airflow/models/taskinstance.py`,
    lineno: 465,
    name: '_execute_task',
    line: 'result = _execute_callable(context=context, **execute_callable_kwargs)',
  },
  {
    filename: `${SITE}/airflow/models/taskinstance.py`,
    lineno: 432,
    name: '_execute_callable',
    line: 'return execute_callable(context=context, **execute_callable_kwargs)',
  },
  {
    filename: `${SITE}/airflow/models/baseoperator.py`,
    lineno: 401,
    name: 'wrapper',
    line: 'return func(self, *args, **kwargs)',
  },
];

function airflow2Frames(frames: readonly WorldFrame[]): WorldFrame[] {
  const out: WorldFrame[] = [];
  for (const f of frames) {
    if (f.filename.endsWith('/airflow/sdk/execution_time/task_runner.py')) continue;
    if (f.filename.endsWith('/airflow/sdk/bases/operator.py')) out.push(...A2_RUNNER);
    else if (f.filename.endsWith('/airflow/providers/standard/operators/python.py')) {
      out.push(
        f.name === 'execute'
          ? {
              filename: `${SITE}/airflow/operators/python.py`,
              lineno: 235,
              name: 'execute',
              line: 'return_value = self.execute_callable()',
            }
          : {
              filename: `${SITE}/airflow/operators/python.py`,
              lineno: 252,
              name: 'execute_callable',
              line: 'return runner.run(*self.op_args, **self.op_kwargs)',
            },
      );
    } else if (f.filename.endsWith('/airflow/sdk/execution_time/callback_runner.py')) {
      out.push({
        filename: `${SITE}/airflow/utils/operator_helpers.py`,
        lineno: 252,
        name: 'run',
        line: 'return self.func(*args, **kwargs)',
      });
    } else if (f.filename.endsWith('/airflow/providers/standard/operators/bash.py')) {
      out.push({
        filename: `${SITE}/airflow/operators/bash.py`,
        lineno: 243,
        name: 'execute',
        line: 'raise AirflowException(',
      });
    } else out.push(f);
  }
  return out;
}

function tracebackOf(exc: WorldException): string {
  let text = 'Traceback (most recent call last):';
  for (const f of airflow2Frames(exc.frames)) {
    text += `\n  File "${f.filename}", line ${f.lineno}, in ${f.name}`;
    if (f.line) text += `\n    ${f.line}`;
  }
  return `${text}\n${exc.type}: ${exc.message}`;
}

/** What `log.exception()` appends: the innermost cause first, as Python prints a chain. */
export function pythonTraceback(error: WorldError): string {
  return [...error.chain]
    .reverse()
    .map(tracebackOf)
    .join('\n\nThe above exception was the direct cause of the following exception:\n\n');
}

const HIDDEN_LOGGERS = new Set([
  'airflow.dag_processing.bundles.manager.DagBundlesManager',
  'airflow.models.dagbag.DagBag',
]);

const SUBPROCESS = /\.SubprocessHook$/;

function sourceOf(l: LogLine): { file: string; lineno: number } {
  const logger = l.logger ?? 'airflow.task';
  if (l.filename) {
    return { file: l.filename.slice(l.filename.lastIndexOf('/') + 1), lineno: l.lineno ?? 1 };
  }
  if (logger === 'task.stderr') return { file: 'logging_mixin.py', lineno: 190 };
  if (SUBPROCESS.test(logger)) {
    const lineno = l.event.startsWith('Running command')
      ? 75
      : l.event.startsWith('Command exited')
        ? 97
        : 93;
    return { file: 'subprocess.py', lineno };
  }
  if (logger === 'urllib3.connectionpool') return { file: 'connectionpool.py', lineno: 870 };
  const module =
    logger
      .split('.')
      .filter((s) => /^[a-z_][a-z0-9_]*$/.test(s))
      .pop() ?? 'logging_mixin';
  return { file: `${module}.py`, lineno: 20 + (hashKeys(logger, l.event) % 80) };
}

function levelOf(l: LogLine, logger: string): string {
  if (logger === 'task.stderr') return 'WARNING';
  return (l.level ?? 'info').toUpperCase();
}

/**
 * Renders one try of a task instance. `log` is the world's log of that try (Airflow 3 structured events);
 * the Airflow 3-only head lines are replaced by Airflow 2's task runner lines.
 */
export function renderV1Log(
  dag: WorldDag,
  run: WorldRun,
  task: WorldTask,
  attempt: WorldAttempt,
  log: TaskLog,
): RenderedLog {
  const relative = logRelativePath(task, attempt.try_number);
  const complete = attempt.end_date !== null;
  const messages = complete
    ? `*** Found local files:\n***   * /opt/airflow/logs/${relative}\n`
    : `*** Found logs served from host http://${attempt.hostname}:8793/log/${relative}\n`;
  const t = attempt.start_date;
  const jobId = 10_000 + (hashKeys(task.id, attempt.try_number) % 90_000);
  const operator = `<${task.map_index >= 0 ? 'Mapped' : 'Task'}(${task.operator}): ${task.task_id}>`;
  const execution = executionDate(run);
  const mapArgs = task.map_index >= 0 ? `, '--map-index', '${task.map_index}'` : '';
  const cfg = `/tmp/tmp${(hashKeys(task.id, 'cfg', attempt.try_number) % 36 ** 8).toString(36).padStart(8, 'x')}`;
  const out: string[] = [
    line(t, 'local_task_job_runner.py', 123, 'INFO', '::group::Pre task execution logs'),
    line(
      t + 21,
      'taskinstance.py',
      2612,
      'INFO',
      `Dependencies all met for dep_context=non-requeueable deps ti=${tiRepr(task, 'queued')}`,
    ),
    line(
      t + 27,
      'taskinstance.py',
      2612,
      'INFO',
      `Dependencies all met for dep_context=requeueable deps ti=${tiRepr(task, 'queued')}`,
    ),
    line(
      t + 28,
      'taskinstance.py',
      2865,
      'INFO',
      `Starting attempt ${attempt.try_number} of ${task.max_tries + 1}`,
    ),
    line(t + 38, 'taskinstance.py', 2888, 'INFO', `Executing ${operator} on ${pyStrTime(execution)}`),
    line(t + 43, 'standard_task_runner.py', 72, 'INFO', `Started process ${attempt.pid} to run task`),
    line(
      t + 45,
      'standard_task_runner.py',
      104,
      'INFO',
      `Running: ['airflow', 'tasks', 'run', '${task.dag_id}', '${task.task_id}', '${task.run_id}', '--job-id', '${jobId}', '--raw', '--subdir', 'DAGS_FOLDER/${dag.relative_fileloc}', '--cfg-path', '${cfg}'${mapArgs}]`,
    ),
    line(t + 46, 'standard_task_runner.py', 105, 'INFO', `Job ${jobId}: Subtask ${task.task_id}`),
    line(t + 60, 'dagbag.py', 588, 'INFO', `Filling up the DagBag from ${dag.fileloc}`),
    line(
      t + 80,
      'task_command.py',
      467,
      'INFO',
      `Running ${tiRepr(task, 'running')} on host ${attempt.hostname}`,
    ),
    line(
      t + 150,
      'taskinstance.py',
      3131,
      'INFO',
      `Exporting env vars: AIRFLOW_CTX_DAG_OWNER='${dag.owners.join(',')}' AIRFLOW_CTX_DAG_ID='${task.dag_id}' AIRFLOW_CTX_TASK_ID='${task.task_id}' AIRFLOW_CTX_EXECUTION_DATE='${pythonIsoTime(execution)}' AIRFLOW_CTX_TRY_NUMBER='${attempt.try_number}' AIRFLOW_CTX_DAG_RUN_ID='${task.run_id}'`,
    ),
    line(t + 151, 'taskinstance.py', 731, 'INFO', '::endgroup::'),
  ];
  const error = run.failure?.error;
  let failedWith: string | null = null;
  let last = t + 151;
  for (let i = 0; i < log.length; i++) {
    const l = log.at(i);
    if (l.timestamp === undefined || (l.logger && HIDDEN_LOGGERS.has(l.logger))) continue;
    last = l.timestamp;
    if (l.error_detail) {
      const trace = error ? pythonTraceback(error) : '';
      failedWith = error?.chain[0]?.message ?? l.event;
      out.push(
        `${line(l.timestamp, 'taskinstance.py', 3311, 'ERROR', 'Task failed with exception')}\n${trace}`,
      );
      continue;
    }
    const marking = /^Marking task as (\w+)\./.exec(l.event);
    if (marking && l.logger === 'task') {
      out.push(
        line(
          l.timestamp,
          'taskinstance.py',
          1225,
          'INFO',
          markingMessage(marking[1] ?? 'FAILED', task, run, attempt),
        ),
      );
      continue;
    }
    const logger = l.logger ?? 'airflow.task';
    const { file, lineno } = sourceOf(l);
    out.push(line(l.timestamp, file, lineno, levelOf(l, logger), l.event));
  }
  if (complete) {
    const end = attempt.end_date as number;
    if (attempt.state === 'success') {
      const downstream =
        dag.tasks.findIndex((d) => d.task_id === task.task_id) < dag.tasks.length - 1 ? 1 : 0;
      out.push(
        line(
          Math.max(last, end - 2),
          'taskinstance.py',
          1225,
          'INFO',
          markingMessage('SUCCESS', task, run, attempt),
        ),
        line(end + 40, 'local_task_job_runner.py', 243, 'INFO', 'Task exited with return code 0'),
        line(
          end + 55,
          'taskinstance.py',
          3900,
          'INFO',
          `${downstream} downstream tasks scheduled from follow-on schedule check`,
        ),
      );
    } else if (failedWith !== null) {
      out.push(
        line(
          end + 8,
          'standard_task_runner.py',
          124,
          'ERROR',
          `Failed to execute job ${jobId} for task ${task.task_id} (${failedWith}; ${attempt.pid})`,
        ),
        line(end + 40, 'local_task_job_runner.py', 243, 'INFO', 'Task exited with return code 1'),
      );
    }
  }
  return { messages, text: out.join('\n') };
}

function markingMessage(state: string, task: WorldTask, run: WorldRun, attempt: WorldAttempt): string {
  const mapped = task.map_index >= 0 ? `, map_index=${task.map_index}` : '';
  const end = attempt.end_date ?? attempt.start_date;
  return `Marking task as ${state}. dag_id=${task.dag_id}, task_id=${task.task_id}${mapped}, run_id=${task.run_id}, execution_date=${compactTime(executionDate(run))}, start_date=${compactTime(attempt.start_date)}, end_date=${compactTime(end)}`;
}
