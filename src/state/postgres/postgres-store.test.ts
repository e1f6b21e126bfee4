import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEntry } from '../../service/trigger/audit-log.js';
import { CONFIRMATION_TTL_MS } from '../../service/trigger/confirmation.js';
import { ALREADY_STARTED_REASON, LockBusyError, StateUnavailableError } from '../../service/trigger/store.js';
import { PostgresTriggerStore, type PostgresStoreOptions } from './postgres-store.js';
import {
  dropSchema,
  freshSchema,
  lockHolders,
  SKIP_WITHOUT_PG,
  sql,
  TEST_PG_URL,
} from './test-database.test.util.js';
import { startProxy } from './tcp-proxy.test.util.js';

const schema = freshSchema('store');
const opened: PostgresTriggerStore[] = [];

/** Each call is a separate store with its own pools: another replica, as far as PostgreSQL can tell. */
async function replica(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresTriggerStore> {
  const store = await PostgresTriggerStore.open({ url: TEST_PG_URL, schema, ...options });
  opened.push(store);
  return store;
}

function entry(fields: Partial<AuditEntry>): AuditEntry {
  return {
    time: new Date().toISOString(),
    id: randomUUID(),
    decision: 'refused',
    tool: 'trigger_pipeline',
    orchestrator: 'af',
    pipeline: 'af:daily',
    principal: null,
    client: 'test',
    params: { conf: '{}', reason: null },
    params_digest: 'd',
    idempotency_key: null,
    reason: null,
    run_id: null,
    latency_ms: null,
    ...fields,
  };
}

const password = TEST_PG_URL ? decodeURIComponent(new URL(TEST_PG_URL).password) : '';

describe('PostgreSQL trigger store', { skip: SKIP_WITHOUT_PG }, () => {
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await dropSchema(schema);
  });

  test('replicas starting together create the schema once, without racing', async () => {
    await Promise.all(Array.from({ length: 4 }, () => replica()));
    const tables = await sql<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    );
    assert.deepEqual(
      tables.map((t) => t.table_name),
      ['trigger_audit', 'trigger_confirmations'],
    );
    const indexes = await sql<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1',
      [schema],
    );
    assert.ok(indexes.some((i) => i.indexname === 'trigger_audit_time'));
    assert.ok(indexes.some((i) => i.indexname === 'trigger_audit_pipeline_time'));
  });

  test('the pipeline lock excludes across two pools; other pipelines are not held up', async () => {
    const [a, b] = [await replica(), await replica()];
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = a.withPipelineLock('af:daily', async () => {
      events.push('a in');
      entered();
      await held;
      events.push('a out');
    });
    await inside;
    const waited = Date.now();
    const second = b.withPipelineLock('af:daily', async () => {
      events.push('b in');
      return Date.now() - waited;
    });
    // Another pipeline goes through while af:daily is held.
    await b.withPipelineLock('af:other', async () => events.push('b other'));
    await sleep(300);
    assert.deepEqual(events, ['a in', 'b other'], 'b waits for a');
    release();
    await first;
    assert.ok((await second) >= 300);
    assert.deepEqual(events, ['a in', 'b other', 'a out', 'b in']);
  });

  test('40 concurrent holders over two pools: never two inside at once', async () => {
    const [a, b] = [await replica(), await replica()];
    let inside = 0;
    let most = 0;
    let count = 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).withPipelineLock('af:busy', async () => {
          inside += 1;
          most = Math.max(most, inside);
          const seen = count;
          await sleep(2);
          count = seen + 1;
          inside -= 1;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.equal(count, 40, 'no lost update');
  });

  test('a holder whose connection dies releases the lock; waiting past the lock timeout is refused', async () => {
    const lost: string[] = [];
    const a = await replica({ onLockLost: (pipeline) => lost.push(pipeline) });
    const b = await replica({ lockWaitMs: 300 });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = a.withPipelineLock('af:crashy', async () => {
      entered();
      await held;
    });
    await inside;
    await assert.rejects(
      b.withPipelineLock('af:crashy', async () => 'never'),
      (error: Error) => error instanceof LockBusyError && error.pipeline === 'af:crashy',
    );
    // The holder's backend goes away, as when its process is killed.
    const holders = await lockHolders(schema, 'af:crashy');
    assert.equal(holders.length, 1);
    await sql('SELECT pg_terminate_backend($1)', [holders[0]]);
    assert.equal(await b.withPipelineLock('af:crashy', async () => 'got it'), 'got it');
    release();
    await holder;
    await sleep(50);
    assert.deepEqual(lost, ['af:crashy'], 'the holder learns that it lost the lock');
    // The holder's store still works: its broken connection was dropped, not reused.
    assert.equal(await a.withPipelineLock('af:crashy', async () => 'again'), 'again');
  });

  test('every lock connection busy with other pipelines for the whole wait: busy, not unavailable', async () => {
    const store = await replica({ lockPoolMax: 2, lockWaitMs: 1_000 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const holders = ['af:one', 'af:two'].map((p) =>
      store.withPipelineLock(p, async () => {
        entered++;
        await held;
      }),
    );
    while (entered < 2) await sleep(10);
    const started = Date.now();
    try {
      await assert.rejects(
        store.withPipelineLock('af:three', async () => 'never'),
        (error: Error) => error instanceof LockBusyError && error.pipeline === 'af:three',
      );
      assert.ok(Date.now() - started >= 900, 'it waited for a free connection first');
    } finally {
      release();
      await Promise.all(holders);
    }
    assert.equal(await store.withPipelineLock('af:three', async () => 'free now'), 'free now');
  });

  test('a token issued by one replica is redeemed through the other exactly once', async () => {
    const [a, b] = [await replica(), await replica()];
    const { token, expires_at } = await a.issueConfirmation('af:daily', 'digest-1');
    assert.ok(Date.parse(expires_at) > Date.now());
    assert.deepEqual(await b.checkConfirmation(token, 'af:daily', 'digest-1'), { ok: true, nonce: token });
    assert.match(
      ((await b.checkConfirmation(token, 'af:other', 'digest-1')) as { reason: string }).reason,
      /another pipeline, other parameters or another caller/,
    );
    assert.match(
      ((await b.checkConfirmation(token, 'af:daily', 'digest-2')) as { reason: string }).reason,
      /another pipeline, other parameters or another caller/,
    );
    const uses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consumeConfirmation(token)),
    );
    assert.equal(uses.filter(Boolean).length, 1, 'one of 20 concurrent uses wins');
    assert.deepEqual(await a.checkConfirmation(token, 'af:daily', 'digest-1'), {
      ok: false,
      reason: 'the confirmation token was already used',
    });
    assert.match(
      ((await a.checkConfirmation('garbage', 'af:daily', 'digest-1')) as { reason: string }).reason,
      /malformed/,
    );
    const unknown = 'A'.repeat(24);
    assert.match(
      ((await a.checkConfirmation(unknown, 'af:daily', 'digest-1')) as { reason: string }).reason,
      /not issued by this server/,
    );
  });

  test('tokens expire, by the clock of the replica that checks', async () => {
    let now = Date.now();
    const a = await replica({ now: () => now });
    const { token } = await a.issueConfirmation('af:daily', 'd');
    now += CONFIRMATION_TTL_MS + 1;
    assert.deepEqual(await a.checkConfirmation(token, 'af:daily', 'd'), {
      ok: false,
      reason: 'the confirmation token has expired',
    });
  });

  test('audit entries round-trip; the queries return only what they are asked for', async () => {
    const local = freshSchema('audit');
    const a = await replica({ schema: local });
    const b = await replica({ schema: local });
    try {
      const hourAgo = Date.now() - 3600_000;
      const intent = entry({
        decision: 'intent',
        pipeline: 'af:x',
        principal: 'alice@example.com',
        idempotency_key: 'mcp__k1',
        params: { conf: '{"a":[1,2,{"b":"ü ☃ \\u0000"}]}', reason: 'why — “quoted”' },
        reason: 'why',
      });
      const accepted = entry({ ...intent, decision: 'accepted', run_id: 'r1', latency_ms: 12, reason: null });
      const old = entry({
        decision: 'accepted',
        pipeline: 'af:y',
        run_id: 'r0',
        time: new Date(hourAgo - 1).toISOString(),
      });
      const replay = entry({
        decision: 'accepted',
        pipeline: 'af:x',
        run_id: 'r1',
        reason: ALREADY_STARTED_REASON,
      });
      const cancel = entry({ decision: 'accepted', tool: 'cancel_run', pipeline: 'af:x', run_id: 'r1' });
      const refused = entry({ pipeline: 'af:x', reason: 'cooldown' });
      const open = entry({ decision: 'intent', pipeline: 'af:z', idempotency_key: 'mcp__k2' });
      for (const e of [old, intent, accepted, replay, cancel, refused, open])
        await (e === accepted ? b : a).append(e);

      assert.deepEqual(await b.recent(100), [old, intent, accepted, replay, cancel, refused, open]);
      assert.deepEqual(await b.recent(2), [refused, open]);
      assert.deepEqual(await a.acceptedSince(hourAgo), [
        { pipeline: 'af:x', principal: 'alice@example.com', at: Date.parse(accepted.time) },
      ]);
      assert.equal((await a.acceptedSince(hourAgo - 10)).length, 2, 'the older one when asked for');
      assert.deepEqual(await a.openIntents(), [open]);
      assert.deepEqual(await a.openIntents('af:x'), []);
      assert.deepEqual(
        (await b.entriesWithKey('af:x', 'mcp__k1')).map((e) => e.decision),
        ['intent', 'accepted'],
      );
    } finally {
      await dropSchema(local);
    }
  });

  test('unreachable at startup: a clear error without the password', async () => {
    const url = new URL(TEST_PG_URL);
    url.port = '1';
    await assert.rejects(
      PostgresTriggerStore.open({ url: url.toString(), schema, connectTimeoutMs: 2000 }),
      (error: Error) =>
        error instanceof StateUnavailableError &&
        /ECONNREFUSED/.test(error.message) &&
        !error.message.includes(password),
    );
    const wrong = new URL(TEST_PG_URL);
    wrong.password = 'not-the-password-xyz';
    await assert.rejects(
      PostgresTriggerStore.open({ url: wrong.toString(), schema }),
      (error: Error) =>
        error instanceof StateUnavailableError &&
        /password authentication failed/.test(error.message) &&
        !error.message.includes('not-the-password-xyz'),
    );
  });

  test('unreachable later: every operation fails as unavailable, without the password', async () => {
    const target = new URL(TEST_PG_URL);
    const proxy = await startProxy(target.hostname, Number(target.port));
    const url = new URL(TEST_PG_URL);
    url.port = String(proxy.port);
    const store = await replica({ url: url.toString(), connectTimeoutMs: 1000 });
    await store.append(entry({}));
    await proxy.cut();
    const unavailable = (error: Error) =>
      error instanceof StateUnavailableError && !error.message.includes(password);
    await assert.rejects(store.append(entry({})), unavailable);
    await assert.rejects(store.acceptedSince(0), unavailable);
    await assert.rejects(store.issueConfirmation('af:daily', 'd'), unavailable);
    await assert.rejects(
      store.withPipelineLock('af:daily', async () => 'never'),
      unavailable,
    );
  });
});
