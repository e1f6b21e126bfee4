import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAirflowEmulator, type AirflowEmulator } from '../airflow/index.js';
import { createDemoWorld } from '../world/index.js';

describe('fault plan in front of an emulator', () => {
  let emulator: AirflowEmulator;
  const path = '/api/v2/version';
  let url: string;
  before(async () => {
    emulator = await startAirflowEmulator({ world: createDemoWorld({ now: new Date() }) });
    url = emulator.url + path;
  });
  after(() => emulator.close());

  it('answers a status or an HTML error page, for as many requests as asked', async () => {
    emulator.httpFaults.add({ path, kind: 'status', status: 502, html: true, times: 1 });
    emulator.httpFaults.add({ path: /version$/, kind: 'status', status: 500, times: 1 });
    const html = await fetch(url);
    assert.equal(html.status, 502);
    assert.match(await html.text(), /<h1>502 Bad Gateway<\/h1>/);
    const json = await fetch(url);
    assert.equal(json.status, 500);
    assert.match(((await json.json()) as { detail: string }).detail, /HTTP 500/);
    const real = await fetch(url);
    assert.equal(real.status, 200);
    assert.equal(emulator.httpFaults.rules.length, 0, 'used up');
  });

  it('sends Retry-After in seconds or as an HTTP-date', async () => {
    emulator.httpFaults.add({ path, kind: 'retry-after', seconds: 3, times: 1 });
    emulator.httpFaults.add({
      path,
      kind: 'retry-after',
      status: 503,
      seconds: 90,
      format: 'date',
      times: 1,
    });
    const seconds = await fetch(url);
    assert.equal(seconds.status, 429);
    assert.equal(seconds.headers.get('retry-after'), '3');
    const date = await fetch(url);
    assert.equal(date.status, 503);
    const at = Date.parse(date.headers.get('retry-after') ?? '');
    assert.ok(Math.abs(at - (Date.now() + 90_000)) < 2000);
  });

  it('hangs until the client gives up, and logs when it did', async () => {
    emulator.httpFaults.add({ path, kind: 'hang', times: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(fetch(url, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const hit = emulator.httpFaults.hits.at(-1);
    assert.equal(hit?.kind, 'hang');
    assert.ok(hit?.clientClosedAt !== undefined && hit.clientClosedAt - hit.at >= 100);
  });

  it('resets the connection in the middle of the real body', async () => {
    emulator.httpFaults.add({ path, kind: 'reset', times: 1 });
    const response = await fetch(url);
    assert.equal(response.status, 200);
    await assert.rejects(response.text());
  });

  it('cuts the real JSON short, or puts invalid UTF-8 into it', async () => {
    emulator.httpFaults.add({ path, kind: 'truncate', times: 1 });
    const text = await (await fetch(url)).text();
    assert.throws(() => JSON.parse(text));
    assert.ok(text.startsWith('{'));

    emulator.httpFaults.add({ path, kind: 'invalid-utf8', needle: 'version', times: 1 });
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    assert.ok(bytes.includes(0xff));
    assert.ok(!bytes.toString('latin1').includes('version'));
    assert.match(JSON.stringify(JSON.parse(bytes.toString('utf8'))), /\ufffd/, 'still JSON once decoded');
  });

  it('matches by method and body', async () => {
    emulator.httpFaults.add({ method: 'POST', body: /"operationName":"Runs"/, kind: 'status', status: 503 });
    assert.equal((await fetch(url)).status, 200);
    const post = await fetch(url, { method: 'POST', body: '{"operationName":"Runs"}' });
    assert.equal(post.status, 503);
    emulator.httpFaults.clear();
  });
});
