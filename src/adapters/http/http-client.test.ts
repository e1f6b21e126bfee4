import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { rejection, startTestServer as startServer } from './test-server.test.util.js';
import { rootCertificates } from 'node:tls';
import {
  HttpClient,
  describeZodError,
  extractDetail,
  sanitizeText,
  tlsConnectOptions,
} from './http-client.js';
import { mapWithConcurrency } from '../../core/concurrency.js';

describe('HttpClient', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: HttpClient;
  const spec = { method: 'GET' as const, path: '/api/thing' };
  const schema = z.object({ ok: z.boolean() });

  before(async () => {
    server = await startServer();
    client = new HttpClient({
      name: 'test',
      product: 'Airflow',
      baseUrl: `${server.url}/`,
      timeoutMs: 500,
      headers: { 'x-proxy': 'p' },
      secrets: ['hunter22'],
      retryInitialDelayMs: 5,
    });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it('sends headers and repeated query keys, parses JSON', async () => {
    let seen: IncomingMessage | undefined;
    server.use((req, res) => {
      seen = req;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true,"extra":1}');
    });
    const value = await client.json(
      { ...spec, query: { state: ['failed', 'queued'], x: undefined, n: 2 } },
      schema,
    );
    assert.deepEqual(value, { ok: true });
    assert.equal(seen?.url, '/api/thing?state=failed&state=queued&n=2');
    assert.equal(seen?.headers['x-proxy'], 'p');
  });

  it('retries GETs on 503 then succeeds; never retries a POST', async () => {
    server.use((_req, res) => {
      if (server.hits() < 3) {
        res.statusCode = 503;
        res.end('busy');
      } else res.end('{"ok":true}');
    });
    assert.deepEqual(await client.json(spec, schema), { ok: true });
    assert.equal(server.hits(), 3);

    server.use((_req, res) => {
      res.statusCode = 502;
      res.end('{"detail":"bad gateway"}');
    });
    const e = await rejection(client.json({ method: 'POST', path: '/api/run', json: {} }, schema));
    assert.equal(e.kind, 'upstream_error');
    assert.equal(server.hits(), 1);
    assert.match(e.message, /HTTP 502: bad gateway/);
  });

  it('gives up after two retries', async () => {
    server.use((_req, res) => {
      res.statusCode = 504;
      res.end();
    });
    const e = await rejection(client.json(spec, schema));
    assert.equal(e.kind, 'upstream_error');
    assert.equal(server.hits(), 3);
  });

  it('reports non-JSON and schema mismatches as upstream_error', async () => {
    server.use((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html>login</html>');
    });
    let e = await rejection(client.json(spec, schema));
    assert.equal(e.kind, 'upstream_error');
    assert.match(e.message, /not JSON \(text\/html\)/);

    server.use((_req, res) => res.end('{"other":1}'));
    e = await rejection(client.json(spec, schema));
    assert.match(e.message, /missing field ok/);
  });

  it('trims and redacts server details', async () => {
    server.use((_req, res) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ detail: `password hunter22 \u0007 ${'y'.repeat(1000)}` }));
    });
    const e = await rejection(client.json(spec, schema));
    assert.ok(!e.message.includes('hunter22'));
    assert.ok(!e.message.includes('\u0007'));
    assert.ok(e.message.length < 500);
  });

  it('bounds the response body', async () => {
    server.use((_req, res) => res.end(`{"ok":true,"pad":"${'x'.repeat(5000)}"}`));
    const e = await rejection(client.json({ ...spec, maxResponseBytes: 1000 }, schema));
    assert.equal(e.kind, 'upstream_error');
    assert.match(e.message, /larger than 1000 bytes/);
  });

  it('times out slow servers as upstream_unavailable', async () => {
    server.use(() => {
      /* never answers */
    });
    const e = await rejection(client.json(spec, schema));
    assert.equal(e.kind, 'upstream_unavailable');
    assert.match(e.message, /no answer within 500 ms/);
    assert.equal(server.hits(), 1); // timeouts are not retried
  });

  describe('stream', () => {
    const ndjson = (head: { headers: Record<string, string | string[] | undefined> }) =>
      head.headers['content-type'] === 'application/x-ndjson';
    /** Writes the pieces one by one, `gapMs` apart; `stallAfter` leaves the response open after that piece. */
    const drip =
      (pieces: (string | Buffer)[], gapMs = 5, stallAfter?: number) =>
      (_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-type', 'application/x-ndjson');
        let i = 0;
        const next = () => {
          if (i >= pieces.length) return void res.end();
          res.write(pieces[i++] as string | Buffer);
          if (stallAfter !== undefined && i > stallAfter) return;
          setTimeout(next, gapMs);
        };
        next();
      };

    it('hands a 2xx body over chunk by chunk, past the response-size cap, and counts its bytes', async () => {
      const pieces = Array.from({ length: 6 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(400)}"}\n`);
      server.use(drip(pieces));
      const chunks: Buffer[] = [];
      const outcome = await client.stream(
        { ...spec, headers: { accept: 'application/x-ndjson' }, maxResponseBytes: 100 },
        { accept: ndjson, onChunk: (c) => void chunks.push(Buffer.from(c)) },
      );
      assert.ok(outcome.streamed);
      assert.equal(outcome.stopped, 'end');
      assert.equal(outcome.status, 200);
      const total = pieces.join('');
      assert.equal(outcome.bytes, Buffer.byteLength(total));
      assert.equal(Buffer.concat(chunks).toString(), total);
      assert.ok(chunks.length > 1, 'several chunks');
    });

    it('stops at maxStreamBytes, or when the handler says so, without an error', async () => {
      server.use(
        drip(
          Array.from({ length: 20 }, () => 'y'.repeat(1000)),
          1,
        ),
      );
      let got = 0;
      const bounded = await client.stream(
        { ...spec, maxStreamBytes: 2500 },
        { accept: ndjson, onChunk: (c) => void (got += c.length) },
      );
      assert.ok(bounded.streamed);
      assert.equal(bounded.stopped, 'max_bytes');
      assert.equal(bounded.bytes, 2500);
      assert.equal(got, 2500);

      let calls = 0;
      const stopped = await client.stream(spec, { accept: ndjson, onChunk: () => ++calls < 2 });
      assert.ok(stopped.streamed);
      assert.equal(stopped.stopped, 'handler');
      assert.equal(calls, 2);
    });

    it('stops at the time bound', async () => {
      server.use(
        drip(
          Array.from({ length: 100 }, () => 'z\n'),
          20,
        ),
      );
      const outcome = await client.stream(
        { ...spec, streamDeadlineMs: 60 },
        { accept: ndjson, onChunk: () => undefined },
      );
      assert.ok(outcome.streamed);
      assert.equal(outcome.stopped, 'deadline');
      assert.ok(outcome.bytes < 200);
    });

    it('reads refused and non-2xx answers whole, like send, and retries 503 before streaming', async () => {
      server.use((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"content":[],"continuation_token":null}');
      });
      const json = await client.stream(spec, { accept: ndjson, onChunk: () => assert.fail('not streamed') });
      assert.ok(!json.streamed);
      assert.equal(json.response.body, '{"content":[],"continuation_token":null}');

      server.use((_req, res) => {
        if (server.hits() < 3) {
          res.statusCode = 503;
          return void res.end('busy');
        }
        drip(['a\n', 'b\n'])(_req, res);
      });
      let text = '';
      const retried = await client.stream(spec, { accept: ndjson, onChunk: (c) => void (text += c) });
      assert.ok(retried.streamed);
      assert.equal(text, 'a\nb\n');
      assert.equal(server.hits(), 3);

      server.use((_req, res) => {
        res.statusCode = 404;
        res.end(JSON.stringify({ detail: 'no such log hunter22' }));
      });
      const missing = await client.stream(spec, {
        accept: ndjson,
        onChunk: () => assert.fail('not streamed'),
      });
      assert.ok(!missing.streamed);
      assert.equal(missing.response.status, 404);
      assert.ok(!client.detailOf(missing.response)?.includes('hunter22'));
    });

    it('fails a stream that stops arriving for longer than the timeout, and a slow first answer', async () => {
      server.use(drip(['{"a":1}\n', '{"b":2}\n'], 5, 1));
      let got = 0;
      const stalled = await rejection(
        client.stream(spec, { accept: ndjson, onChunk: (c) => void (got += c.length) }),
      );
      assert.equal(stalled.kind, 'upstream_unavailable');
      assert.match(stalled.message, /stopped sending \(no data for 500 ms/);
      assert.equal(got, 16);
      assert.equal(server.hits(), 1, 'a stream once handed over is not retried');

      server.use(() => {
        /* never answers */
      });
      const slow = await rejection(client.stream(spec, { accept: ndjson, onChunk: () => undefined }));
      assert.equal(slow.kind, 'upstream_unavailable');
      assert.match(slow.message, /no answer within 500 ms/);
    });

    it('keeps streaming as long as chunks keep coming, past the timeout in total', async () => {
      server.use(
        drip(
          Array.from({ length: 8 }, () => 'k\n'),
          100,
        ),
      );
      const outcome = await client.stream(spec, { accept: ndjson, onChunk: () => undefined });
      assert.ok(outcome.streamed);
      assert.equal(outcome.stopped, 'end');
      assert.equal(outcome.bytes, 16);
    });
  });

  it('maps a closed port to upstream_unavailable naming the host', async () => {
    const dead = await startServer();
    const url = dead.url;
    await dead.close();
    const c = new HttpClient({
      name: 'down',
      product: 'Airflow',
      baseUrl: url,
      timeoutMs: 500,
      retryInitialDelayMs: 1,
    });
    const e = await rejection(c.json(spec, schema));
    await c.close();
    assert.equal(e.kind, 'upstream_unavailable');
    assert.match(e.message, /^down: cannot reach Airflow at 127\.0\.0\.1:\d+ \(connection refused/);
  });
});

describe('helpers', () => {
  it('extracts details from the usual error shapes', () => {
    assert.equal(extractDetail('{"detail":"DAG not found"}'), 'DAG not found');
    assert.equal(
      extractDetail('{"detail":[{"loc":["body","conf"],"msg":"bad","type":"x"}]}'),
      'body.conf: bad',
    );
    assert.equal(extractDetail('{"detail":{"reason":"x"}}'), '{"reason":"x"}');
    assert.equal(extractDetail('<html></html>'), null);
    assert.equal(extractDetail('plain text'), 'plain text');
    assert.equal(extractDetail('[1,2]'), null);
  });

  it('adds a configured CA to the default roots and turns verification off only when asked', () => {
    assert.deepEqual(tlsConnectOptions(undefined), {});
    assert.deepEqual(tlsConnectOptions({ caPem: null, verify: true }), {});
    const withCa = tlsConnectOptions({ caPem: 'PEM', verify: true });
    assert.equal(withCa.ca?.length, rootCertificates.length + 1);
    assert.equal(withCa.ca?.at(-1), 'PEM');
    assert.equal(withCa.rejectUnauthorized, undefined);
    assert.deepEqual(tlsConnectOptions({ verify: false }), { rejectUnauthorized: false });
  });

  it('sanitizes', () => {
    assert.equal(sanitizeText('a\n\tb\u202e c', 100), 'a b c');
    assert.equal(sanitizeText('abcdef', 4), 'abc…');
  });

  it('describes zod errors', () => {
    const r = z.object({ dags: z.array(z.object({ dag_id: z.string() })) }).safeParse({ dags: [{}] });
    assert.ok(!r.success);
    assert.equal(describeZodError(r.error), 'missing field dags[0].dag_id');
  });

  it('maps with bounded concurrency, in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return n * 2;
    });
    assert.deepEqual(out, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    assert.equal(peak, 3);
  });
});
