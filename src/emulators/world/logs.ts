import { hashKeys, Rng } from './random.js';
import { apiTime, pythonIsoTime } from './time.js';
import type {
  ErrorDetail,
  LogLine,
  TaskLog,
  WorldAttempt,
  WorldDag,
  WorldError,
  WorldRun,
  WorldTask,
  WorldTaskDef,
} from './types.js';

/**
 * Task logs are generated line by line on demand, never stored: the head and the tail of an attempt's
 * log are built eagerly (a few lines), the body is computed from (task, try, index) when read.
 */
export function taskLog(
  dag: WorldDag,
  run: WorldRun,
  task: WorldTask,
  tryNumber: number,
  asOf: number,
): TaskLog | null {
  const attempt = task.attempts[tryNumber - 1];
  const def = dag.tasks.find((d) => d.task_id === task.task_id);
  if (!attempt || !def) return null;
  const end = attempt.end_date ?? Math.max(asOf, attempt.start_date);
  const failedHere = attempt.state === 'failed' || attempt.state === 'up_for_retry';
  const error = failedHere ? run.failure?.error : undefined;
  const tail = attempt.end_date === null ? [] : tailLines(dag, run, task, def, attempt, error ?? null);
  const head = headLines(dag, task, attempt);
  // A running attempt has written about half of its output so far.
  const bodyCount = attempt.end_date === null ? Math.ceil(def.log_lines / 2) : def.log_lines;
  const bodyStart = attempt.start_date + 400;
  const bodyEnd = Math.max(bodyStart, (tail[0]?.timestamp ?? end) - 50);
  const body = bodyGenerator(dag, task, def, attempt);
  const length = head.length + bodyCount + tail.length;
  return {
    length,
    complete: attempt.end_date !== null,
    at(index: number): LogLine {
      if (index < 0 || index >= length) throw new RangeError(`log line ${index} of ${length}`);
      if (index < head.length) return head[index] as LogLine;
      const b = index - head.length;
      if (b < bodyCount) {
        const timestamp = Math.floor(bodyStart + ((bodyEnd - bodyStart) * (b + 1)) / (bodyCount + 1));
        return body(b, bodyCount, timestamp);
      }
      return tail[b - bodyCount] as LogLine;
    },
  };
}

function logPath(task: WorldTask, tryNumber: number): string {
  const mapped = task.map_index >= 0 ? `map_index=${task.map_index}/` : '';
  return `/opt/airflow/logs/dag_id=${task.dag_id}/run_id=${task.run_id}/task_id=${task.task_id}/${mapped}attempt=${tryNumber}.log`;
}

function headLines(dag: WorldDag, task: WorldTask, attempt: WorldAttempt): LogLine[] {
  const t = attempt.start_date;
  return [
    { event: '::group::Log message source details' },
    { event: logPath(task, attempt.try_number) },
    { event: '::endgroup::' },
    {
      timestamp: t + 112,
      level: 'info',
      event: 'DAG bundles loaded: dags-folder',
      logger: 'airflow.dag_processing.bundles.manager.DagBundlesManager',
      filename: 'manager.py',
      lineno: 179,
    },
    {
      timestamp: t + 113,
      level: 'info',
      event: `Filling up the DagBag from ${dag.fileloc}`,
      logger: 'airflow.models.dagbag.DagBag',
      filename: 'dagbag.py',
      lineno: 593,
    },
  ];
}

type Kind = 'bash' | 'sql' | 'python';

function kindOf(def: WorldTaskDef): Kind {
  if (def.operator === 'BashOperator') return 'bash';
  if (def.operator.includes('SQL')) return 'sql';
  return 'python';
}

/** The logger name Airflow gives user code in a DAG file (modules are imported under a unique prefix). */
function userLogger(dag: WorldDag): string {
  const stem = dag.relative_fileloc.replace(/\.py$/, '').replace(/\W/g, '_');
  const h = [1, 2, 3, 4, 5].map((k) => hashKeys(dag.fileloc, k).toString(16).padStart(8, '0')).join('');
  return `unusual_prefix_${h}_${stem}`;
}

const SUBPROCESS = 'airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook';
const SQL_HOOK = 'airflow.task.hooks.airflow.providers.common.sql.hooks.sql.DbApiHook';

function bodyGenerator(dag: WorldDag, task: WorldTask, def: WorldTaskDef, attempt: WorldAttempt) {
  const kind = kindOf(def);
  const logger = userLogger(dag);
  const seed = hashKeys(task.dag_id, task.run_id, task.task_id, task.map_index, attempt.try_number);
  return (i: number, count: number, timestamp: number): LogLine => {
    const rng = new Rng(hashKeys(seed, i));
    const rows = rng.int(1_000, 250_000).toLocaleString('en-US');
    if (kind === 'bash') {
      const event =
        i === 0
          ? `Running command: ['/usr/bin/bash', '-c', 'cd /opt/airflow/dbt && dbt build --target prod']`
          : `${rng.int(1, count)} of ${count} OK created sql table model analytics.${def.task_id}_${rng.int(1, 99)} ... [SUCCESS ${rows} in ${rng.float(0.5, 40).toFixed(2)}s]`;
      return { timestamp, level: 'info', event, logger: SUBPROCESS };
    }
    if (kind === 'sql') {
      const event =
        i % 2 === 0
          ? `Running statement: INSERT INTO warehouse.${def.task_id} SELECT * FROM staging.${def.task_id} WHERE batch_id = ${rng.int(1000, 9999)}, parameters: None`
          : `Rows affected: ${rows}`;
      return {
        timestamp,
        level: 'info',
        event,
        logger: SQL_HOOK,
        filename: 'sql.py',
        lineno: i % 2 === 0 ? 624 : 633,
      };
    }
    const event = rng.pick([
      `Processed batch ${i + 1}/${count}: ${rows} rows in ${rng.float(0.2, 9).toFixed(2)}s`,
      `Fetched page ${i + 1} of ${count} (${rows} records)`,
      `Wrote ${rows} rows to staging.${def.task_id}`,
    ]);
    return { timestamp, level: 'info', event, logger, filename: dag.relative_fileloc, lineno: 20 + (i % 30) };
  };
}

function successLine(def: WorldTaskDef, at: number): LogLine {
  switch (kindOf(def)) {
    case 'bash':
      return { timestamp: at, level: 'info', event: 'Command exited with return code 0', logger: SUBPROCESS };
    case 'sql':
      return {
        timestamp: at,
        level: 'info',
        event: 'Rows affected: 0',
        logger: SQL_HOOK,
        filename: 'sql.py',
        lineno: 633,
      };
    default:
      return {
        timestamp: at,
        level: 'info',
        event: 'Done. Returned value was: None',
        logger: `airflow.task.operators.airflow.providers.standard.operators.python.${def.operator}`,
        filename: 'python.py',
        lineno: 218,
      };
  }
}

/** structlog's dict traceback of an exception chain: the raised exception first, then its causes. */
export function errorDetail(error: WorldError): ErrorDetail[] {
  return error.chain.map((exc, i) => ({
    exc_type: exc.type.slice(exc.type.lastIndexOf('.') + 1),
    exc_value: exc.message,
    exc_notes: [],
    syntax_error: null,
    is_cause: i > 0,
    frames: exc.frames.map(({ filename, lineno, name }) => ({ filename, lineno, name })),
    is_group: false,
    exceptions: [],
  }));
}

/** What `traceback.print_exc()` prints for the caught exception (the raised one's cause). */
function printedTraceback(error: WorldError): string[] {
  const caught = error.chain[1] ?? error.chain[0];
  if (!caught) return [];
  const lines = ['Traceback (most recent call last):'];
  for (const f of caught.frames) {
    lines.push(`  File "${f.filename}", line ${f.lineno}, in ${f.name}`);
    if (f.line) lines.push(`    ${f.line}`);
  }
  lines.push(`${caught.type}: ${caught.message}`);
  return lines;
}

function compactTime(ms: number): string {
  return pythonIsoTime(ms).slice(0, 19).replace(/[-:]/g, '');
}

function tailLines(
  dag: WorldDag,
  run: WorldRun,
  task: WorldTask,
  def: WorldTaskDef,
  attempt: WorldAttempt,
  error: WorldError | null,
): LogLine[] {
  const end = attempt.end_date ?? attempt.start_date;
  if (!error) return [successLine(def, end - 3)];
  const lines: LogLine[] = [];
  const gap = Math.min(7_000, Math.floor((end - attempt.start_date) / (error.preamble.length + 4)));
  error.preamble.forEach((p, i) => {
    lines.push({
      timestamp: end - (error.preamble.length - i) * gap - 60,
      level: p.level,
      event: p.event,
      logger: p.logger,
    });
  });
  if (error.printed_traceback) {
    for (const text of printedTraceback(error)) {
      lines.push({ timestamp: end - 40, level: 'error', event: text, logger: 'task.stderr' });
    }
  }
  lines.push({
    timestamp: end - 20,
    level: 'error',
    event: 'Task failed with exception',
    logger: 'task',
    filename: 'task_runner.py',
    lineno: 1133,
    error_detail: errorDetail(error),
  });
  const marking = attempt.state === 'up_for_retry' ? 'UP_FOR_RETRY' : 'FAILED';
  const mapped = task.map_index >= 0 ? `, map_index=${task.map_index}` : '';
  const logical = run.logical_date === null ? '' : `, logical_date=${compactTime(run.logical_date)}`;
  lines.push({
    timestamp: end - 5,
    level: 'info',
    event: `Marking task as ${marking}. dag_id=${dag.dag_id}, task_id=${task.task_id}${mapped}, run_id=${run.run_id}${logical}, start_date=${compactTime(attempt.start_date)}, end_date=${compactTime(end)}`,
    logger: 'task',
  });
  return lines;
}

/** One log line as text: `[time] LEVEL logger - event`, then any traceback, like Airflow's UI text view. */
export function renderLogLine(line: LogLine): string {
  const parts: string[] = [];
  if (line.timestamp !== undefined) parts.push(`[${apiTime(line.timestamp)}]`);
  if (line.level) parts.push(line.level.toUpperCase());
  if (line.logger) parts.push(`${line.logger} -`);
  parts.push(line.event);
  let text = parts.join(' ');
  // Python prints the innermost cause first.
  const chain = [...(line.error_detail ?? [])].reverse();
  chain.forEach((exc, i) => {
    if (i > 0) text += '\n\nThe above exception was the direct cause of the following exception:\n';
    text += '\nTraceback (most recent call last):';
    for (const f of exc.frames) text += `\n  File "${f.filename}", line ${f.lineno}, in ${f.name}`;
    text += `\n${exc.exc_type}: ${exc.exc_value}`;
  });
  return text;
}

/** The whole log as text (for small logs and tests; big ones should be read line by line). */
export function renderLogText(log: TaskLog): string {
  let out = '';
  for (let i = 0; i < log.length; i++) out += `${renderLogLine(log.at(i))}\n`;
  return out;
}
