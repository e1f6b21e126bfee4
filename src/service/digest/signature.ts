import { createHash } from 'node:crypto';
import type { FailureClass } from './classify.js';

/**
 * An error message with its variable parts replaced, so the same cause reads the same across runs and
 * pipelines: timestamps, ids, hashes, addresses, numbers and quoted identifiers become placeholders; hosts
 * and URLs keep their shape (`db-1.internal` and `db-2.internal` both become `db-<n>.internal`).
 */
export function normalizeMessage(text: string): string {
  return (
    text
      // Python object reprs: `<urllib3.connection.HTTPConnection object at 0x7f3a…>`.
      .replace(/<[\w.]+ object at 0x[0-9a-f]+>/gi, '<obj>')
      // URLs: keep scheme, host shape and path shape; drop query and fragment.
      .replace(
        /\b([a-z][a-z0-9+.-]{0,30}):\/\/([^\s/?#'"<>]*)([^\s?#'"<>]*)(?:[?#][^\s'"<>]*)?/gi,
        (_m, s, h, p) => `${String(s).toLowerCase()}://${String(h).replace(/^[^@]*@/, '')}${p}`,
      )
      .replace(/\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b/g, '<email>')
      .replace(/\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?/g, '<ts>')
      .replace(/\b\d{8}T\d{6}\b/g, '<ts>')
      .replace(/\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b/g, '<time>')
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
      .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
      .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b/gi, '<hex>')
      .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '<ip>')
      // Run ids: `scheduled__…`, `manual__…`, Dagster/Prefect ids already caught as uuids.
      .replace(/\b(?:scheduled|manual|backfill|dataset_triggered|asset_triggered)__\S+/g, '<run>')
      // Quoted identifiers and values.
      .replace(/'[^'\n]{1,200}'|"[^"\n]{1,200}"|`[^`\n]{1,200}`/g, "'<q>'")
      // Any other number, with thousands separators and decimals.
      .replace(/\d+(?:[.,]\d+)*/g, '<n>')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase()
  );
}

/** A short stable fingerprint of a failure cause: class, exception type and normalized message. */
export function failureSignature(cls: FailureClass, exceptionType: string | null, message: string): string {
  const normalized = normalizeMessage(message).slice(0, 400);
  const hash = createHash('sha256')
    .update(`${exceptionType ?? ''}\u0000${normalized}`)
    .digest('hex')
    .slice(0, 12);
  return `${cls}/${exceptionType ?? '-'}/${hash}`;
}
