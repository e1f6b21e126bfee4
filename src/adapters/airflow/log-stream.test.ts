import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type AuthConfig } from '../../core/config.js';
import type { LogSlice } from '../../core/model.js';
import {
  startAirflowEmulator,
  type AirflowEmulator,
  type FaultRequest,
  type FaultResponse,
} from '../../emulators/airflow/index.js';
import { logEvent } from '../../emulators/airflow/serializers.js';
import { createDemoWorld, DEMO_FACTS } from '../../emulators/world/index.js';
import { AirflowAdapter, type AirflowAdapterOptions } from './adapter.js';
import { BIG_LOG_USER, bigLogWorld } from './big-log-world.test-util.js';
import { json, startFakeServer, type FakeServer } from './fake-server.test-util.js';
import { renderNdjsonLine } from './v2/log-events.js';
import { bytesOf, rejection } from '../../test/assertions.js';

/**
 * Airflow 3 task logs read as one NDJSON stream (Accept: application/x-ndjson, full_content=true): against
 * the emulator, which streams them, and against bare servers for what it does not model.
 */

const NOW = new Date('2026-03-11T12:00:00Z');
const USER = { username: 'monitor', password: 'Sup3r-Secret-pw' };
const MiB = 1024 * 1024;
const LOG_PATH = /\/logs\/\d+$/;

const closing: { close(): Promise<void> }[] = [];
after(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

function adapterFor(
  url: string,
  options: AirflowAdapterOptions = {},
  auth: AuthConfig = { kind: 'basic', ...USER },
  apiVersion: 'v1' | 'v2' = 'v2',
): AirflowAdapter {
  const adapter = new AirflowAdapter(
    orchestratorConfig({
      name: 'stream-airflow',
      type: 'airflow',
      url,
      auth,
      api_version: apiVersion,
      timeout_ms: 5000,
    }),
    { retryInitialDelayMs: 1, now: () => NOW.getTime(), ...options },
  );
  closing.push(adapter);
  return adapter;
}

/**
 * A TCP proxy that forwards the server's bytes cut inside every multi-byte UTF-8 character (and every 97
 * bytes), each piece sent on its own a moment apart: the client sees lines and characters split across
 * network chunks. `splits` counts the characters cut.
 */
async function startSplittingProxy(
  target: string,
): Promise<{ url: string; splits(): number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let splits = 0;
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    client.on('close', () => upstream.destroy());
    let queue = Promise.resolve();
    upstream.on('data', (data: Buffer) => {
      upstream.pause();
      queue = queue.then(async () => {
        let from = 0;
        for (let i = 1; i <= data.length; i++) {
          const lead = (data[i - 1] as number) >= 0xc0; // the first byte of a multi-byte character
          if (i === data.length || lead || i - from >= 97) {
            if (lead && i < data.length) splits++;
            if (client.destroyed) return;
            client.write(data.subarray(from, i));
            from = i;
            await delay(1);
          }
        }
        upstream.resume();
      });
    });
    upstream.on('end', () => void queue.then(() => client.end()));
    upstream.on('close', () => void queue.then(() => client.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    splits: () => splits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('Airflow 3 logs as one NDJSON stream', () => {
  let emulator: AirflowEmulator;
  let fault: ((req: FaultRequest) => FaultResponse | null) | null = null;
  let dagId: string;
  let runId: string;
  let request: { taskId: string; tryNumber: number; mapIndex: number | null };
  const logRequests = () => emulator.requests.filter((r) => LOG_PATH.test(r.path));

  before(async () => {
    const world = createDemoWorld({ now: NOW });
    emulator = await startAirflowEmulator({
      world,
      users: [USER],
      logChunkBytes: 600, // the token path then needs many requests
      faults: (req) => fault?.(req) ?? null,
    });
    closing.push(emulator);
    dagId = DEMO_FACTS.latestFailure.dagId;
    const probe = adapterFor(emulator.url);
    const latest = (await probe.latestRuns([dagId])).get(dagId);
    assert.ok(latest);
    runId = latest.run_id;
    const failed = (await probe.listTaskRuns(dagId, runId)).find(
      (t) => t.task_id === DEMO_FACTS.latestFailure.failedTask,
    );
    assert.ok(failed);
    request = { taskId: failed.task_id, tryNumber: failed.try_number, mapIndex: failed.map_index };
    // Text beyond ASCII in the failed try's log: 2-, 3- and 4-byte UTF-8 characters.
    world.run(dagId, runId)?.failure?.error.preamble.push({
      level: 'warning',
      logger: 'task',
      event: 'Zählerstand für Kunde 日本 — 😀 ✓ € (ünïcödé)',
    });
  });

  /** The same log read through continuation tokens (the JSON path), and how many requests that took. */
  const viaTokens = async (maxBytes: number): Promise<{ log: LogSlice; requests: number }> => {
    const tokens = adapterFor(emulator.url, { logStreaming: false });
    emulator.resetRequests();
    const log = await tokens.getTaskLog(dagId, runId, { ...request, maxBytes });
    return { log, requests: logRequests().length };
  };

  it('reads the whole log in one request, rendered line for line as the token path renders it', async () => {
    const reference = await viaTokens(1_000_000);
    assert.ok(reference.requests > 3, `the token path took ${reference.requests} requests`);

    const adapter = adapterFor(emulator.url);
    await adapter.getPipeline(dagId); // authenticated before counting
    emulator.resetRequests();
    const full = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
    const requests = logRequests();
    assert.equal(requests.length, 1);
    assert.equal(emulator.requests.length, 1);
    assert.match(requests[0]?.query ?? '', /map_index=-1/);
    assert.match(requests[0]?.query ?? '', /full_content=true/);
    assert.doesNotMatch(requests[0]?.query ?? '', /token=/);
    assert.equal(requests[0]?.status, 200);

    assert.deepEqual(full.lines, reference.log.lines);
    assert.equal(full.truncated, false);
    const text = full.lines.join('\n');
    assert.match(text, /Traceback \(most recent call last\):/);
    assert.match(text, new RegExp(DEMO_FACTS.latestFailure.failedMarker));
    assert.ok(text.includes('Zählerstand für Kunde 日本 — 😀 ✓ € (ünïcödé)'));
    // bytes_read counts the NDJSON streamed, which is more than the lines rendered from it.
    assert.ok(full.bytes_read > bytesOf(full.lines), `${full.bytes_read} bytes read`);

    const tail = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 400 });
    assert.equal(tail.truncated, true);
    assert.ok(bytesOf(tail.lines) <= 400);
    assert.ok(tail.lines.length > 0);
    assert.deepEqual(tail.lines, full.lines.slice(full.lines.length - tail.lines.length));
    assert.equal(tail.bytes_read, full.bytes_read);
  });

  it('renders lines and characters split across network chunks', async () => {
    const proxy = await startSplittingProxy(emulator.url);
    closing.push(proxy);
    const reference = await viaTokens(1_000_000);
    const adapter = adapterFor(proxy.url);
    emulator.resetRequests();
    const log = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
    assert.equal(logRequests().length, 1);
    assert.ok(proxy.splits() >= 10, `${proxy.splits()} characters cut`);
    assert.deepEqual(log.lines, reference.log.lines);
    assert.ok(log.lines.some((l) => l.includes('Zählerstand für Kunde 日本 — 😀 ✓ € (ünïcödé)')));
    assert.ok(!log.lines.some((l) => l.includes('\uFFFD')), 'no broken character');
  });

  it('falls back to continuation tokens on 406, and remembers that the server does not stream', async () => {
    const reference = await viaTokens(1_000_000);
    const adapter = adapterFor(emulator.url);
    let refusals = 1;
    fault = (req) =>
      LOG_PATH.test(req.path) && refusals-- > 0
        ? { status: 406, body: JSON.stringify({ detail: 'Only application/json is supported' }) }
        : null;
    try {
      emulator.resetRequests();
      const log = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
      assert.deepEqual(log.lines, reference.log.lines);
      const statuses = logRequests().map((r) => r.status);
      assert.equal(statuses[0], 406);
      assert.equal(statuses.length, 1 + reference.requests);
      assert.ok(
        logRequests()
          .slice(2)
          .every((r) => /token=/.test(r.query)),
      );

      // The next read goes straight to tokens: a stream request would now be answered 200 in one request.
      emulator.resetRequests();
      const again = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
      assert.deepEqual(again.lines, reference.log.lines);
      assert.equal(logRequests().length, reference.requests);
    } finally {
      fault = null;
    }
  });

  it('takes a JSON answer to the stream request as the first chunk; other types are asked again', async () => {
    const jsonAnswer = adapterFor(emulator.url);
    let once = 1;
    fault = (req) =>
      LOG_PATH.test(req.path) && once-- > 0
        ? { status: 200, body: JSON.stringify({ content: [{ event: 'from JSON', level: 'info' }] }) }
        : null;
    try {
      emulator.resetRequests();
      const log = await jsonAnswer.getTaskLog(dagId, runId, { ...request, maxBytes: 1000 });
      assert.deepEqual(log.lines, ['INFO from JSON']);
      assert.equal(logRequests().length, 1);

      const reference = await viaTokens(1_000_000);
      const html = adapterFor(emulator.url);
      once = 1;
      fault = (req) =>
        LOG_PATH.test(req.path) && once-- > 0
          ? { status: 200, body: '<html>a proxy page</html>', contentType: 'text/html' }
          : null;
      emulator.resetRequests();
      const retried = await html.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
      assert.deepEqual(retried.lines, reference.log.lines);
      assert.equal(logRequests().length, 1 + reference.requests);
      emulator.resetRequests();
      await html.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
      assert.equal(logRequests().length, reference.requests, 'remembered');
    } finally {
      fault = null;
    }
  });

  it('renews an expired token once, then streams', async () => {
    const adapter = adapterFor(emulator.url);
    await adapter.getPipeline(dagId);
    emulator.expireAllTokens();
    emulator.resetRequests();
    const log = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1_000_000 });
    assert.ok(log.lines.length > 5);
    assert.deepEqual(
      emulator.requests.map((r) => `${r.method} ${LOG_PATH.test(r.path) ? 'log' : r.path} ${r.status}`),
      ['GET log 401', 'POST /auth/token 201', 'GET log 200'],
    );
  });

  it('maps 404, 401, 403 and 500 as for any request, without secrets', async () => {
    const adapter = adapterFor(emulator.url);
    const missing = await rejection(
      adapter.getTaskLog(dagId, runId, { ...request, tryNumber: 3, maxBytes: 100 }),
    );
    assert.equal(missing.kind, 'not_found');
    assert.match(missing.message, /no log for task .* try 3 of run/);

    const cases: [FaultResponse, string, RegExp][] = [
      [
        { status: 403, body: JSON.stringify({ detail: `Forbidden for ${USER.password}` }) },
        'auth',
        /refused access \(HTTP 403\): Forbidden for \*\*\*/,
      ],
      [
        { status: 401, body: JSON.stringify({ detail: 'Not authenticated' }) },
        'auth',
        /rejected the credentials \(HTTP 401\)/,
      ],
      [
        { status: 500, body: JSON.stringify({ detail: `log store down (${USER.password})` }) },
        'upstream_error',
        /with HTTP 500: log store down/,
      ],
    ];
    for (const [answer, kind, message] of cases) {
      fault = (req) => (LOG_PATH.test(req.path) ? answer : null);
      try {
        const e = await rejection(adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1000 }));
        assert.equal(e.kind, kind, e.message);
        assert.match(e.message, message);
        assert.ok(!`${e.message} ${e.hint ?? ''}`.includes(USER.password), e.message);
      } finally {
        fault = null;
      }
    }
    // None of these means "no stream": the next read still streams, in one request.
    emulator.resetRequests();
    await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1000 });
    assert.equal(logRequests().length, 1);
  });
});

describe('log streams a bare server sends', () => {
  let server: FakeServer;
  before(async () => {
    server = await startFakeServer();
    closing.push(server);
  });
  const spec = { taskId: 't', tryNumber: 1, mapIndex: null, maxBytes: 10_000 };

  it('fails a stream that stops in the middle as upstream_unavailable', async () => {
    server.use((_req, res) => {
      res.setHeader('content-type', 'application/x-ndjson');
      res.write('{"event":"started"}\n'); // and nothing more
    });
    const adapter = new AirflowAdapter(
      orchestratorConfig({
        name: 'stall',
        type: 'airflow',
        url: server.url,
        auth: { kind: 'none' },
        api_version: 'v2',
        timeout_ms: 300,
      }),
    );
    closing.push(adapter);
    const e = await rejection(adapter.getTaskLog('d', 'r', spec));
    assert.equal(e.kind, 'upstream_unavailable');
    assert.match(e.message, /stopped sending \(no data for 300 ms/);
  });

  it('asks Airflow 3 for NDJSON with full_content, and Airflow 2 for JSON with tokens as before', async () => {
    const seen: string[] = [];
    server.use((req, res) => {
      seen.push(`${req.headers.accept} ${req.url}`);
      if (req.url?.startsWith('/api/v2/')) {
        res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
        return void res.end('{"event":"v2 line","level":"info"}\r\n"a string line"');
      }
      const end = `${Buffer.from('{"end_of_log":true,"log_pos":9}').toString('base64url')}.sig`;
      json(res, 200, { content: "[('worker', 'v1 line\\n')]", continuation_token: end });
    });
    const v2 = adapterFor(server.url, {}, { kind: 'none' });
    const v2log = await v2.getTaskLog('d', 'r', spec);
    assert.deepEqual(v2log.lines, ['INFO v2 line', 'a string line']);
    const v1 = adapterFor(server.url, {}, { kind: 'none' }, 'v1');
    const v1log = await v1.getTaskLog('d', 'r', spec);
    assert.deepEqual(v1log.lines, ['v1 line']);
    assert.deepEqual(seen, [
      'application/x-ndjson /api/v2/dags/d/dagRuns/r/taskInstances/t/logs/1?map_index=-1&full_content=true',
      'application/json /api/v1/dags/d/dagRuns/r/taskInstances/t/logs/1?map_index=-1',
    ]);
  });
});

describe('a ~50 MB Airflow 3 log (emulator in its own process)', () => {
  const LOG_BYTES = 50 * MiB;
  const MAX_BYTES = 256 * 1024; // what get_task_logs asks for
  let child: ChildProcess;
  let url: string;
  let answers: AsyncIterator<string>;
  const { world, dagId } = bigLogWorld(NOW, LOG_BYTES);
  /** One command to the emulator's process, and its answer. */
  const ask = async <T>(command: 'requests' | 'reset'): Promise<T> => {
    child.stdin?.write(`${command}\n`);
    const next = await answers.next();
    assert.ok(!next.done, 'the emulator process ended');
    return JSON.parse(next.value) as T;
  };

  before(async () => {
    const script = fileURLToPath(new URL('./big-log-world.test-util.js', import.meta.url));
    child = spawn(process.execPath, [script, NOW.toISOString(), String(LOG_BYTES)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    answers = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const first = await answers.next();
    assert.ok(!first.done, 'the emulator process did not start');
    url = (JSON.parse(first.value) as { url: string }).url;
  });
  after(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin?.end();
    if (child.exitCode === null) await exited;
  });

  const failedTry = async (adapter: AirflowAdapter) => {
    const run = (await adapter.latestRuns([dagId])).get(dagId);
    assert.ok(run);
    const task = (await adapter.listTaskRuns(dagId, run.run_id)).find((t) => t.status === 'failed');
    assert.ok(task);
    return {
      runId: run.run_id,
      request: { taskId: task.task_id, tryNumber: task.try_number, mapIndex: task.map_index },
    };
  };

  it('is read in one request, ends with the log’s last line, and keeps memory bounded', async (t) => {
    const adapter = adapterFor(url, {}, { kind: 'basic', ...BIG_LOG_USER });
    const { runId, request } = await failedTry(adapter);
    // Warm up (code paths, sockets) on a small slice of the same log, then measure.
    await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: 1024 });

    // The expected tail: the log's lines rendered from the end, as many as fit in MAX_BYTES.
    const ti = world.task(dagId, runId, request.taskId, request.mapIndex ?? -1);
    assert.ok(ti);
    const log = world.log(ti, request.tryNumber);
    assert.ok(log);
    const expected: string[] = [];
    let room = MAX_BYTES;
    for (let i = log.length - 1; i >= 0 && room > 0; i--) {
      const lines = renderNdjsonLine(JSON.stringify(logEvent(log.at(i))));
      for (let j = lines.length - 1; j >= 0; j--) {
        const line = lines[j] as string;
        room -= Buffer.byteLength(line) + 1;
        if (room < 0) break;
        expected.unshift(line);
      }
    }

    await ask('reset');
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = performance.now();
    const slice = await adapter.getTaskLog(dagId, runId, { ...request, maxBytes: MAX_BYTES });
    const ms = performance.now() - started;
    clearInterval(sampler);
    const requests = (await ask<{ path: string; query: string; status: number }[]>('requests')).map(
      (r) => `${r.path}?${r.query} ${r.status}`,
    );
    const rssAfter = process.memoryUsage().rss;
    peak = Math.max(peak, rssAfter);
    const growth = (rssAfter - rssBefore) / MiB;
    const peakGrowth = (peak - rssBefore) / MiB;
    t.diagnostic(
      `50 MB log: ${requests.length} request(s), ${Math.round(ms)} ms, ${(slice.bytes_read / MiB).toFixed(1)} MiB of NDJSON streamed, ` +
        `RSS growth ${growth.toFixed(1)} MiB after, ${peakGrowth.toFixed(1)} MiB at peak`,
    );

    assert.deepEqual(requests, [
      `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${request.taskId}/logs/${request.tryNumber}?map_index=-1&full_content=true 200`,
    ]);
    assert.equal(slice.truncated, true);
    assert.ok(slice.bytes_read > LOG_BYTES, `${slice.bytes_read} bytes read`);
    assert.deepEqual(slice.lines, expected);
    const last = log.at(log.length - 1);
    assert.ok(slice.lines.at(-1)?.endsWith(last.event), slice.lines.at(-1));
    assert.match(slice.lines.at(-1) ?? '', /Marking task as FAILED/);
    assert.ok(slice.lines.includes('Traceback (most recent call last):'));
    const raised = world.run(dagId, runId)?.failure?.error.chain[0];
    assert.ok(raised && slice.lines.some((l) => l.endsWith(raised.message)));
    // Buffering the body alone would take ~90 MiB (and as much again as a string).
    assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`);
    assert.ok(peakGrowth < 96, `RSS peaked ${peakGrowth.toFixed(1)} MiB higher`);
  });

  it('stops at the byte and time bounds, and says the end was not read', async () => {
    const bytesBound = adapterFor(url, { maxLogStreamBytes: MiB }, { kind: 'basic', ...BIG_LOG_USER });
    const { runId, request } = await failedTry(bytesBound);
    const cut = await bytesBound.getTaskLog(dagId, runId, { ...request, maxBytes: 4096 });
    assert.equal(cut.bytes_read, MiB);
    assert.equal(cut.truncated, true);
    assert.match(
      cut.lines.at(-1) ?? '',
      /stopped reading the log after 1 MiB; the end of the log was not read/,
    );
    assert.match(
      cut.lines.at(-2) ?? '',
      /Processed batch|Fetched page|Wrote|Running statement|Rows affected/,
    );

    const timeBound = adapterFor(url, { maxLogStreamMs: 1 }, { kind: 'basic', ...BIG_LOG_USER });
    const late = await timeBound.getTaskLog(dagId, runId, { ...request, maxBytes: 4096 });
    assert.equal(late.truncated, true);
    assert.ok(late.bytes_read < LOG_BYTES);
    assert.match(late.lines.at(-1) ?? '', /stopped reading the log at the time bound/);
  });
});
