import { createDemoWorld } from '../world/index.js';
import type { World } from '../world/index.js';
import { TEST_NOW } from './harness.test.util.js';
import type { Reply } from './harness.test.util.js';
import { startAirflowEmulator } from './index.js';
import type { AirflowEmulator, AirflowEmulatorOptions } from './index.js';

/** Test support: an Airflow 2 (`/api/v1`) emulator and a tiny client that sends HTTP Basic credentials. */

export interface V1CallOptions {
  /** `user:password` for HTTP Basic; null sends no Authorization header. Default admin:admin. */
  basic?: string | null;
  bearer?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

export class V1Harness {
  constructor(readonly emulator: AirflowEmulator) {}

  static async start(options: Partial<AirflowEmulatorOptions> & { world?: World } = {}): Promise<V1Harness> {
    const emulator = await startAirflowEmulator({
      world: createDemoWorld({ now: TEST_NOW }),
      ...options,
      apiVersion: 'v1',
    });
    return new V1Harness(emulator);
  }

  async call(method: string, path: string, options: V1CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    const basic = options.basic === undefined ? 'admin:admin' : options.basic;
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    else if (basic) headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers);
    const response = await fetch(`${this.emulator.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    const parsed: unknown = /^application\/(problem\+)?json/.test(contentType) ? JSON.parse(text) : text;
    return { status: response.status, body: parsed, text, contentType, headers: response.headers };
  }

  get(path: string, options: V1CallOptions = {}): Promise<Reply> {
    return this.call('GET', path, { headers: { accept: 'application/json' }, ...options });
  }

  post(path: string, json: unknown, options: V1CallOptions = {}): Promise<Reply> {
    return this.call('POST', path, { ...options, json });
  }

  close(): Promise<void> {
    return this.emulator.close();
  }
}

/** The payload of an itsdangerous-style token (readable, not forgeable). */
export function tokenPayload(token: string): Record<string, unknown> {
  const payload = token.slice(0, token.lastIndexOf('.'));
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The (host, text) pairs of a v1 log `content` (a Python repr of a list of 2-tuples of str). */
export function parseLogContent(content: string): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  const str = (): string => {
    const quote = content[i++];
    let s = '';
    while (content[i] !== quote) {
      let ch = content[i++] as string;
      if (ch === '\\') {
        const e = content[i++] as string;
        if (e === 'n') ch = '\n';
        else if (e === 't') ch = '\t';
        else if (e === 'r') ch = '\r';
        else if (e === 'x') {
          ch = String.fromCharCode(parseInt(content.slice(i, i + 2), 16));
          i += 2;
        } else if (e === 'u') {
          ch = String.fromCharCode(parseInt(content.slice(i, i + 4), 16));
          i += 4;
        } else ch = e;
      }
      s += ch;
    }
    i++;
    return s;
  };
  const expect = (text: string) => {
    if (!content.startsWith(text, i)) throw new Error(`expected ${text} at ${i} in ${content.slice(0, 80)}`);
    i += text.length;
  };
  expect('[');
  while (content[i] === '(') {
    i++;
    const host = str();
    expect(', ');
    const text = str();
    expect(')');
    out.push([host, text]);
    if (content[i] === ',') expect(', ');
  }
  expect(']');
  return out;
}
