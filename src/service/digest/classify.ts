/** What kind of failure an error is, from its exception type and message. */

export const FAILURE_CLASSES = [
  'timeout',
  'connection',
  'auth',
  'oom_or_killed',
  'data_quality',
  'upstream_failed',
  'code_error',
  'unknown',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

interface ClassRule {
  class: FailureClass;
  /** Only a hint (a programming error by type); a cause or context with a specific class overrides it. */
  weak?: boolean;
  pattern: RegExp;
}

const DATA_WORDS =
  /\b(?:rows?|row count|records?|count|counts|nulls?|duplicates?|mismatch|totals?|sums?|missing|expected|freshness|stale|schema|columns?|empty|values?|balance|ledger|amounts?|reconcil\w*|partitions?)\b/i;

// Rules in precedence order: the first that matches a piece of evidence gives its class.
const RULES: ClassRule[] = [
  {
    class: 'upstream_failed',
    pattern:
      /\bupstream[_ ]failed\b|did not run because an? upstream|upstream (?:task|dependenc|step|job)\w*(?: run)?\b.{0,120}\b(?:failed|did not (?:reach|complete|succeed))|dependencies for step .{0,200} failed|\bnot executing\b.{0,40}dependenc|dependencies not met.{0,200}upstream|UpstreamTaskError|skipped (?:because|due to) an? (?:failed )?upstream|upstream_states=/i,
  },
  {
    class: 'oom_or_killed',
    pattern:
      /\bMemoryError\b|OutOfMemory|\bOOM(?:Killed|_?killer)?\b|out of memory|cannot allocate memory|memory limit|exceed(?:ed|ing) memory|memory usage exceeded|Negsignal\.SIG(?:KILL|TERM)|\bSIGKILL\b|\bSIGTERM\b|\bsignal (?:9|15)\b|\b(?:code|status|exit_code|returncode)[\s:=]*(?:-9|137|-15|143)\b|^Killed\b|\bKilled\s*$|:\s+\d+ Killed\s|\bzombie\b|\bheartbeat(?:ing)?\b.{0,60}\b(?:timed out|stopped|missed|lost|not)\b|stopped heartbeating|DagsterExecutionInterruptedError|execution (?:was )?interrupted(?! by an unexpected exception:?\s*\w)|Crash detected!(?!.*unexpected exception:?\s*\w)|cancelled by the runtime environment|AirflowTaskTerminated|received SIGTERM|KeyboardInterrupt|TerminationSignal|\bEvicted\b|terminated by (?:signal|interrupt|the system)|\bpod .{0,80}\b(?:evicted|deleted|killed)\b/im,
  },
  {
    // Snowflake reports a missing object and a missing privilege with one message: a code/config problem.
    class: 'code_error',
    weak: true,
    pattern:
      /does not exist or not authorized|\b002003\b|SQL compilation error|UndefinedTable|UndefinedColumn|UndefinedObject|relation "[^"]{1,200}" does not exist|Not found: (?:Table|Dataset|View|Job|Routine)\b|TABLE_OR_VIEW_NOT_FOUND|Table or view not found/i,
  },
  {
    class: 'auth',
    pattern:
      /\b(?:HTTP(?:\s*Error)?|status(?:[ _]code)?|code|response)[\s:=]*40[13]\b|\b40[13]\s*(?:Client Error|Unauthori[sz]ed|Forbidden)|\bUnauthori[sz]ed\b|\bForbidden\b|permission denied|PermissionError|PERMISSION_DENIED|UNAUTHENTICATED|AccessDenied|Access Denied|access is denied|not authori[sz]ed to|\bis not authori[sz]ed\b|invalid_grant|invalid_client|unauthorized_client|authentication (?:failed|failure|error|required)|AuthenticationError|AuthenticationFailed|\bAuthError\b|incorrect username or password|invalid (?:username|password|credentials|api[ _-]?key|token|access[ _-]?token|client[ _-]?secret|signature)|(?:token|credentials?|session|password) (?:has |have )?expired|ExpiredToken|TokenExpired|InvalidAccessKeyId|SignatureDoesNotMatch|InvalidClientTokenId|UnrecognizedClientException|insufficient (?:privileges|permissions|scope)|does not have (?:the )?(?:required )?(?:permission|access|privilege)|NoCredentialsError|unable to locate credentials|DefaultCredentialsError|could not (?:load|find|automatically determine) (?:the )?(?:default )?credentials|\blogin failed\b|password authentication failed|JWT token is invalid|invalid JWT|Bad credentials|AuthorizationFailed|AccessDeniedException|\b(?:390100|390144|390318)\b/i,
  },
  {
    // A connection that could not be opened in time is a connection problem, not a slow job.
    class: 'connection',
    pattern:
      /ConnectTimeout|connect(?:ion)?[ _-]?time[ _-]?out|connection (?:attempt )?timed out|timed out (?:while |when )?connecting|timeout (?:while |when )?connecting|connecting to .{1,120} timed out|login timeout expired|\bconnect timeout\b/i,
  },
  {
    class: 'timeout',
    pattern:
      /\bTimeoutError\b|\bTimeoutException\b|ReadTimeout|read timed out|read timeout|AirflowTaskTimeout|AirflowSensorTimeout|\bTimeout of \d|Timeout, PID|timed out|deadline exceeded|DeadlineExceeded|statement timeout|canceling statement due to (?:statement|user request)|query (?:execution )?(?:was )?(?:timed out|timeout)|execution timeout|exceeded (?:the )?(?:maximum )?(?:allowed )?(?:execution |run ?)?time|exceeded (?:its |the )?timeout|reached its (?:statement or warehouse )?timeout|\b000630\b|Gateway Time-?out|(?:HTTP|status(?:[ _]code)?|code)[\s:=]*504\b|SoftTimeLimitExceeded|TimeLimitExceeded|\bTimedOut\b|\btimeout\b/i,
  },
  {
    class: 'connection',
    pattern:
      /ConnectionError|ConnectionRefused|connection refused|ConnectionReset|connection reset|connection (?:was )?(?:closed|aborted|lost|dropped|terminated)|server closed the connection|could not connect|can(?:no|')t connect|unable to connect|failed to connect|failed to establish a new connection|NewConnectionError|Max retries exceeded|Name or service not known|nodename nor servname|Temporary failure in name resolution|could not translate host name|getaddrinfo failed|No route to host|Network is unreachable|\bnetwork error\b|RemoteDisconnected|Connection aborted|Broken pipe|BrokenPipeError|EOF occurred in violation|\bSSLError\b|ServiceUnavailable|Service Unavailable|Bad Gateway|(?:HTTP|status(?:[ _]code)?|code)[\s:=]*50[23]\b|lost connection|too many connections|socket hang up|ChunkedEncodingError|IncompleteRead|InterfaceError: connection|Error reading SSH protocol banner|SSHException|NoValidConnectionsError/i,
  },
  {
    // errno names are upper case; matching them case-insensitively would find "eNotFound" in "ModuleNotFound".
    class: 'connection',
    pattern: /\b(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|EPIPE)\b/,
  },
  {
    class: 'data_quality',
    pattern:
      /great[_ ]expectations|\bexpectation(?:s| suite)?\b.{0,80}\b(?:failed|unsuccessful|not met)|validation (?:failed|result.{0,20}success.{0,5}false)|\bexpect_[a-z_]+|Failure in test\b|\bdbt test\b|Got \d+ results?, configured to (?:fail|warn)|\bFAIL \d+ |data[ _](?:quality|validation|check)|DataQuality|quality check|\bchecks? failed|asset check .{0,120}(?:failed|did not pass)|AssetCheck\w*Fail|\bSchemaError\b|\bSchemaErrors\b|schema (?:mismatch|drift|validation)|row count|\b0 rows\b|no rows|(?:empty|blank) (?:export|file|dataframe|result|table|dataset|partition|response)|\bis empty\b|\bnull values?\b|not[_ ]null|duplicate (?:key|rows?|values?|records?|entries)|\bduplicate\b.{0,40}\b(?:values?|rows?|keys?|records?|ids?|entries)\b|\bduplicates?\b.{0,40}\bfound\b|unique(?:ness)? (?:constraint|violation|test)|UniqueViolation|NotNullViolation|CheckViolation|ForeignKeyViolation|IntegrityError|\bmismatch(?:ed)?\b|\bfreshness\b|ERROR STALE|\bstale (?:data|source|partition)|\bcorrupt(?:ed)?\b|magic bytes|\bmalformed\b|out of (?:the )?(?:expected )?range|\boutliers?\b|\banomal(?:y|ies|ous)\b/i,
  },
  {
    class: 'code_error',
    weak: true,
    pattern:
      /\bSyntaxError\b|syntax error|Compilation Error|Database Error in model|Runtime Error in model|ProgrammingError|AnalysisException|UNRESOLVED_COLUMN|cannot resolve|ParseException|invalid identifier|ModuleNotFoundError|No module named|ImportError|\bis not defined\b|\bNameError\b|(?:column|table|view|schema|function|object) .{0,80}\b(?:does not exist|not found|cannot be found)|\b(?:KeyError|ValueError|TypeError|AttributeError|IndexError|IndentationError|ZeroDivisionError|NotImplementedError|RecursionError|UnboundLocalError|JSONDecodeError|UnicodeDecodeError|UnicodeEncodeError|FileNotFoundError|IsADirectoryError|LookupError|OverflowError|StopIteration|NullPointerException|ClassNotFoundException|IllegalArgumentException|IllegalStateException|NumberFormatException|ClassCastException|UnsupportedOperationException|DataError|InvalidRequestError|CompileError|TemplateNotFound|UndefinedError|DagsterInvariantViolationError|DagsterInvalidDefinitionError|DagsterInvalidConfigError|DagsterTypeCheckDidNotPass|CheckError|ArrowInvalid|ArrowTypeError|ParserError|CalledProcessError)\b/,
  },
];

const ASSERTION = /\bAssertionError\b/;

export interface Classification {
  class: FailureClass;
  weak: boolean;
}

/** The class of one piece of evidence (an exception line, a log line), or null when nothing matches. */
export function classifyText(text: string): Classification | null {
  if (!text) return null;
  for (const rule of RULES) {
    if (rule.pattern.test(text)) return { class: rule.class, weak: rule.weak === true };
  }
  if (ASSERTION.test(text)) {
    return DATA_WORDS.test(text)
      ? { class: 'data_quality', weak: false }
      : { class: 'code_error', weak: true };
  }
  return null;
}

/** True when the first rule of `cls` matches the text (used to find which line explains a class). */
export function supportsClass(text: string, cls: FailureClass): boolean {
  return classifyText(text)?.class === cls;
}

/**
 * The class of a failure from tiers of evidence, most authoritative first (the error itself, its causes,
 * the lines that introduce it, then the context lines before it). A specific class in the first tiers
 * wins; a programming-error hint (by exception type) only if nothing more specific is known there;
 * context lines decide only when the error itself says nothing.
 */
export function classifyEvidence(
  primary: readonly string[],
  context: readonly string[],
): { class: FailureClass; witness: string | null } {
  let weak: { class: FailureClass; witness: string } | null = null;
  for (const text of primary) {
    const c = classifyText(text);
    if (c && !c.weak) return { class: c.class, witness: text };
    if (c && !weak) weak = { class: c.class, witness: text };
  }
  if (weak) return weak;
  for (const text of context) {
    const c = classifyText(text);
    if (c && !c.weak) return { class: c.class, witness: text };
    if (c && !weak) weak = { class: c.class, witness: text };
  }
  return weak ?? { class: 'unknown', witness: null };
}
