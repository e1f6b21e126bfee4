import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MonitorError } from '../../core/errors.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  url: string;
  /** When each request came (ms since the epoch), since the last `use`. */
  arrivals: number[];
  hits(): number;
  /** Requests whose response the client cut before it was finished. */
  closedEarly(): number;
  maxInFlight(): number;
  /** Sets how the server answers and resets the counters. */
  use(handler: Handler): void;
  close(): Promise<void>;
}

/** A bare HTTP server on 127.0.0.1 whose behaviour each test sets; it speaks no orchestrator API. */
export async function startTestServer(): Promise<TestServer> {
  let handler: Handler = (_req, res) => res.end('{}');
  const arrivals: number[] = [];
  let closedEarly = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    arrivals.push(Date.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => {
      inFlight--;
      if (!res.writableFinished) closedEarly++;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    hits: () => arrivals.length,
    closedEarly: () => closedEarly,
    maxInFlight: () => maxInFlight,
    use(h) {
      handler = h;
      arrivals.length = 0;
      closedEarly = 0;
      maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The MonitorError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<MonitorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MonitorError, `expected MonitorError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
