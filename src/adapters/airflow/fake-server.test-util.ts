import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A bare HTTP(S) server for tests of what no emulator models (API detection, TLS): each test sets its
 * handler. It speaks no Airflow API beyond what the handler writes.
 */

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface FakeServer {
  url: string;
  /** Requests received since the last `use`, as "METHOD /path". */
  seen: string[];
  use(handler: Handler): void;
  close(): Promise<void>;
}

export async function startFakeServer(tls?: { key: string; cert: string }): Promise<FakeServer> {
  let handler: Handler = (_req, res) => {
    res.statusCode = 404;
    res.end();
  };
  const seen: string[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    handler(req, res);
  };
  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    use: (h) => {
      handler = h;
      seen.splice(0);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

/** An Airflow 3 DAG as GET /api/v2/dags/{id} returns it. */
export function v2DagBody(dagId: string): Record<string, unknown> {
  return {
    dag_id: dagId,
    dag_display_name: dagId,
    description: null,
    is_paused: false,
    is_stale: false,
    owners: ['airflow'],
    tags: [],
    timetable_summary: null,
    has_import_errors: false,
    fileloc: `/dags/${dagId}.py`,
  };
}

/** An Airflow 2 DAG as GET /api/v1/dags/{id} returns it. */
export function v1DagBody(dagId: string): Record<string, unknown> {
  return {
    dag_id: dagId,
    description: null,
    is_paused: false,
    is_active: true,
    owners: ['airflow'],
    tags: [],
    schedule_interval: { __type: 'CronExpression', value: '@daily' },
    has_import_errors: false,
    fileloc: `/dags/${dagId}.py`,
  };
}
