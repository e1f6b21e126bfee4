import type { Hono, MiddlewareHandler } from 'hono';
import type { TaskLog } from '../../world/index.js';
import type { EmulatorContext, Env } from '../context.js';
import { queryOf } from '../context.js';
import { badRequest, HttpError, notFound } from '../errors.js';
import { ParamReader } from '../params.js';
import { logEvent } from '../serializers.js';

interface LogPosition {
  end_of_log: boolean;
  log_pos: number;
  download_logs: boolean;
}

type Accept = 'json' | 'ndjson';

/** Airflow 3's log endpoint accepts JSON (the default, also for anything starting with `*\/*`) or NDJSON; else 406. */
function acceptOf(header: string | undefined): Accept {
  const accept = header ?? '*/*';
  if (accept.startsWith('*/*') || accept.startsWith('application/json')) return 'json';
  if (accept.startsWith('application/x-ndjson')) return 'ndjson';
  throw new HttpError(406, 'Only application/json or application/x-ndjson is supported');
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `GET …/taskInstances/{task_id}/logs/{try_number}`. Each JSON response carries at most `logChunkBytes`
 * of serialized events and a signed continuation token until the end of the log (a running try never
 * ends: the last chunk is empty and still has a token), so clients must follow tokens.
 */
export function logRoutes(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;
  app.get('/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:try_number', auth, (c) => {
    const accept = acceptOf(c.req.header('accept'));
    const path = new ParamReader((name) => [c.req.param(name) ?? ''], 'path');
    const tryNumber = path.int('try_number', 0, 0);
    const q = queryOf(c);
    const fullContent = q.bool('full_content') ?? false;
    const mapIndex = q.int('map_index', -1);
    const token = q.string('token');
    q.issues.unshift(...path.issues);
    q.done();

    let position: LogPosition = { end_of_log: false, log_pos: 0, download_logs: fullContent };
    if (token) {
      const decoded = ctx.signer.loads(token) as Partial<LogPosition> | undefined;
      if (!decoded || typeof decoded !== 'object')
        throw badRequest('Bad Signature. Please use only the tokens provided by the API.');
      position = {
        end_of_log: false,
        log_pos: typeof decoded.log_pos === 'number' ? decoded.log_pos : 0,
        download_logs: decoded.download_logs === true || fullContent,
      };
    }

    const ti = world.task(c.req.param('dag_id'), c.req.param('dag_run_id'), c.req.param('task_id'), mapIndex);
    if (!ti || tryNumber > ti.try_number || (tryNumber === 0 && ti.try_number !== 0))
      throw notFound('TaskInstance not found');
    if (tryNumber === 0) {
      return c.json({
        content: [{ event: `Error fetching the logs. Try number ${tryNumber} is invalid.` }],
        continuation_token: null,
      });
    }
    const log = world.log(ti, tryNumber) as TaskLog;
    const start = Math.min(position.log_pos, log.length);

    if (accept === 'ndjson') {
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (!log.complete)
        headers['Airflow-Continuation-Token'] = ctx.signer.dumps({ ...position, log_pos: log.length });
      let i = start;
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          let batch = '';
          while (i < log.length && batch.length < 65_536)
            batch += `${JSON.stringify(logEvent(log.at(i++)))}\n`;
          if (batch) controller.enqueue(encoder.encode(batch));
          if (i >= log.length) controller.close();
        },
      });
      return new Response(stream, { status: 200, headers });
    }

    const content: Record<string, unknown>[] = [];
    let bytes = 0;
    let end = start;
    while (end < log.length) {
      const event = logEvent(log.at(end));
      const size = utf8Length(JSON.stringify(event));
      if (content.length > 0 && bytes + size > ctx.logChunkBytes) break;
      content.push(event);
      bytes += size;
      end++;
    }
    const endOfLog = end >= log.length && log.complete;
    const next = endOfLog
      ? null
      : ctx.signer.dumps({ end_of_log: false, log_pos: end, download_logs: position.download_logs });
    return c.json({ content, continuation_token: next });
  });
}
