import type { Context } from 'hono';
import type { World } from '../world/index.js';
import { ParamReader } from './params.js';
import type { Signer } from './signer.js';
import type { TokenIssuer } from './tokens.js';

/** Hono environment: the authenticated user's name is set by the auth middleware. */
export interface Env {
  Variables: { user: string };
}

/** A user of the emulated deployment. A viewer may read but not trigger (v1 answers 403). */
export interface AirflowUser {
  username: string;
  password: string;
  /** Default 'admin'. */
  role?: 'admin' | 'viewer';
}

export interface EmulatorContext {
  world: World;
  tokens: TokenIssuer;
  signer: Signer;
  users: readonly AirflowUser[];
  /** Bearer tokens accepted as they are (v1 accepts them besides HTTP Basic). */
  staticTokens: readonly string[];
  maximumPageLimit: number;
  /** Airflow 2's [api] fallback_page_limit: what v1 `limit=0` means. */
  fallbackPageLimit: number;
  logChunkBytes: number;
}

export function queryOf(c: Context<Env>): ParamReader {
  return ParamReader.query(new URL(c.req.url).searchParams);
}

/** `limit` (default 50, silently capped at [api] maximum_page_limit, as Airflow 3.2 does) and `offset`. */
export function pagination(q: ParamReader, maximumPageLimit: number): { limit: number; offset: number } {
  const limit = q.int('limit', 50, 0);
  const offset = q.int('offset', 0, 0);
  return { limit: Math.min(limit, maximumPageLimit), offset };
}

/** `order_by`, repeatable (3.2); the default when absent. */
export function orderBy(q: ParamReader, fallback: string): string[] {
  const values = q.list('order_by');
  return values.length > 0 ? values : [fallback];
}

export const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export const RUN_TYPES = [
  'backfill',
  'scheduled',
  'manual',
  'asset_triggered',
  'asset_materialization',
] as const;
export const TI_STATES = [
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
] as const;
