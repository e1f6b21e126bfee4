import { createDemoWorld } from '../world/index.js';
import { startAirflowEmulator } from './index.js';
import type { AirflowEmulator, AirflowEmulatorOptions } from './index.js';

/** Test support: an emulator on the demo world and a tiny HTTP client for it. */

/** A Wednesday, so that the Monday-failing DAG is not among the last 24 h's failures. */
export const TEST_NOW = new Date('2025-06-18T10:30:00Z');

export interface Reply {
  status: number;
  body: unknown;
  text: string;
  contentType: string;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export class Harness {
  token = '';

  constructor(readonly emulator: AirflowEmulator) {}

  static async start(options: Partial<AirflowEmulatorOptions> = {}): Promise<Harness> {
    const emulator = await startAirflowEmulator({ world: createDemoWorld({ now: TEST_NOW }), ...options });
    const harness = new Harness(emulator);
    harness.token = await harness.login();
    return harness;
  }

  async login(username = 'admin', password = 'admin'): Promise<string> {
    const reply = await this.call('POST', '/auth/token', { token: null, json: { username, password } });
    const token = (reply.body as { access_token?: string }).access_token;
    if (reply.status !== 201 || !token) throw new Error(`login failed: ${reply.status} ${reply.text}`);
    return token;
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(`${this.emulator.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (contentType.includes('application/json')) parsed = JSON.parse(text) as unknown;
    return { status: response.status, body: parsed, text, contentType, headers: response.headers };
  }

  get(path: string, options: CallOptions = {}): Promise<Reply> {
    return this.call('GET', path, options);
  }

  post(path: string, json: unknown, options: CallOptions = {}): Promise<Reply> {
    return this.call('POST', path, { ...options, json });
  }

  close(): Promise<void> {
    return this.emulator.close();
  }
}

/** A path segment for a run id (they contain `+` and `:`). */
export const seg = encodeURIComponent;
