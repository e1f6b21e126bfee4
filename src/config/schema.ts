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
  confirm: z.enum(['always', 'never']).optional(),
  audit_log: z.string().min(1).optional(),
});

export const configFileSchema = z.strictObject({
  orchestrators: z.array(orchestratorEntrySchema).min(1, 'needs at least one orchestrator'),
  triggers: triggersSchema.optional(),
  call_timeout_seconds: callTimeoutSecondsSchema.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
