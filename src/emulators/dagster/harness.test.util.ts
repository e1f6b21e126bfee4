import type { DagsterDocument } from '../../adapters/dagster/documents.js';
import { createDagsterDemoWorld } from '../world/index.js';
import { CLOUD_TOKEN_HEADER, startDagsterEmulator } from './index.js';
import type { DagsterEmulator, DagsterEmulatorOptions } from './index.js';

/** Test support: a Dagster emulator on the Dagster demo world and a tiny GraphQL client for it. */

/** A Wednesday noon (UTC). */
export const TEST_NOW = new Date('2026-03-11T12:00:00Z');

export interface GraphQLReply {
  status: number;
  /** The parsed body (`{data, errors}`), or the raw text when it is not JSON. */
  body: { data?: Record<string, unknown> | null; errors?: { message: string }[] } & Record<string, unknown>;
  text: string;
}

export async function startTestEmulator(
  options: Partial<DagsterEmulatorOptions> = {},
): Promise<DagsterEmulator> {
  return startDagsterEmulator({ world: createDagsterDemoWorld({ now: TEST_NOW }), ...options });
}

export async function graphql(
  emulator: Pick<DagsterEmulator, 'url'>,
  query: string | DagsterDocument,
  variables: Record<string, unknown> = {},
  options: { token?: string; operationName?: string } = {},
): Promise<GraphQLReply> {
  const doc = typeof query === 'string' ? { query, operationName: options.operationName } : query;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers[CLOUD_TOKEN_HEADER] = options.token;
  const response = await fetch(`${emulator.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: doc.query, variables, operationName: doc.operationName }),
  });
  const text = await response.text();
  let body: GraphQLReply['body'];
  try {
    body = JSON.parse(text) as GraphQLReply['body'];
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, text };
}
