import type { Hono } from 'hono';
import type { TaskLog, WorldAttempt, WorldTask } from '../../../world/index.js';
import type { EmulatorContext, Env } from '../../context.js';
import { bestMatch } from '../accept.js';
import { authorizeV1 } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { logRelativePath, renderV1Log } from '../log-text.js';
import type { RenderedLog } from '../log-text.js';
import { V1Params } from '../params.js';
import { pyHostLogList } from '../python.js';
import { queryV1 } from '../query.js';
import { jsonV1 } from '../serializers.js';

/** TI states Airflow counts as unfinished (a missing try of such a TI reads as an empty log). */
const UNFINISHED = new Set<string | null>([
  null,
  'scheduled',
  'queued',
  'running',
  'up_for_retry',
  'up_for_reschedule',
  'restarting',
  'deferred',
]);

/** Where the next chunk ends: whole lines up to `maxBytes` of UTF-8 (a longer single line is cut). */
export function chunkEnd(text: string, pos: number, maxBytes: number): number {
  if (pos >= text.length) return text.length;
  let end = Math.min(text.length, pos + Math.max(1, maxBytes));
  for (let over = Buffer.byteLength(text.slice(pos, end)) - maxBytes; over > 0 && end > pos + 1;) {
    end = Math.max(pos + 1, end - over);
    over = Buffer.byteLength(text.slice(pos, end)) - maxBytes;
  }
  if (end < text.length) {
    const newline = text.lastIndexOf('\n', end - 1);
    if (newline >= pos) end = newline + 1;
    else if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  }
  return end;
}

interface Position {
  end_of_log?: boolean;
  log_pos?: number;
}

/**
 * `GET …/taskInstances/{task_id}/logs/{task_try_number}`. JSON: `{"content": "<repr of [(host, text)]>",
 * "continuation_token": <signed {end_of_log, log_pos}>}`; the first answer starts with the handler's `***`
 * lines. A log bigger than `logChunkBytes` comes in chunks (as from Elasticsearch): follow the token until
 * `end_of_log` (a running try never ends). `full_content=true` answers everything from the position on.
 * text/plain (what werkzeug picks for `Accept: *\/*`!) streams `host\n<whole log>\n`.
 */
export function logRoutesV1(app: Hono<Env>, ctx: EmulatorContext): void {
  const { world } = ctx;
  const cache = new Map<string, RenderedLog>();
  const rendered = (task: WorldTask, attempt: WorldAttempt, log: TaskLog): RenderedLog => {
    const key = `${task.dag_id}\u0000${task.run_id}\u0000${task.task_id}\u0000${task.map_index}\u0000${attempt.try_number}\u0000${log.length}\u0000${attempt.end_date}`;
    let hit = cache.get(key);
    if (!hit) {
      const run = world.run(task.dag_id, task.run_id);
      const dag = world.dag(task.dag_id);
      if (!run || !dag) return { messages: '', text: '' };
      hit = renderV1Log(dag, run, task, attempt, log);
      if (cache.size >= 16) cache.delete(cache.keys().next().value as string);
      cache.set(key, hit);
    }
    return hit;
  };

  app.get('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:task_try_number', (c) => {
    const q = queryV1(c, ['full_content', 'map_index', 'token']);
    const path = V1Params.path((name) => c.req.param(name));
    const fullContent = q.bool('full_content') ?? false;
    const mapIndex = q.int('map_index') ?? -1;
    const token = q.string('token');
    const tryNumber = path.int('task_try_number') ?? 0;
    path.done();
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();

    let position: Position = {};
    if (token) {
      const decoded = ctx.signer.loads(token);
      if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
        throw badRequest(null, 'Bad Signature. Please use only the tokens provided by the API.');
      }
      position = decoded as Position;
    }
    const ti = world.task(c.req.param('dag_id'), c.req.param('dag_run_id'), c.req.param('task_id'), mapIndex);
    if (!ti) throw notFound('TaskInstance not found');
    const accept = bestMatch(c.req.header('accept'), ['text/plain', 'application/json']);

    let host: string;
    let messages = '';
    let text: string;
    let complete = true;
    if (tryNumber < 1) {
      host = 'default_host';
      text = `Error fetching the logs. Try number ${tryNumber} is invalid.`;
    } else {
      const attempt = ti.attempts[tryNumber - 1];
      const log = attempt ? world.log(ti, tryNumber) : null;
      if (attempt && log) {
        ({ messages, text } = rendered(ti, attempt, log));
        host = attempt.hostname;
        complete = attempt.end_date !== null;
      } else {
        host = ti.hostname ?? '';
        text = UNFINISHED.has(ti.state)
          ? ''
          : `*** Could not read served logs: Client error '404 NOT FOUND' for url 'http://${host}:8793/log/${logRelativePath(ti, tryNumber)}'\nFor more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404\n`;
      }
    }

    if (accept === 'text/plain') {
      return new Response(`${host}\n${messages}${text}\n`, { headers: { 'content-type': 'text/plain' } });
    }
    if (tryNumber < 1) {
      return jsonV1({
        content: pyHostLogList([[host, text]]),
        continuation_token: ctx.signer.dumps({ end_of_log: true }),
      });
    }
    const continuing = typeof position.log_pos === 'number';
    const start = continuing ? Math.min(Math.max(0, position.log_pos as number), text.length) : 0;
    const end = fullContent ? text.length : chunkEnd(text, start, ctx.logChunkBytes);
    const chunk = (continuing ? '' : messages) + text.slice(start, end);
    const next = { end_of_log: complete && end >= text.length, log_pos: end };
    return jsonV1({
      content: pyHostLogList([[host, chunk]]),
      continuation_token: ctx.signer.dumps(next),
    });
  });
}
