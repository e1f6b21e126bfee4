export const MASK = '[REDACTED]';

type Replacer = (match: string, ...groups: string[]) => string;

interface Rule {
  name: string;
  pattern: RegExp;
  replace: string | Replacer;
}

const keep =
  (...parts: number[]): Replacer =>
  (_m, ...groups) =>
    parts.map((p) => (p === 0 ? MASK : (groups[p - 1] ?? ''))).join('');

// ---------------------------------------------------------------------------------------------------------
// Private keys

const PEM_BEGIN = /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
/** A whole PEM private key in one text (real or escaped newlines), or from BEGIN to the end when cut off. */
const PEM_BLOCK = new RegExp(`${PEM_BEGIN.source}[\\s\\S]*?(?:${PEM_END.source}|$)`, 'g');

// ---------------------------------------------------------------------------------------------------------
// Token shapes: whole-token patterns that are secrets wherever they appear.

const TOKEN_SHAPES: RegExp[] = [
  // JWT / JWS (header.payload.signature; the signature may be empty for alg=none).
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // AWS access key ids (long-term, temporary, and other principal ids that double as credentials).
  /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b/g,
  // GitHub.
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,}/g,
  // GitLab personal/deploy/runner/CI/feed tokens and runner registration tokens.
  /\b(?:glpat|gldt|glrt|glptt|glcbt|glimt|glagent|glsoat|glft|glffct|gloas)-[A-Za-z0-9_-]{20,}/g,
  /\bGR1348941[A-Za-z0-9_-]{20,}/g,
  // Slack tokens and incoming webhooks.
  /\bxox[abposrce]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-\d-[A-Za-z0-9-]{10,}/g,
  // Stripe secret, restricted and publishable keys, webhook signing secrets.
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /\bwhsec_[A-Za-z0-9+/=]{24,}/g,
  // OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-api03-, sk-ant-admin01-).
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // SendGrid.
  /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g,
  // Twilio API key sids and account sids.
  /\b(?:SK|AC)[0-9a-f]{32}\b/g,
  // npm and PyPI.
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\bpypi-AgE[A-Za-z0-9_-]{40,}/g,
  // Google API keys, OAuth client secrets, access and refresh tokens.
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\bGOCSPX-[A-Za-z0-9_-]{20,}/g,
  /\bya29\.[A-Za-z0-9_-]{20,}/g,
  /(?<![A-Za-z0-9])1\/\/0[A-Za-z0-9_-]{30,}/g,
  // Hugging Face, Databricks, Shopify, DigitalOcean, Atlassian, Vault, Grafana, Postman, Linear, Doppler.
  /\bhf_[A-Za-z0-9]{30,}\b/g,
  /\bdapi[0-9a-f]{32}(?:-\d)?\b/g,
  /\bshp(?:at|ss|ca|pa)_[A-Fa-f0-9]{32}\b/g,
  /\bdo[opr]_v1_[a-f0-9]{64}\b/g,
  /\bATATT3[A-Za-z0-9_=-]{40,}/g,
  /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g,
  /\bgl(?:sa|c)_[A-Za-z0-9_+/=-]{32,}/g,
  /\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b/g,
  /\blin_(?:api|oauth)_[A-Za-z0-9]{32,}\b/g,
  /\bdp\.(?:st|ct|sa|scim|audit)\.[A-Za-z0-9._-]{32,}/g,
  // Mailgun and Mailchimp API keys.
  /\bkey-[0-9a-f]{32}\b/g,
  /\b[0-9a-f]{32}-us\d{1,2}\b/g,
];

// ---------------------------------------------------------------------------------------------------------
// Context rules: a value is a secret because of what precedes it.

const AUTH_SCHEMES = 'Bearer|Basic|Token|Digest|Negotiate|NTLM|SSWS|Splunk|Bot|OAuth|ApiKey|Api-Key|JWT';

/** `user:password@` in a URL of any scheme; the password may contain `@` (the last one ends it). */
const URL_CREDENTIALS =
  /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s:/@?#'"]{0,256}):([^\s/'"]{0,512}?)@(?=[^\s@/'"]{0,256}(?:[/\s'"]|$))/gi;
/** Object-store URLs where the secret part (an AWS/Azure secret key) may contain `/`. */
const URL_CREDENTIALS_SLASH =
  /\b((?:s3[an]?|gs|wasbs?|abfss?|ftps?|sftp):\/\/)([^\s:/@?#'"]{0,256}):([^\s@'"]{8,512}?)@/gi;

// The value after a separator: a quoted string (JSON, Python repr, shell, escaped JSON) or a bare token.
const VALUE =
  '(\\\\?"(?:[^"\\\\\\n]|\\\\[^"\\n])*\\\\?"|\'(?:[^\'\\\\\\n]|\\\\.)*\'|`[^`\\n]*`|\\$\\{[^}\\n]*\\}|[^\\s"\'`,;&|<>(){}\\[\\]]+)';

/** Any `key=value`, `key: value`, `"key": "value"`, `key => value`; the key is judged by isSecretKey. */
const KEY_VALUE = new RegExp(
  `(\\\\?["']?)([A-Za-z_][A-Za-z0-9_.-]{0,80})(\\1)([ \\t]*(?:=>|:=|[:=])[ \\t]*)`,
  'g',
);

/** `--password value`, `--api-key=value` and friends on command lines. */
const LONG_FLAG = new RegExp(
  `(?<=^|[\\s"'=])(--?(?:[a-z0-9]+-)*(?:password|passwd|pass|pwd|passphrase|secret|token|api-?key|access-?key|secret-?key|private-?key|client-?secret|auth-?token|credentials?|sas-?token|account-?key|master-?key)s?)(\\s+|=)${VALUE}`,
  'gi',
);
/** Database and remote-shell clients, where `-p`/`-P`/`-a` take a password. */
const DB_CLIENT =
  /\b(?:mysql\w*|mariadb\w*|sshpass|psql|pg_\w+|mongo\w*|redis-cli|sqlcmd|snowsql|isql|bcp|clickhouse-client|vsql|beeline|osql)\b/i;
const SHORT_PASSWORD_FLAG = /(\s-[pPa])(\s+)(["']?)([^\s"']+)\3/g;
const ATTACHED_PASSWORD_FLAG = /(\s-p)([^\s"'-][^\s"']*)/g;

const AUTH_HEADER = new RegExp(
  `\\b((?:Proxy-)?Authorization|X-Api-Key|Api-Key|X-Auth-Token|X-Access-Token|X-Vault-Token|Private-Token|Job-Token|X-Goog-Api-Key|Ocp-Apim-Subscription-Key|DD-API-KEY|DD-APPLICATION-KEY|X-Datadog-Api-Key|X-Shopify-Access-Token|X-Figma-Token|X-Amz-Security-Token)(\\\\?["']?\\s*[:=]\\s*\\\\?["']?)(?:(${AUTH_SCHEMES})\\s+)?([^\\s"',;]+(?:\\s*,\\s*\\w+=[^\\s"',;]+)*)`,
  'gi',
);
const AUTH_SCHEME_VALUE = new RegExp(`\\b(${AUTH_SCHEMES})(\\s+)([A-Za-z0-9._~+/=:-]{8,})`, 'g');

const COOKIE_HEADER = /\b(Set-Cookie|Cookie)(\\?["']?\s*[:=]\s*\\?["']?)([^\n"']*)/gi;

/** An AWS secret access key or similar 40-character base64 secret after a key word. */
const SECRET_AFTER_WORD =
  /\b((?:aws[ _-]?)?secret(?:[ _-]?access)?[ _-]?key|aws[ _-]?secret\w*|SecretAccessKey|secret key)(\W{1,4}|\s+(?:is|=|:)?\s*)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi;

const SLACK_WEBHOOK = /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{16,}/g;
const SAS_SIGNATURE = /\b(SharedAccessSignature\s*=\s*)([^;\s"']+)/gi;

// ---------------------------------------------------------------------------------------------------------
// Which keys hold secrets.

const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'credential',
  'credentials',
  'creds',
  'token',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'accountkey',
  'sharedaccesskey',
  'sharedaccesssignature',
  'sig',
  'signature',
  'cookie',
  'session',
  'sessionid',
  'sessiontoken',
  'authtoken',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'otp',
  'sas',
  'sastoken',
]);
/** Secret words that are also ordinary words: a pair counts only with `=` or a quoted (JSON/dict) key. */
const WEAK_WORDS = new Set(['pass', 'pwd', 'session', 'sig', 'signature', 'cookie', 'otp', 'sas', 'creds']);
/** Words that make a `<word> key` or `<word>_key` pair a secret (api_key, app_key, private_key, …). */
const KEY_QUALIFIERS = new Set([
  'api',
  'app',
  'application',
  'access',
  'secret',
  'private',
  'client',
  'master',
  'encryption',
  'signing',
  'account',
  'shared',
  'license',
  'subscription',
  'service',
  'admin',
  'ingest',
  'write',
  'deploy',
  'webhook',
  'bot',
  'storage',
  'primary',
  'secondary',
  'consumer',
  'auth',
  'integration',
]);
/** A key ending in one of these names something about a secret, not the secret itself. */
const NOT_SECRET_SUFFIXES = new Set([
  'uri',
  'url',
  'endpoint',
  'type',
  'expiry',
  'expires',
  'expiration',
  'expired',
  'ttl',
  'count',
  'file',
  'path',
  'dir',
  'length',
  'len',
  'name',
  'version',
  'header',
  'location',
  'env',
  'field',
  'policy',
  'provider',
  'arn',
  'ref',
  'hint',
  'timeout',
  'required',
  'enabled',
  'rotation',
  'strength',
  'format',
  'min',
  'max',
  'age',
  'size',
  'prefix',
  'mode',
  'kind',
  'method',
  'source',
  'used',
  'limit',
  'id',
  'ids',
  'backend',
  'store',
  'manager',
  'scope',
  'scopes',
  'algorithm',
  'alg',
  'status',
  'valid',
  'set',
  'present',
  'changed',
  'reset',
]);
/** Keys that name an identifier yet are credentials (Vault AppRole secret ids, session ids). */
const SECRET_ID_KEYS = new Set(['secretid', 'sessionid']);

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_.-]+/)
    .filter(Boolean);
}

/**
 * How a key (`DB_PASSWORD`, `apiKey`, `x-api-key`, `client_secret`) relates to secrets: 'strong' when its
 * value is a secret, 'weak' when only an `=` pair or a quoted key makes it one (`session=`, `"sig":`),
 * null when it is not a secret key (`author`, `tokenizer`, `max_tokens`, `token_uri`, `password_file`).
 */
export function secretKeyKind(key: string): 'strong' | 'weak' | null {
  if (/^(?:OLD)?PWD$/.test(key)) return null; // the shell's working directory
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (!last) return null;
  if (words.length > 1 && SECRET_ID_KEYS.has(words.slice(-2).join(''))) return 'strong';
  if (NOT_SECRET_SUFFIXES.has(last) && words.length > 1) return null;
  let weak = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (SECRET_WORDS.has(w)) {
      if (!WEAK_WORDS.has(w)) return 'strong';
      weak = true;
      continue;
    }
    if ((w === 'key' || w === 'keys') && i > 0 && KEY_QUALIFIERS.has(words[i - 1] as string)) return 'strong';
    if (/^x?(?:api|app|access|secret|private|client|account|master)keys?$/.test(w)) return 'strong';
    if (/(?:password|passwd|passphrase|secret|credential)s?$|token$/.test(w)) return 'strong';
  }
  return weak ? 'weak' : null;
}

export function isSecretKey(key: string): boolean {
  return secretKeyKind(key) !== null;
}

/** Values that are obviously placeholders or status words rather than secrets. */
function isPlaceholder(value: string): boolean {
  const v = value.replace(/^\\?["'`]|\\?["'`]$/g, '');
  return (
    v === '' ||
    /^(?:none|null|nil|undefined|true|false|\*+|x{3,}|-+|\.\.\.|…|<[^>]*>|\[[A-Za-z _-]*\]|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^}]*\}\}|%\([a-z_]+\)s|%s|\?|not|missing|invalid|expired|provided|required|unset|empty|ok|failed|error|unknown|redacted|hidden|masked|present|absent)$/i.test(
      v,
    ) ||
    v.includes(MASK)
  );
}

function maskValue(value: string): string {
  if (isPlaceholder(value)) return value;
  const open = /^\\?["'`]/.exec(value)?.[0] ?? '';
  const close = open && value.length > open.length ? open : '';
  return `${open}${MASK}${close}`;
}

const VALUE_AT = new RegExp(VALUE, 'y');

/** Masks the value of every `key=value` style pair whose key names a secret. */
function redactKeyValues(text: string): string {
  let out = '';
  let copied = 0;
  KEY_VALUE.lastIndex = 0;
  for (let m = KEY_VALUE.exec(text); m !== null; m = KEY_VALUE.exec(text)) {
    const [whole, quote = '', key = '', , sep = ''] = m;
    const kind = secretKeyKind(key);
    if (!kind || (kind === 'weak' && !sep.includes('=') && !quote)) continue;
    const valueStart = m.index + whole.length;
    VALUE_AT.lastIndex = valueStart;
    const v = VALUE_AT.exec(text);
    if (!v) continue;
    const value = v[0];
    const skip = keyWords(key).join('_') === 'pass' && /^\d+$/.test(value); // dbt's PASS=46
    if (!skip) {
      out += text.slice(copied, valueStart) + maskValue(value);
      copied = valueStart + value.length;
    }
    KEY_VALUE.lastIndex = valueStart + value.length;
  }
  return out + text.slice(copied);
}

const RULES: Rule[] = [
  { name: 'pem', pattern: PEM_BLOCK, replace: MASK },
  ...TOKEN_SHAPES.map((pattern) => ({ name: 'shape', pattern, replace: MASK })),
  { name: 'url', pattern: URL_CREDENTIALS, replace: (_m, s: string, u: string) => `${s}${u}:${MASK}@` },
  {
    name: 'url-slash',
    pattern: URL_CREDENTIALS_SLASH,
    replace: (_m, s: string, u: string) => `${s}${u}:${MASK}@`,
  },
  {
    name: 'auth-header',
    pattern: AUTH_HEADER,
    replace: (m, header: string, sep: string, scheme: string | undefined, value: string) =>
      isPlaceholder(value) ? m : `${header}${sep}${scheme ? `${scheme} ` : ''}${MASK}`,
  },
  {
    name: 'auth-scheme',
    pattern: AUTH_SCHEME_VALUE,
    replace: (m, scheme: string, space: string, value: string) =>
      looksLikeCredential(value) ? `${scheme}${space}${MASK}` : m,
  },
  {
    name: 'cookie',
    pattern: COOKIE_HEADER,
    replace: (_m, header: string, sep: string, value: string) =>
      `${header}${sep}${maskCookies(header, value)}`,
  },
  { name: 'sas', pattern: SAS_SIGNATURE, replace: keep(1, 0) },
  { name: 'slack-webhook', pattern: SLACK_WEBHOOK, replace: keep(1, 0) },
  { name: 'secret-after-word', pattern: SECRET_AFTER_WORD, replace: keep(1, 2, 0) },
  {
    name: 'long-flag',
    pattern: LONG_FLAG,
    replace: (_m, flag: string, sep: string, value: string) => `${flag}${sep}${maskValue(value)}`,
  },
];

/** A bearer/basic credential rather than an English word ("Basic authentication", "Token expired"). */
function looksLikeCredential(value: string): boolean {
  if (value.includes(MASK) || /^[A-Za-z_]+=/.test(value)) return false;
  if (value.length >= 24) return true;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[._~+/=:-]/].filter((r) => r.test(value)).length;
  return classes >= 2 && !/^[A-Z][a-z]+$/.test(value);
}

function maskCookies(header: string, value: string): string {
  const setCookie = /^set-cookie$/i.test(header);
  let first = true;
  return value.replace(/([^\s=;,]{1,128})(\s*=\s*)([^;,\s]*)/g, (m, name: string, eq: string, v: string) => {
    if (setCookie && !first) return m;
    first = false;
    return v && !v.includes(MASK) ? `${name}${eq}${MASK}` : m;
  });
}

function dbClientFlags(text: string): string {
  if (!DB_CLIENT.test(text)) return text;
  // `-a` is a password only for redis-cli (pg_dump -a means data-only); ports are not passwords.
  const redis = /\bredis-cli\b/.test(text);
  return text
    .replace(SHORT_PASSWORD_FLAG, (m, flag: string, space: string, q: string, value: string) =>
      (flag.endsWith('a') && !redis) ||
      /^[\d.:]+$/.test(value) ||
      /^[/.~$-]/.test(value) ||
      value.includes(MASK)
        ? m
        : `${flag}${space}${q}${MASK}${q}`,
    )
    .replace(ATTACHED_PASSWORD_FLAG, (m, flag: string, value: string) =>
      /^[\d.:]+$/.test(value) || value.includes(MASK) || value.length < 2 ? m : `${flag}${MASK}`,
    );
}

/** The forms a configured secret can take in a log: as is, URL-encoded, base64, JSON-escaped. */
export function secretVariants(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const encoded = encodeURIComponent(secret);
  forms.add(encoded);
  forms.add(encoded.replace(/%20/g, '+'));
  forms.add(encodeURI(secret));
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ''));
  forms.add(Buffer.from(secret, 'utf8').toString('base64url'));
  forms.add(JSON.stringify(secret).slice(1, -1));
  return [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/** Compiled variants of the configured secrets, longest first, so a secret inside another is handled. */
export class KnownSecrets {
  private readonly forms: string[];

  constructor(secrets: readonly string[]) {
    const all = new Set<string>();
    for (const s of secrets) if (s.length >= 4) for (const f of secretVariants(s)) all.add(f);
    this.forms = [...all].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  }
}

function applyRules(text: string): string {
  let out = text;
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, rule.replace as Replacer);
  }
  return dbClientFlags(redactKeyValues(out));
}

/** Removes secrets from untrusted text: common credential shapes and the exact configured secret values. */
export function redactSecrets(text: string, knownSecrets: readonly string[] | KnownSecrets = []): string {
  const known = knownSecrets instanceof KnownSecrets ? knownSecrets : new KnownSecrets(knownSecrets);
  return applyRules(known.redact(text));
}

/**
 * Redacts a sequence of lines with memory: once a line opens a PEM private key block, the following
 * lines (the base64 body) are masked until the END line, for at most `maxBodyLines` lines.
 */
export class LineRedactor {
  private inKey = false;
  private bodyLines = 0;

  constructor(
    private readonly known: KnownSecrets,
    private readonly maxBodyLines = 200,
  ) {}

  line(text: string): string {
    let rest = text;
    let prefix = '';
    if (this.inKey) {
      const end = PEM_END.exec(rest);
      if (!end) {
        this.bodyLines++;
        if (this.bodyLines >= this.maxBodyLines) this.inKey = false;
        return rest.trim() === '' ? rest : MASK;
      }
      this.inKey = false;
      prefix = MASK;
      rest = rest.slice(end.index + end[0].length);
    }
    const begin = PEM_BEGIN.exec(rest);
    if (begin && !PEM_END.test(rest.slice(begin.index))) {
      this.inKey = true;
      this.bodyLines = 0;
      return prefix + redactSecrets(rest.slice(0, begin.index), this.known) + MASK;
    }
    return prefix + redactSecrets(rest, this.known);
  }
}
