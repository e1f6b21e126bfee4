import { runActionRoutesV1 } from './routes/run-actions.js';
import { Hono } from 'hono';
import type { EmulatorContext, Env } from '../context.js';
import { HttpError, ValidationFailure } from '../errors.js';
import { installRequestHooks } from '../hooks.js';
import type { RequestHooks } from '../hooks.js';
import { authenticateV1, isPublicV1 } from './auth.js';
import {
  defaultTitle,
  htmlNotFound,
  htmlServerError,
  METHOD_NOT_ALLOWED_DESCRIPTION,
  NOT_FOUND_DESCRIPTION,
  Problem,
} from './errors.js';
import { dagRunRoutesV1 } from './routes/dag-runs.js';
import { dagRoutesV1 } from './routes/dags.js';
import { logRoutesV1 } from './routes/logs.js';
import { metaRoutesV1 } from './routes/meta.js';
import { taskInstanceRoutesV1, UnhandledServerError } from './routes/task-instances.js';

/**
 * The Hono app speaking Airflow 2.10's stable REST API (`/api/v1`) over the given context. Like the
 * Airflow 2 webserver, it has nothing at `/api/v2` (or `/auth/token`): those are its HTML 404 page.
 */
export function createAirflowV1App(ctx: EmulatorContext, hooks: RequestHooks): Hono<Env> {
  const app = new Hono<Env>();
  installRequestHooks(app, hooks, { isPublic: isPublicV1, authenticate: (c) => authenticateV1(ctx, c) });
  metaRoutesV1(app);
  dagRoutesV1(app, ctx);
  dagRunRoutesV1(app, ctx);
  taskInstanceRoutesV1(app, ctx);
  runActionRoutesV1(app, ctx);
  logRoutesV1(app, ctx);
  for (const path of new Set(app.routes.map((r) => r.path).filter((p) => p !== '/*' && p !== '*'))) {
    app.all(path, () => {
      throw new Problem(405, 'Method Not Allowed', METHOD_NOT_ALLOWED_DESCRIPTION);
    });
  }
  app.notFound((c) =>
    new URL(c.req.url).pathname.startsWith('/api/v1/')
      ? new Problem(404, 'Not Found', NOT_FOUND_DESCRIPTION).response()
      : htmlNotFound(),
  );
  app.onError((err) => {
    if (err instanceof Problem) return err.response();
    if (err instanceof HttpError) {
      const detail = typeof err.detail === 'string' ? err.detail : JSON.stringify(err.detail);
      return new Problem(err.status, defaultTitle(err.status), detail, err.headers).response();
    }
    if (err instanceof ValidationFailure) return new Problem(400, 'Bad Request', err.message).response();
    if (!(err instanceof UnhandledServerError)) console.error('airflow v1 emulator: unhandled error', err);
    return htmlServerError();
  });
  return app;
}
