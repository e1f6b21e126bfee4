import { MonitorError, isMonitorError } from '../../core/errors.js';
import type { HttpResponse } from '../http/index.js';
import { sanitizeText } from '../http/index.js';
import type { AirflowClient } from './client.js';
import type { AirflowDialect, ApiVersion } from './dialect.js';
import { v1Dialect } from './v1/dialect.js';
import { v2Dialect } from './v2/dialect.js';

/**
 * Which REST API a URL serves: Airflow 3 serves /api/v2 only, Airflow 2 /api/v1 only. Both answer
 * `GET {prefix}/version` without credentials; a 404 means "not this one".
 *
 * With a username/password, the Airflow 3 token exchange (`POST /auth/token`, needed anyway) is tried
 * first: a JWT means Airflow 3, and is kept. Any other answer (Airflow 2 has no such endpoint; Airflow 3
 * with another auth manager neither; a rejected password) leads to the /version probes.
 */

export const DIALECTS: Readonly<Record<ApiVersion, AirflowDialect>> = { v1: v1Dialect, v2: v2Dialect };

/** Probe order: the current API first. */
const PROBE_ORDER: readonly AirflowDialect[] = [v2Dialect, v1Dialect];

export interface Detection {
  dialect: AirflowDialect;
  /** The Airflow version the server reported (null when the token exchange told). */
  serverVersion: string | null;
  /** A JWT the detecting exchange obtained. */
  token?: string;
}

function versionOf(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const version = (parsed as Record<string, unknown>).version;
    return typeof version === 'string' && version.trim().length > 0 ? version.trim() : null;
  } catch {
    return null;
  }
}

export async function detectDialect(client: AirflowClient): Promise<Detection> {
  const name = client.name;
  const token = await client.tryTokenExchange();
  if (token !== null) return { dialect: v2Dialect, serverVersion: null, token };
  const tried: string[] = [];
  let authBlocked = false;
  for (const dialect of PROBE_ORDER) {
    const path = `${dialect.prefix}/version`;
    let response: HttpResponse;
    try {
      response = await client.probe(path);
    } catch (error) {
      // A connection failure propagates: it says nothing about the API. An unreadable answer is a "no".
      if (!isMonitorError(error) || error.kind !== 'upstream_error') throw error;
      tried.push(`GET ${path} answered with more than a version (over 64 KiB)`);
      continue;
    }
    if (response.status >= 200 && response.status < 300) {
      const version = versionOf(response.body);
      if (version !== null) return { dialect, serverVersion: sanitizeText(version, 40) };
      tried.push(`GET ${path} answered HTTP ${response.status} without Airflow's version JSON`);
      continue;
    }
    if (response.status === 401 || response.status === 403) authBlocked = true;
    tried.push(`GET ${path} answered HTTP ${response.status}`);
  }
  const host = client.http.host;
  if (authBlocked) {
    return Promise.reject(
      new MonitorError(
        'auth',
        `${name}: cannot tell which Airflow API ${host} serves (${tried.join('; ')}).`,
        {
          orchestrator: name,
          hint: `something in front of Airflow asks for credentials even for /version: configure them for ${name} (a token or headers), or set api_version (v1 for Airflow 2, v2 for Airflow 3)`,
        },
      ),
    );
  }
  return Promise.reject(
    new MonitorError(
      'upstream_error',
      `${name}: no Airflow REST API found at ${host} (${tried.join('; ')}).`,
      {
        orchestrator: name,
        hint: `check that ${name}'s url is the base URL of the Airflow 2 webserver or Airflow 3 API server (without /api/v1 or /api/v2), or set api_version`,
      },
    ),
  );
}
