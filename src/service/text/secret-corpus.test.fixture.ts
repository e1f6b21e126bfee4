/**
 * Fake secrets of every shape the redactor knows, embedded in realistic log lines. Values are generated
 * from a fixed seed at runtime: deterministic, never real, and no literal token lives in the source.
 */

export interface SecretSample {
  shape: string;
  /** The log text (one line, or several joined by `\n` for multi-line shapes such as PEM keys). */
  text: string;
  /** Values that must not survive redaction. */
  secrets: string[];
  /** Secrets that are configured (exact values the redactor is told about). */
  configured?: string[];
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = rng(20260424);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HEX = '0123456789abcdef';
const B64URL = `${ALNUM}-_`;
const PASSWORD = `${ALNUM}!#%^*~_`;

function pick(chars: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += chars[Math.floor(next() * chars.length)];
  return out;
}
/** Base64 of random bytes; the standard alphabet with padding, like real keys. */
function b64(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = Math.floor(next() * 256);
  return buf.toString('base64');
}
function password(n = 14): string {
  // Mixed classes, so it reads as a password; never a dictionary word.
  return `${pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 1)}${pick('abcdefghijkmnpqrstuvwxyz', 2)}${pick('23456789', 2)}${pick(PASSWORD, n - 5)}`;
}
function jwt(): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({ sub: pick(HEX, 12), iat: 1700000000 + Math.floor(next() * 1e6), scope: 'read' }),
  ).toString('base64url');
  return `${header}.${payload}.${pick(B64URL, 43)}`;
}
function pemBody(lines: number): string[] {
  return Array.from({ length: lines }, () => b64(48));
}

const TS = '[2024-05-01, 02:00:05 UTC]';
const AF3 = '[2026-11-24T06:17:03.689000Z]';
const samples: SecretSample[] = [];
const add = (shape: string, secret: string | string[], ...texts: string[]): void => {
  const secrets = Array.isArray(secret) ? secret : [secret];
  for (const text of texts) samples.push({ shape, text, secrets });
};

// --- Passwords in URLs, any scheme ----------------------------------------------------------------------
for (const [scheme, host, tail] of [
  ['postgres', 'db-1.internal:5432', '/sales'],
  ['postgresql+psycopg2', 'warehouse.internal', '/analytics?sslmode=require'],
  ['mysql', 'mysql-primary.internal:3306', '/crm'],
  ['mongodb+srv', 'cluster0.ab1cd.mongodb.net', '/?retryWrites=true&w=majority'],
  ['redis', 'cache.internal:6379', '/0'],
  ['amqp', 'rabbit.internal:5672', '/%2F'],
  ['https', 'nexus.internal', '/repository/pypi/simple'],
  ['snowflake', 'xy12345.eu-west-1', '/ANALYTICS/PUBLIC?warehouse=ETL_WH'],
  ['sftp', 'drop.partner.example:22', '/outbound'],
  ['ftp', 'files.vendor.example', '/exports'],
] as const) {
  const pw = password(16);
  const user = `svc_${pick('abcdefghijklmnopqrstuvwxyz', 5)}`;
  add(
    `url-${scheme}`,
    pw,
    `${TS} {base.py:73} INFO - Connecting to ${scheme}://${user}:${pw}@${host}${tail}`,
    `${AF3} ERROR task - sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect: ${scheme}://${user}:${pw}@${host}${tail}`,
  );
}
{
  const pw = `${password(8)}@${password(6)}#x`;
  add('url-at-in-password', pw, `AIRFLOW_CONN_WAREHOUSE='postgresql://etl:${pw}@db.internal:5432/sales'`);
  const secret = b64(30).replace(/=+$/, '');
  add(
    'url-s3-secret-with-slash',
    secret,
    `Reading s3a://${pick(UPPER_NUM, 20)}:${secret}@bucket-raw/events/`,
  );
}

// --- Authorization headers ------------------------------------------------------------------------------
for (let i = 0; i < 4; i++) {
  const token = pick(B64URL, 40);
  add(
    'bearer',
    token,
    `DEBUG - Request headers: {'Authorization': 'Bearer ${token}', 'Accept': 'application/json'}`,
    `> Authorization: Bearer ${token}`,
    `curl -H "Authorization: Bearer ${token}" https://api.vendor.example/v2/orders`,
  );
}
for (let i = 0; i < 2; i++) {
  const basic = Buffer.from(`svc_etl:${password(12)}`).toString('base64');
  add('basic', basic, `proxy-authorization: Basic ${basic}`, `headers={"Authorization": "Basic ${basic}"}`);
}
{
  const token = `ghp_${pick(ALNUM, 36)}`;
  add(
    'auth-token-scheme',
    token,
    `git -c http.extraHeader="Authorization: token ${token}" clone https://github.com/acme/dbt.git`,
  );
  const key = pick(ALNUM, 32);
  add(
    'x-api-key',
    key,
    `sending X-Api-Key: ${key}`,
    `{"x-api-key": "${key}", "content-type": "application/json"}`,
  );
}

// --- JWTs -----------------------------------------------------------------------------------------------
for (let i = 0; i < 3; i++) {
  const t = jwt();
  add(
    'jwt',
    t,
    `${TS} {auth.py:40} DEBUG - id_token=${t}`,
    `Refreshing session with ${t} (expires in 3600s)`,
  );
}

// --- PEM private keys -----------------------------------------------------------------------------------
for (const kind of [
  'RSA PRIVATE KEY',
  'PRIVATE KEY',
  'EC PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
]) {
  const body = pemBody(4);
  samples.push({
    shape: `pem-multiline-${kind}`,
    text: [`-----BEGIN ${kind}-----`, ...body, `-----END ${kind}-----`].join('\n'),
    secrets: body,
  });
}
{
  const body = pemBody(3);
  samples.push({
    shape: 'pem-in-log-lines',
    text: [
      `${TS} {ssh.py:120} ERROR - Could not load key:`,
      `${TS} {ssh.py:120} ERROR - -----BEGIN RSA PRIVATE KEY-----`,
      ...body.map((l) => `${TS} {ssh.py:120} ERROR - ${l}`),
      `${TS} {ssh.py:120} ERROR - -----END RSA PRIVATE KEY-----`,
    ].join('\n'),
    secrets: body,
  });
  const cut = pemBody(3);
  samples.push({
    shape: 'pem-cut-off',
    text: ['key material follows: -----BEGIN PRIVATE KEY-----', ...cut].join('\n'),
    secrets: cut,
  });
}
for (let i = 0; i < 2; i++) {
  const body = pemBody(3);
  const keyId = pick(HEX, 40);
  add(
    'gcp-service-account-json',
    body,
    `{"type": "service_account", "project_id": "acme-prod", "private_key_id": "${keyId}", "private_key": "-----BEGIN PRIVATE KEY-----\\n${body.join('\\n')}\\n-----END PRIVATE KEY-----\\n", "client_email": "etl@acme-prod.iam.gserviceaccount.com"}`,
  );
}

// --- AWS -------------------------------------------------------------------------------------------------
for (let i = 0; i < 3; i++) {
  const id = `AKIA${pick(UPPER_NUM, 16)}`;
  const secret = b64(30);
  add('aws-access-key-id', id, `botocore.credentials - Found credentials in environment variables: ${id}`);
  add(
    'aws-secret',
    secret,
    `aws_secret_access_key = ${secret}`,
    `AWS_SECRET_ACCESS_KEY=${secret}`,
    `  aws_secret_access_key: "${secret}"`,
    `Using AWS secret key ${secret} for profile etl`,
    `{"AccessKeyId": "${id}", "SecretAccessKey": "${secret}", "Expiration": "2024-05-01T03:00:00Z"}`,
  );
}
{
  const session = `ASIA${pick(UPPER_NUM, 16)}`;
  const token = b64(120);
  add('aws-session', [session, token], `export AWS_ACCESS_KEY_ID=${session} AWS_SESSION_TOKEN=${token}`);
  const sig = pick(HEX, 64);
  add(
    'aws-presigned-url',
    sig,
    `GET https://bucket.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${session}%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${sig}`,
  );
}

// --- Azure -----------------------------------------------------------------------------------------------
for (let i = 0; i < 2; i++) {
  const key = b64(64);
  add(
    'azure-account-key',
    key,
    `DefaultEndpointsProtocol=https;AccountName=acmelake;AccountKey=${key};EndpointSuffix=core.windows.net`,
    `AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acmelake;AccountKey=${key}"`,
  );
  const sas = encodeURIComponent(b64(32));
  add(
    'azure-sas',
    sas,
    `Uploading to https://acmelake.blob.core.windows.net/raw/x.parquet?sv=2022-11-02&ss=b&srt=o&sp=rwc&se=2024-05-02T00:00:00Z&sig=${sas}`,
    `BlobEndpoint=https://acmelake.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=${sas}`,
  );
  const sb = b64(32);
  add(
    'azure-service-bus',
    sb,
    `Endpoint=sb://acme-events.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${sb}`,
  );
}

// --- Vendor token shapes ----------------------------------------------------------------------------------
const shapes: [string, () => string][] = [
  ['github-ghp', () => `ghp_${pick(ALNUM, 36)}`],
  ['github-gho', () => `gho_${pick(ALNUM, 36)}`],
  ['github-ghs', () => `ghs_${pick(ALNUM, 36)}`],
  ['github-pat', () => `github_pat_${pick(ALNUM, 22)}_${pick(ALNUM, 59)}`],
  ['gitlab-pat', () => `glpat-${pick(B64URL, 20)}`],
  ['slack-bot', () => `xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick(ALNUM, 24)}`],
  ['slack-user', () => `xoxp-${pick('0123456789', 12)}-${pick('0123456789', 12)}-${pick(HEX, 32)}`],
  ['stripe-secret', () => `sk_live_${pick(ALNUM, 24)}`],
  ['stripe-restricted', () => `rk_live_${pick(ALNUM, 24)}`],
  ['stripe-test', () => `sk_test_${pick(ALNUM, 24)}`],
  ['stripe-webhook', () => `whsec_${pick(ALNUM, 32)}`],
  ['openai', () => `sk-${pick(ALNUM, 48)}`],
  ['openai-project', () => `sk-proj-${pick(B64URL, 64)}`],
  ['anthropic', () => `sk-ant-api03-${pick(B64URL, 93)}AA`],
  ['sendgrid', () => `SG.${pick(B64URL, 22)}.${pick(B64URL, 43)}`],
  ['twilio-api-key', () => `SK${pick(HEX, 32)}`],
  ['npm', () => `npm_${pick(ALNUM, 36)}`],
  ['pypi', () => `pypi-AgEIcHlwaS5vcmc${pick(B64URL, 60)}`],
  ['google-api-key', () => `AIza${pick(B64URL, 35)}`],
  ['google-oauth-secret', () => `GOCSPX-${pick(B64URL, 28)}`],
  ['huggingface', () => `hf_${pick(ALNUM, 34)}`],
  ['databricks', () => `dapi${pick(HEX, 32)}`],
];
for (const [shape, make] of shapes) {
  const a = make();
  const b = make();
  add(shape, a, `${TS} {client.py:55} INFO - initialised client with credential ${a} for org acme`);
  add(shape, b, `${AF3} WARNING vendor_sync - request failed (401); key in use: ${b}`);
}
{
  const hook = `T${pick(UPPER_NUM, 10)}/B${pick(UPPER_NUM, 10)}/${pick(ALNUM, 24)}`;
  add('slack-webhook', hook, `Posting alert to https://hooks.slack.com/services/${hook}`);
  const npm = `npm_${pick(ALNUM, 36)}`;
  add('npmrc', npm, `//registry.npmjs.org/:_authToken=${npm}`);
}

// --- Datadog and Twilio (plain hex values, recognised by their keys) ---------------------------------------
for (let i = 0; i < 2; i++) {
  const api = pick(HEX, 32);
  const app = pick(HEX, 40);
  const twilio = pick(HEX, 32);
  add('datadog-api-key', api, `DD_API_KEY=${api}`, `headers: {"DD-API-KEY": "${api}"}`);
  add('datadog-app-key', app, `datadog: {api_key: ${api}, app_key: ${app}}`, `DD_APPLICATION_KEY=${app}`);
  add('twilio-auth-token', twilio, `TWILIO_AUTH_TOKEN=${twilio}`, `twilio.auth_token: ${twilio}`);
}

// --- Passwords and secrets in key/value forms and CLI flags --------------------------------------------------
for (let i = 0; i < 3; i++) {
  const pw = password(15);
  add(
    'db-password',
    pw,
    `snowflake.connector - connect(account=xy12345, user=ETL, password=${pw}, warehouse=ETL_WH)`,
    `SNOWFLAKE_PASSWORD=${pw}`,
    `password: ${pw}`,
    `  "password": "${pw}",`,
    `{'host': 'db.internal', 'login': 'etl', 'password': '${pw}', 'port': 5432}`,
    `dbt debug --target prod --profiles-dir . --password ${pw}`,
    `mysql -h mysql.internal -u etl -p ${pw} crm < load.sql`,
    `mysqldump -u root -p${pw} --single-transaction crm`,
    `PGPASSWORD=${pw} psql -h db.internal -U etl -d sales -c 'select 1'`,
    `jdbc:sqlserver://sql.internal:1433;databaseName=crm;user=etl;password=${pw};encrypt=true`,
    `DB_PASS="${pw}"`,
    `redis-cli -h cache.internal -a ${pw} ping`,
    `sqlcmd -S sql.internal -U sa -P ${pw} -Q "select 1"`,
  );
}
for (const key of [
  'token',
  'secret',
  'api_key',
  'apikey',
  'access_token',
  'refresh_token',
  'client_secret',
  'auth_token',
  'private_key_passphrase',
  'SLACK_BOT_TOKEN',
  'stripe.secretKey',
]) {
  const v = pick(ALNUM, 28);
  add(`kv-${key}`, v, `${key}=${v}`, `config: ${key}: "${v}"`, `{"${key}": "${v}"}`);
}
{
  const v = pick(ALNUM, 30);
  add('export-secret', v, `export MY_SERVICE_SECRET=${v}`, `export X_API_TOKEN='${v}'`);
  const spaced = `${password(6)} ${password(6)} ${password(6)}`;
  add('quoted-with-spaces', spaced.split(' '), `{"client_secret": "${spaced}"}`);
  const flag = pick(ALNUM, 26);
  add(
    'cli-long-flags',
    flag,
    `vendor-cli sync --api-key ${flag} --region eu`,
    `run.sh --client-secret=${flag}`,
  );
  add('cli-token-flag', flag, `airbyte-ci --token ${flag} connectors test`);
}

// --- Cookies ------------------------------------------------------------------------------------------------
for (let i = 0; i < 2; i++) {
  const s = pick(B64URL, 32);
  const c = pick(ALNUM, 32);
  add(
    'cookie',
    s,
    `< Set-Cookie: session=${s}; Path=/; HttpOnly; Secure`,
    `> Cookie: sessionid=${s}; theme=dark`,
    `requests.cookies: session=${s}`,
  );
  add('cookie-csrf', [s, c], `Cookie: sessionid=${s}; csrftoken=${c}`);
}

// --- Configured secrets (exact values, also URL-encoded and base64) ---------------------------------------------
for (let i = 0; i < 3; i++) {
  const v = `${password(10)}/+ &${password(4)}`;
  samples.push(
    { shape: 'configured-plain', text: `login attempt with ${v} rejected`, secrets: [v], configured: [v] },
    {
      shape: 'configured-url-encoded',
      text: `GET /login?user=etl&pw=${encodeURIComponent(v)}`,
      secrets: [encodeURIComponent(v)],
      configured: [v],
    },
    {
      shape: 'configured-base64',
      text: `payload=${Buffer.from(v).toString('base64')} sent`,
      secrets: [Buffer.from(v).toString('base64')],
      configured: [v],
    },
  );
}

export const SECRET_SAMPLES: readonly SecretSample[] = samples;

/** Ordinary log lines that must come through redaction unchanged. */
export const BENIGN_LINES: readonly string[] = [
  'author=jane.doe committed 3 files to models/marts',
  'Loaded tokenizer=bert-base-uncased with max_tokens=512 and num_tokens=98211',
  '42 passed, 0 failed, 3 skipped in 3.21s',
  'Token expired for user etl; refreshing',
  'Basic authentication failed for user etl',
  'Bearer token missing from request',
  'GET https://api.example.com/v1/orders?page=2&per_page=100 200 OK',
  'Connecting to postgres://db.internal:5432/sales',
  'see https://docs.getdbt.com/reference/commands/run for details',
  '02:09:12  Done. PASS=46 WARN=0 ERROR=1 SKIP=1 TOTAL=48',
  'psycopg2.OperationalError: FATAL:  password authentication failed for user "etl"',
  "Using connection ID 'warehouse_pg' for task execution.",
  'token_uri=https://oauth2.googleapis.com/token token_type=Bearer expires_in=3599',
  'secret_name=prod/db/credentials resolved from Secrets Manager',
  'password_file=/run/secrets/db_password',
  'PWD=/opt/airflow OLDPWD=/home/airflow',
  'psql -h db.internal -p 5432 -U etl -d sales -f load.sql',
  'mkdir -p /opt/airflow/logs/dag_id=sync_inventory',
  'user=etl host=db.internal port=5432 dbname=sales sslmode=require',
  'session started for user etl',
  'signature verification succeeded for webhook event evt_1',
  'botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied',
  'Export s3://partner-drops/adnet/spend/weekend/spend.csv has a header and no rows',
  'Retrying (Retry(total=0, connect=0, read=3, redirect=None, status=None))',
  '[2024-01-01 00:00:00,000] {taskinstance.py:1937} ERROR - Task failed with exception',
  'credentials: not found, falling back to instance metadata',
  'git commit 9fceb02d0ae598e95dc970b74767f19372d61af8 deployed',
  'checksum sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'run_id=3f9e2c1a-5b7d-4e8f-9a0b-1c2d3e4f5a6b state=failed',
  'Airflow masked the value: password=*** token=***',
  'token: ${API_TOKEN} will be read from the environment',
  'The key "customer_id" was not found in row 1204',
  'keyword=analytics keys=3 key_count=7',
  'scikit-learn model sk-learn loaded; 3 secrets rotated last week',
  'Secret Manager backend: airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend',
  'pass rate 97.5% across 120 tests',
  'OAuth flow completed for acme-prod',
  'api_key_id=1204 rotated',
  'Cookie consent banner disabled in headless mode',
  'Authentication: OK',
  'docker run -p 8080:8080 mysql:8',
  'pg_dump -a -h db.internal sales > dump.sql',
  'Using connection to: id: postgres_default. Host: db, Port: 5432, Schema: sales, Login: etl, Password: ***, extra: {}',
  'session_timeout=30 password_policy=strict auth_type=oauth',
  'The provided token has expired.',
];
