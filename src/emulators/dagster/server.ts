import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { FaultPlan } from '../faults/index.js';
import { Hono, type Context } from 'hono';
import {
  GraphQLError,
  execute,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
} from 'graphql';
import type { World, WorldDag } from '../world/index.js';
import type { CapturedText, EventValue } from './events.js';
import { DagsterModel, defaultPlacement, type JobPlacement } from './model.js';
import { rootValue, type ResolverContext, type RootFault } from './resolvers.js';
import { dagsterSubsetSchema, type DagsterSchemaVariant } from './schema.js';

/** The header Dagster+ reads a user API token from. */
export const CLOUD_TOKEN_HEADER = 'Dagster-Cloud-Api-Token';

interface FaultScope {
  /** Only requests with this operationName (default: any). */
  operationName?: string;
  /** How many matching requests it affects (default: every one). */
  times?: number;
}

/** Something the emulator answers instead of the truth, for tests of hostile or broken servers. */
export type DagsterFault = FaultScope &
  (
    | { kind: 'http'; status: number; body: string; contentType?: string }
    | { kind: 'result'; field: string; value: Record<string, unknown> & { __typename: string } }
    | { kind: 'exception'; field: string; message: string }
  );

export interface DagsterEmulatorOptions {
  world: World;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, every request must carry one of these in Dagster-Cloud-Api-Token (else 401), like Dagster+. */
  cloudTokens?: string[];
  /** Valid Dagster+ tokens that may read but not launch runs (launchRun answers UnauthorizedError). */
  readOnlyTokens?: string[];
  /** Path before /graphql, e.g. `/prod` for a Dagster+ deployment or a webserver's --path-prefix. */
  pathPrefix?: string;
  /** Added to every request. Default 0. */
  latencyMs?: number;
  faults?: DagsterFault[];
  /** Default 'current'; 'without-job-owners' speaks a Dagster from before `Job.owners`. */
  schema?: DagsterSchemaVariant;
  /** Most bytes of each stream per capturedLogs answer, whatever its `limit`. Default 1 MiB. */
  capturedLogChunkBytes?: number;
  /** Where each DAG lives (code location, repository, job name). Default: see defaultPlacement. */
  placement?: (dag: WorldDag) => JobPlacement;
  /** Transport faults (5xx, Retry-After, hangs, resets, broken bodies); default: a fresh, empty plan. */
  httpFaults?: FaultPlan;
}

export interface RecordedRequest {
  method: string;
  /** As received, without the query. */
  path: string;
  /** Without the leading `?`. */
  query: string;
  status: number;
  /** The GraphQL operation's name, when the request named one (or its document did). */
  operationName: string | null;
  /** The GraphQL variables the request sent, if any. */
  variables?: unknown;
}

export interface DagsterEmulator {
  /** Base URL (with the path prefix), without /graphql, e.g. http://127.0.0.1:PORT/prod. */
  url: string;
  requests: RecordedRequest[];
  resetRequests(): void;
  world: World;
  /** Planted faults; tests may push to and splice this list at any time. */
  faults: DagsterFault[];
  close(): Promise<void>;
  /** Transport faults in front of the API; add rules at any time. */
  httpFaults: FaultPlan;
}

interface Env {
  Variables: { operationName: string | null; variables: unknown };
}

interface GraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function errorBody(messages: readonly (GraphQLError | string)[]): string {
  return JSON.stringify({
    data: null,
    errors: messages.map((m) => (typeof m === 'string' ? { message: m } : m.toJSON())),
  });
}

export function createDagsterApp(
  options: Omit<DagsterEmulatorOptions, 'host' | 'port'>,
  record: (r: RecordedRequest) => void,
  faults: DagsterFault[],
): Hono<Env> {
  const model = new DagsterModel(options.world, options.placement ?? defaultPlacement);
  const variant = options.schema ?? 'current';
  const schema = dagsterSubsetSchema(variant);
  const root = rootValue();
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const tokens = options.cloudTokens ? new Set(options.cloudTokens) : null;
  const readOnly = new Set(options.readOnlyTokens ?? []);
  const capturedCache = new Map<string, CapturedText>();
  const eventCache = new Map<string, EventValue[]>();
  const latencyMs = options.latencyMs ?? 0;

  /** The first fault matching the request (and root field), counted down and dropped when used up. */
  const takeFault = (
    operationName: string | null,
    test: (f: DagsterFault) => boolean,
  ): DagsterFault | null => {
    const index = faults.findIndex(
      (f) => (f.operationName === undefined || f.operationName === operationName) && test(f),
    );
    const fault = faults[index];
    if (!fault) return null;
    if (fault.times !== undefined) {
      fault.times--;
      if (fault.times <= 0) faults.splice(index, 1);
    }
    return fault;
  };

  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    c.set('operationName', null);
    c.set('variables', undefined);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    await next();
    const url = new URL(c.req.url);
    record({
      method: c.req.method,
      path: url.pathname,
      query: url.search.slice(1),
      status: c.res.status,
      operationName: c.get('operationName'),
      ...(c.get('variables') !== undefined ? { variables: c.get('variables') } : {}),
    });
  });

  const handle = async (c: Context<Env>, request: GraphQLRequest | null, allowMutations: boolean) => {
    if (tokens) {
      const token = c.req.header(CLOUD_TOKEN_HEADER);
      if (!token || (!tokens.has(token) && !readOnly.has(token))) {
        return c.body(
          JSON.stringify({ error: 'Unauthorized: a valid Dagster Cloud API token is required.' }),
          401,
          JSON_HEADERS,
        );
      }
    }
    if (request === null) return c.body(errorBody(['POST body sent invalid JSON.']), 400, JSON_HEADERS);
    const operationName = typeof request.operationName === 'string' ? request.operationName : null;
    let document: DocumentNode | null = null;
    if (typeof request.query === 'string') {
      try {
        document = parse(request.query);
      } catch (error) {
        if (error instanceof GraphQLError) return c.body(errorBody([error]), 400, JSON_HEADERS);
        throw error;
      }
    }
    const operation = document ? getOperationAST(document, operationName) : null;
    c.set('operationName', operationName ?? operation?.name?.value ?? null);
    c.set('variables', request.variables);
    const httpFault = takeFault(c.get('operationName'), (f) => f.kind === 'http');
    if (httpFault?.kind === 'http') {
      return c.body(httpFault.body, httpFault.status as 200, {
        'content-type': httpFault.contentType ?? 'application/json',
      });
    }
    if (!document) return c.body(errorBody(['Must provide query string.']), 400, JSON_HEADERS);
    const errors = validate(schema, document);
    if (errors.length > 0) return c.body(errorBody(errors), 400, JSON_HEADERS);
    if (!operation) {
      return c.body(
        errorBody(['Must provide operation name if query contains multiple operations.']),
        400,
        JSON_HEADERS,
      );
    }
    if (operation.operation !== 'query' && !allowMutations) {
      return c.body(
        errorBody(['Can only perform a mutation operation from a POST request.']),
        405,
        JSON_HEADERS,
      );
    }
    const token = c.req.header(CLOUD_TOKEN_HEADER);
    const context: ResolverContext = {
      model,
      variant,
      readOnly: token !== undefined && readOnly.has(token),
      capturedLogChunkBytes: options.capturedLogChunkBytes ?? 1024 * 1024,
      fault: (field) => {
        const f = takeFault(c.get('operationName'), (x) => x.kind !== 'http' && x.field === field);
        if (f?.kind === 'result') return { kind: 'result', value: f.value } satisfies RootFault;
        if (f?.kind === 'exception') return { kind: 'exception', message: f.message } satisfies RootFault;
        return null;
      },
      capturedCache,
      eventCache,
    };
    const result = (await execute({
      schema,
      document,
      rootValue: root,
      contextValue: context,
      variableValues: isRecord(request.variables) ? request.variables : undefined,
      operationName: operationName ?? undefined,
    })) as ExecutionResult;
    if (result.data === undefined || result.data === null) {
      // Variables that do not fit the operation: the request was not executed.
      if (!result.errors?.some((e) => e.path !== undefined)) {
        return c.body(errorBody(result.errors ?? []), 400, JSON_HEADERS);
      }
    }
    if (result.errors && result.errors.length > 0) {
      // A resolver raised: Dagster's webserver answers 500 with the partial data and the errors.
      const body = { data: result.data ?? null, errors: result.errors.map((e) => e.toJSON()) };
      return c.body(JSON.stringify(body), 500, JSON_HEADERS);
    }
    return c.body(JSON.stringify({ data: result.data }), 200, JSON_HEADERS);
  };

  app.post(`${prefix}/graphql`, async (c) => {
    let request: GraphQLRequest | null;
    try {
      const parsed: unknown = JSON.parse(await c.req.text());
      request = isRecord(parsed) ? parsed : null;
    } catch {
      request = null;
    }
    return handle(c, request, true);
  });
  app.get(`${prefix}/graphql`, (c) => {
    const q = new URL(c.req.url).searchParams;
    let variables: unknown;
    try {
      variables = q.has('variables') ? JSON.parse(q.get('variables') ?? 'null') : undefined;
    } catch {
      return c.body(errorBody(['Variables are invalid JSON.']), 400, JSON_HEADERS);
    }
    return handle(
      c,
      { query: q.get('query') ?? undefined, variables, operationName: q.get('operationName') },
      false,
    );
  });
  app.notFound((c) => c.text('Not Found', 404));
  app.onError((err, c) => {
    console.error('dagster emulator: unhandled error', err);
    return c.text('Internal Server Error', 500);
  });
  return app;
}

export async function startDagsterEmulator(options: DagsterEmulatorOptions): Promise<DagsterEmulator> {
  const requests: RecordedRequest[] = [];
  const faults = options.faults ?? [];
  const app = createDagsterApp(options, (r) => requests.push(r), faults);
  const httpFaults = options.httpFaults ?? new FaultPlan();
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: httpFaults.wrap(app.fetch), hostname: host, port: options.port ?? 0 }, () =>
      resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${prefix}`,
    requests,
    httpFaults,
    resetRequests: () => void requests.splice(0),
    world: options.world,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpFaults.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
