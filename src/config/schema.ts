import * as z from 'zod';
import { callTimeoutSecondsSchema, resilienceEntrySchema } from './resilience.js';

const name = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/i,
    'must be 1-63 letters, digits, "-" or "_" (it prefixes ids as <name>:<id>)',
  );

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
  } catch {
    return false;
  }
}, 'must be an http(s) URL without credentials in it (put them under auth)');

const auth = z.union([
  z.strictObject({ username: z.string().min(1), password: z.string().min(1) }),
  z.strictObject({ token: z.string().min(1) }),
]);

export const orchestratorEntrySchema = z.strictObject({
  name,
  type: z.enum(['airflow', 'dagster', 'prefect']),
  url: httpUrl,
  auth: auth.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeout_seconds: z.number().positive().max(600).optional(),
  api_version: z.enum(['auto', 'v1', 'v2']).optional(),
  tls: z.strictObject({ ca_file: z.string().min(1).optional(), verify: z.boolean().optional() }).optional(),
  resilience: resilienceEntrySchema.optional(),
});

const glob = z.string().min(1).max(300);

export const triggersSchema = z.strictObject({
  enabled: z.boolean().default(false),
  allow: z.array(glob).optional(),
  deny: z.array(glob).optional(),
  cooldown_seconds: z.number().min(0).max(86_400).optional(),
  max_per_hour: z.number().int().min(1).max(10_000).optional(),
  max_per_hour_per_pipeline: z.number().int().min(1).max(1000).optional(),
  max_per_hour_per_principal: z.number().int().min(1).max(10_000).optional(),
  confirm: z.enum(['always', 'never']).optional(),
  audit_log: z.string().min(1).optional(),
});

// state: shared trigger state for replicas. The URL is a secret: its checks never quote it.
export const stateSchema = z.strictObject({
  postgres_url: z
    .string()
    .refine((value) => {
      try {
        return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  schema: z
    .string()
    .regex(
      /^[a-z_][a-z0-9_]{0,62}$/,
      'must be 1-63 lowercase letters, digits or "_", not starting with a digit',
    )
    .optional(),
});

// ── HTTP transport (--http) and the authentication of its callers ──

/** The scopes this server understands: read everything; start, re-run and cancel runs. */
export const SCOPES = ['pipelines:read', 'pipelines:trigger'] as const;

/** Asymmetric JWS algorithms only: `none` and the HMAC family (HS*) can never be configured. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9.:[\]_-]+$/i, 'must be a host name or address, without scheme or port');

// Plain http is accepted only for a key server on this machine (tests, a local identity provider).
const keyServerUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) && !url.username;
  } catch {
    return false;
  }
}, 'must be an https URL (http only on localhost)');

export const httpSchema = z.strictObject({
  host: hostName.optional(),
  public_url: httpUrl.optional(),
  allowed_hosts: z.array(hostName).max(100).optional(),
  allowed_origins: z.array(z.string().min(1).max(300)).max(100).optional(),
  max_body_bytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .optional(),
  drain_timeout_seconds: z.number().min(0).max(600).optional(),
  rate_limit: z.strictObject({ requests_per_minute: z.number().int().min(1).max(1_000_000) }).optional(),
});

export const authSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        name,
        sha256: z
          .string()
          .regex(
            /^[0-9a-f]{64}$/i,
            'must be the SHA-256 of the token in hex (`pipeline-monitor-mcp hash-token`)',
          ),
        scopes: z.array(z.enum(SCOPES)).min(1).optional(),
      }),
    )
    .max(1000)
    .optional(),
  oauth: z
    .strictObject({
      issuer: z.string().min(1).max(500),
      jwks_url: keyServerUrl,
      audience: z.string().min(1).max(500).optional(),
      algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
      authorization_servers: z.array(httpUrl).min(1).optional(),
      clock_tolerance_seconds: z.number().min(0).max(300).optional(),
    })
    .optional(),
});

export const configFileSchema = z.strictObject({
  orchestrators: z.array(orchestratorEntrySchema).min(1, 'needs at least one orchestrator'),
  triggers: triggersSchema.optional(),
  state: stateSchema.optional(),
  http: httpSchema.optional(),
  auth: authSchema.optional(),
  call_timeout_seconds: callTimeoutSecondsSchema.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
