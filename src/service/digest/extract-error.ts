import { classifyEvidence, classifyText, type FailureClass } from './classify.js';
import { parseLogLine, type ParsedLine } from './log-line.js';
import { failureSignature, normalizeMessage } from './signature.js';

export { logPayload } from './log-line.js';

/** The meaningful error in a log tail, what kind of failure it is and what explains it. */
export interface ExtractedError {
  class: FailureClass;
  /** Short name of the exception the failure ended with (`ConnectTimeout`), when there is one. */
  exception_type: string | null;
  /** The line that says what went wrong: the final exception as printed, or the failure line. */
  error_line: string;
  /** The exceptions that caused it, outermost first, each `Type: message` (at most 3). */
  causes: string[];
  /** Up to 3 log lines just before the error that explain it (error details printed by a tool). */
  context: string[];
  /** The innermost frames of the traceback that raised it, trimmed (at most 8). */
  stack: string[];
  /** Fingerprint for grouping the same cause across runs and pipelines: `class/type/hash`. */
  signature: string;
}

export const MAX_CAUSES = 3;
export const MAX_CONTEXT = 3;
export const MAX_STACK = 8;
const MAX_FIELD = 300;
const CONTEXT_WINDOW = 60;
const MAX_DETAIL_LINES = 8;

// ---------------------------------------------------------------------------------------------------------
// Line shapes

const TRACEBACK_START = /Traceback \(most recent call last\):\s*$/;
/** Python prints causes first: the exception after these lines is the outer one. */
const PY_OUTER_FOLLOWS =
  /^(?:The above exception was the direct cause of the following exception:|During handling of the above exception, another exception occurred:)\s*$/;
/** Airflow 3 (`Caused by:`) and Dagster print the outer exception first: a cause follows these lines. */
const CAUSE_FOLLOWS =
  /^(?:Caused by:?|The above exception was caused by the following exception:|The above exception occurred during handling of the following exception:)\s*$/;
/** Java prints causes inline after the outer exception and its frames. */
const JAVA_CAUSE = /^Caused by:\s+(\S.*)$/;
const FRAME =
  /^(?:\s+\S|File "|at [\w$.<>]+\(|\.\.\. \d+ more|Stack Trace:\s*$|\[\d+ \w+ system frames? hidden)/;
/** Where frames begin when the exception line comes first (indented message lines are not frames). */
const FRAME_START = /^\s*(?:File "|at [\w$.<>]+\(|Stack Trace:\s*$|\[\d+ \w+ system frames? hidden)/;
/** `module.Type: message` or `Type` after a traceback's frames. */
const EXCEPTION_LINE = /^([A-Za-z_][\w.$]*)(?:\[[^\]]*\])?(?::\s?(.*))?$/;
/** A line that is an exception on its own: a dotted type or a type named like an error. */
const STRICT_EXCEPTION_LINE =
  /^(?:Exception in thread "[^"]*"\s+)?((?:[a-z_][\w]*\.)+[A-Z][\w$]*|[A-Z][\w]*(?:Error|Exception|Timeout|Interrupt|Exit|Failure|Denied|NotFound|Invalid|Killed))(?::\s?(.*))?$/;

/** Tracebacks of notification callbacks (email, Slack) logged after the task failed: not the failure. */
const NOISE_CHAIN_LEAD =
  /send(?:ing)? (?:an )?email|email_on_failure|on_(?:failure|retry|success)_callback|callback|smtp|notif(?:y|ication)|slack alert|alert(?:ing)? failed/i;

const GENERIC_LINE =
  /^(?:Task failed with exception|Marking task as (?:FAILED|UP_FOR_RETRY)|Traceback \(most recent call last\):|Encountered exception during execution:?|Exception:?|Error:?|Stack Trace:)(?:\s|$)/i;

/** Errors that only say "something below failed": their cause or the context says what. */
const WRAPPER_TYPES =
  /^(?:DagsterExecutionStepExecutionError|DagsterUserCodeExecutionError|DagsterExecutionLoadInputError|DagsterExecutionHandleOutputError|DagsterResourceFunctionError|DagsterUserCodeProcessError|Py4JJavaError|RetryError|FlowRunCrashed|PrefectException)$/;
const GENERIC_MESSAGE =
  /Bash command failed|Cannot execute: |Error code is: \d+|non-zero exit (?:code|status)|Command exited with return code|returned non-zero exit status|Task failed with exception|encountered an exception\.?$|Execution of (?:step|run for) .{0,200} failed|Error occurred while executing|\d+\/\d+ states failed|exited with (?:non-zero )?(?:status|return|exit) code [1-9]\d*$|^Error$|^Exception$/i;

const KILL_MARKER =
  /Task exited with return code (?:Negsignal\.\w+|-\d+|137|143)|Negsignal\.SIG\w+|\bOOMKilled\b|^Killed\b|\bKilled\s*$|out of memory|\bzombie\b|heartbeat.{0,60}\b(?:timed out|stopped|missed)|stopped heartbeating|(?:status|exit|return) code:? ?(?:137|143|-9|-15)\b|exited with (?:code|status) (?:137|143|-9|-15)\b|Crash detected!|cancelled by the runtime environment|DagsterExecutionInterruptedError|Received SIGTERM|\bEvicted\b/i;
const UPSTREAM_MARKER =
  /\bupstream_failed\b|did not run because an? upstream|Dependencies for step .{0,200} failed|Upstream task run .{0,200} did not reach|dependencies not met.{0,200}upstream|UpstreamTaskError/i;
const FAIL_MARKER =
  /Command exited with return code [1-9]|Task exited with return code [1-9]|Finished in state (?:Failed|Crashed|TimedOut)\(|Execution of (?:step|run for) .{0,200} failed|infrastructure exited with non-zero status code|Process .{0,80} exited with (?:status|code) [1-9]|returned non-zero exit status|Bash command failed/i;
/** dbt's summary of a failed node, followed by indented detail lines. */
const DBT_ERROR =
  /^(?:(?:Database|Compilation|Runtime|Dependency|Parsing|Internal) Error in \w+ |Failure in (?:test|unit_test) )/;
const PREFECT_STATE = /Finished in state (\w+)\((['"])([\s\S]*)\2\)\s*$/;
const PREFECT_INNER = /encountered an exception[.:]?\s*(?:Traceback[\s\S]*\n)?([A-Za-z_][\w.]*):\s*(.+)$/;
const CRASH_INNER = /unexpected exception:?\s+([A-Za-z_][\w.]*)(?::\s*(.+))?$/;

/** Lines near an error that carry no information about it. */
const CONTEXT_NOISE =
  /^(?:Marking task as|Task failed with exception|Traceback|Done\. PASS=|Completed with \d+ errors?|Finished running|Running command|Starting attempt|Executing <Task|Dependencies all met|Started process|Tmp dir root|Output:|::(?:end)?group::|Filling up the DagBag|DAG bundles loaded|Exporting env vars|Command exited with return code|Task exited with return code|Pausing task as|Stack Trace:|Finished in state|Encountered exception during execution|Error occurred while executing|Execution of step|Flow run infrastructure|Created task run|Executing '|Submitting task|Downloading flow code|Opening process|Process .{0,40} exited)/i;
const CONTEXT_SIGNAL =
  /\b(?:error|exception|fail(?:ed|ure|s)?|denied|refused|does not exist|not found|not authori[sz]ed|invalid|cannot|can't|could not|unable|timed? ?out|killed|violat\w*|mismatch|missing|forbidden|unauthori[sz]ed|expired|exceeded|aborted|corrupt\w*|stale|warn(?:ing)?)\b|\b\d{6} \([0-9A-Z]{5}\)/i;

// ---------------------------------------------------------------------------------------------------------
// Model

interface Exc {
  /** As printed (`requests.exceptions.ConnectTimeout`). */
  type: string;
  message: string;
  /** The exception line as printed. */
  line: string;
  frames: string[];
  /** Lines that continue the message (indented details, Java causes inside a Py4J message). */
  detail: string[];
  index: number;
}

interface Chain {
  /** Outermost exception first. */
  excs: Exc[];
  start: number;
  end: number;
  /** The log line that introduced the traceback (`Task failed with exception`, `Crash detected! …`). */
  lead: string | null;
  leadIndex: number;
}

interface Parsed {
  lines: ParsedLine[];
  texts: string[];
}

function shortType(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1);
}

function isBlank(text: string | undefined): boolean {
  return text === undefined || text.trim() === '';
}

function nextNonBlank(texts: readonly string[], from: number): number {
  let i = from;
  while (i < texts.length && isBlank(texts[i])) i++;
  return i;
}

/** Frames after a `Traceback` line, then the exception line; null when the block is cut off. */
function pythonBlock(p: Parsed, start: number): { exc: Exc; end: number } | null {
  let i = start + 1;
  const frames: string[] = [];
  while (i < p.texts.length && FRAME.test(p.texts[i] ?? '')) {
    frames.push(p.texts[i] as string);
    i++;
  }
  // Some renderers leave a blank line before the exception.
  if (isBlank(p.texts[i]) && !isBlank(p.texts[i + 1]) && EXCEPTION_LINE.test(p.texts[i + 1]?.trim() ?? ''))
    i++;
  const text = (p.texts[i] ?? '').trim();
  const m = EXCEPTION_LINE.exec(text) ?? /^([A-Za-z_][\w.$]*):\s(.*)$/.exec(text);
  if (!m || CAUSE_FOLLOWS.test(text) || PY_OUTER_FOLLOWS.test(text)) return null;
  const detail = continuation(p, i + 1);
  return {
    exc: { type: m[1] ?? '', message: m[2] ?? '', line: text, frames, detail: detail.lines, index: i },
    end: detail.end,
  };
}

/** An exception line followed by its frames (Dagster's and Java's order); frames may be absent. */
function headerFirstBlock(p: Parsed, i: number, requireFrames: boolean): { exc: Exc; end: number } | null {
  const raw = (p.texts[i] ?? '').trim();
  const text = raw.replace(/^Exception in thread "[^"]*"\s+/, '');
  const m = STRICT_EXCEPTION_LINE.exec(raw) ?? EXCEPTION_LINE.exec(text);
  if (!m) return null;
  let j = i + 1;
  const detail: string[] = [];
  // Message continuation before the frames (Dagster prints a blank line, then `Stack Trace:`).
  while (j < p.texts.length && !FRAME_START.test(p.texts[j] ?? '') && detail.length < MAX_DETAIL_LINES) {
    const t = p.texts[j] ?? '';
    if (isBlank(t)) {
      const k = nextNonBlank(p.texts, j);
      if (k < p.texts.length && FRAME_START.test(p.texts[k] ?? '')) {
        j = k;
        break;
      }
      break;
    }
    if (p.lines[j]?.prefixed || isBoundary(t)) break;
    detail.push(t.trim());
    j++;
  }
  const frames: string[] = [];
  if (FRAME_START.test(p.texts[j] ?? '')) {
    while (
      j < p.texts.length &&
      (FRAME.test(p.texts[j] ?? '') || (isBlank(p.texts[j]) && FRAME.test(p.texts[j + 1] ?? '')))
    ) {
      if (!isBlank(p.texts[j])) frames.push(p.texts[j] as string);
      j++;
    }
  }
  if (requireFrames && frames.length === 0) return null;
  return {
    exc: { type: m[1] ?? '', message: m[2] ?? '', line: text, frames, detail, index: i },
    end: j,
  };
}

function isBoundary(text: string): boolean {
  const t = text.trim();
  return TRACEBACK_START.test(t) || PY_OUTER_FOLLOWS.test(t) || CAUSE_FOLLOWS.test(t) || JAVA_CAUSE.test(t);
}

/** Raw lines that continue an exception's message, up to the next log record or traceback boundary. */
function continuation(p: Parsed, from: number): { lines: string[]; end: number } {
  const lines: string[] = [];
  let i = from;
  while (i < p.texts.length && lines.length < MAX_DETAIL_LINES) {
    const t = p.texts[i] ?? '';
    // A logged continuation (each stderr line is its own record) is indented or starts with `:` (Py4J).
    if (isBlank(t) || (p.lines[i]?.prefixed && !/^[\s:]/.test(t)) || isBoundary(t)) break;
    if (/^\s*(?:at |\.\.\. \d+ more)/.test(t)) {
      i++;
      continue;
    }
    lines.push(t.trim());
    i++;
  }
  // Skip any remaining Java frames.
  while (i < p.texts.length && /^\s*(?:at |\.\.\. \d+ more)/.test(p.texts[i] ?? '')) i++;
  return { lines, end: i };
}

/** The next exception of a chain after a "cause follows" separator, in whatever shape it is printed. */
function causeBlock(p: Parsed, i: number): { exc: Exc; end: number } | null {
  const text = p.texts[i] ?? '';
  if (TRACEBACK_START.test(text)) return pythonBlock(p, i);
  return headerFirstBlock(p, i, false);
}

function parseChains(p: Parsed): Chain[] {
  const chains: Chain[] = [];
  let i = 0;
  while (i < p.texts.length) {
    const text = p.texts[i] ?? '';
    let first: { exc: Exc; end: number } | null = null;
    let lead: string | null = null;
    if (TRACEBACK_START.test(text)) {
      first = pythonBlock(p, i);
      const before = text.replace(TRACEBACK_START, '').trim();
      lead = before.length > 0 ? before : null;
    } else if (STRICT_EXCEPTION_LINE.test(text.trim())) {
      // An exception line followed by its frames (Dagster event errors, Java/Spark stack traces).
      first = headerFirstBlock(p, i, true);
    }
    if (!first) {
      i++;
      continue;
    }
    const start = i;
    let leadIndex = start;
    if (lead === null) {
      let b = start - 1;
      while (b >= 0 && isBlank(p.texts[b])) b--;
      const prev = p.texts[b];
      if (b >= 0 && prev !== undefined && p.lines[b]?.prefixed && !FRAME.test(prev)) {
        lead = prev.trim();
        leadIndex = b;
      }
    }
    const excs: Exc[] = [first.exc];
    let end = first.end;
    for (;;) {
      const k = nextNonBlank(p.texts, end);
      const sep = (p.texts[k] ?? '').trim();
      if (k >= p.texts.length) break;
      if (PY_OUTER_FOLLOWS.test(sep)) {
        const n = nextNonBlank(p.texts, k + 1);
        const outer = TRACEBACK_START.test(p.texts[n] ?? '') ? pythonBlock(p, n) : null;
        if (!outer) break;
        excs.unshift(outer.exc);
        end = outer.end;
      } else if (CAUSE_FOLLOWS.test(sep)) {
        const cause = causeBlock(p, nextNonBlank(p.texts, k + 1));
        if (!cause) break;
        excs.push(cause.exc);
        end = cause.end;
      } else if (JAVA_CAUSE.test(sep)) {
        const m = JAVA_CAUSE.exec(sep);
        const em = EXCEPTION_LINE.exec(m?.[1] ?? '') ?? /^([\w.$]+):\s(.*)$/.exec(m?.[1] ?? '');
        if (!em) break;
        const frames: string[] = [];
        let j = k + 1;
        while (j < p.texts.length && FRAME.test(p.texts[j] ?? '')) frames.push(p.texts[j++] as string);
        excs.push({
          type: em[1] ?? '',
          message: em[2] ?? '',
          line: m?.[1] ?? '',
          frames,
          detail: [],
          index: k,
        });
        end = j;
      } else break;
    }
    chains.push({ excs, start, end, lead, leadIndex });
    i = Math.max(end, i + 1);
  }
  return chains;
}

function isNoiseChain(chain: Chain): boolean {
  if (chain.lead && NOISE_CHAIN_LEAD.test(chain.lead)) return true;
  return chain.excs.some((e) => e.frames.some((f) => /smtplib|email\.py|\/callbacks?\//.test(f)));
}

// ---------------------------------------------------------------------------------------------------------
// Presentation helpers

/** `Type: message`; a wrapper (Py4J) also shows the detail lines that hold the real error. */
function causeText(e: Exc): string {
  const message =
    WRAPPER_TYPES.test(shortType(e.type)) && e.detail.length > 0
      ? [e.message, ...e.detail].join(' ')
      : e.message;
  return `${shortType(e.type)}${message ? `: ${message}` : ''}`;
}

function clip(text: string, max = MAX_FIELD): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** `File "/x/site-packages/pkg/mod.py", line 12, in fn` + code line → `pkg/mod.py:12 in fn: code`. */
export function compactFrames(frames: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of frames) {
    const line = raw.trim();
    const m = /^File "([^"]+)", line (\d+|\?), in (.+)$/.exec(line);
    if (m) {
      const path = (m[1] ?? '').replace(/^.*\/(?:site|dist)-packages\//, '');
      out.push(`${path}:${m[2]} in ${m[3]}`);
      continue;
    }
    if (/^(?:Stack Trace:|\[\d+ \w+ system frames? hidden.*\]|\.\.\. \d+ more|\^+|~+\^*~*)$/.test(line))
      continue;
    if (/^[~^\s]+$/.test(line)) continue;
    const previous = out[out.length - 1];
    if (/^at /.test(line) || previous === undefined || previous.includes(': ') || !/ in /.test(previous)) {
      out.push(line);
    } else {
      out[out.length - 1] = `${previous}: ${line}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Extraction

interface Primary {
  errorLine: string;
  exceptionType: string | null;
  /** Qualified type for classification (`psycopg2.OperationalError`). */
  typeForClass: string | null;
  message: string;
  detail: string[];
  causes: Exc[];
  frames: string[];
  /** First line index of the error block (context is read before it). */
  anchor: number;
  lead: string | null;
}

function fromChain(chain: Chain): Primary {
  let excs = chain.excs;
  // Framework wrappers ("error occurred while executing op x") give way to the user's error below them.
  while (excs.length > 1 && WRAPPER_TYPES.test(shortType(excs[0]?.type ?? ''))) excs = excs.slice(1);
  const top = excs[0] as Exc;
  return {
    errorLine: top.line,
    exceptionType: shortType(top.type) || null,
    typeForClass: top.type,
    message: top.message,
    detail: top.detail,
    causes: excs.slice(1),
    frames: top.frames,
    anchor: chain.leadIndex,
    lead: chain.lead,
  };
}

function fromLine(p: Parsed, i: number): Primary {
  const text = (p.texts[i] ?? '').trim();
  let errorLine = text;
  let exceptionType: string | null = null;
  let message = text;
  const state = PREFECT_STATE.exec(text);
  const crash = /Crash detected!/.test(text) ? CRASH_INNER.exec(text) : null;
  const inner = state ? PREFECT_INNER.exec(state[3] ?? '') : null;
  const strict =
    STRICT_EXCEPTION_LINE.exec(text) ?? /^([\w.]+(?:Error|Exception|Timeout)):\s*(.*)$/.exec(text);
  if (inner) {
    errorLine = `${inner[1]}: ${inner[2]}`;
    exceptionType = shortType(inner[1] ?? '');
    message = inner[2] ?? '';
  } else if (crash) {
    exceptionType = shortType(crash[1] ?? '');
    message = crash[2] ?? text;
  } else if (strict) {
    exceptionType = shortType(strict[1] ?? '');
    message = strict[2] ?? '';
  }
  return {
    errorLine,
    exceptionType,
    typeForClass: exceptionType,
    message,
    detail: DBT_ERROR.test(text) ? dbtDetail(p, i + 1) : continuation(p, i + 1).lines,
    causes: [],
    frames: [],
    anchor: i,
    lead: null,
  };
}

/** The indented lines under a dbt error header (they come with dbt's clock, like the header). */
function dbtDetail(p: Parsed, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < p.texts.length && out.length < MAX_DETAIL_LINES; i++) {
    const raw = p.lines[i]?.text ?? '';
    const t = raw.trim();
    if (t === '' || DBT_ERROR.test(t) || /^(?:Done\.|Completed with|\d+ of \d+ )/.test(t)) break;
    out.push(t);
  }
  return out;
}

function lastIndexWhere(
  p: Parsed,
  test: (text: string, i: number) => boolean,
  from = p.texts.length - 1,
): number {
  for (let i = Math.min(from, p.texts.length - 1); i >= 0; i--) if (test(p.texts[i] ?? '', i)) return i;
  return -1;
}

function choosePrimary(p: Parsed, chains: readonly Chain[], inChain: readonly boolean[]): Primary | null {
  const useful = chains.filter((c) => !isNoiseChain(c));
  const chain = useful[useful.length - 1];
  const notState = (t: string) => !/^Finished in state /.test(t.trim());
  const kill = lastIndexWhere(p, (t, i) => !inChain[i] && KILL_MARKER.test(t) && notState(t));
  const killAny = kill >= 0 ? kill : lastIndexWhere(p, (t, i) => !inChain[i] && KILL_MARKER.test(t));
  if (chain && killAny < chain.end) {
    const primary = fromChain(chain);
    // A generic failure ("Bash command failed", "spark-submit … Error code is: 1") right after another
    // traceback (the subprocess's own, printed to its output) is explained by that traceback.
    if (primary.causes.length === 0 && GENERIC_MESSAGE.test(primary.errorLine)) {
      const before = useful.filter((c) => c.end <= chain.start && c.end >= chain.start - 20).pop();
      if (before) primary.causes = before.excs;
    }
    return primary;
  }
  if (killAny >= 0) return fromLine(p, killAny);
  const upstream = lastIndexWhere(
    p,
    (t, i) => !inChain[i] && UPSTREAM_MARKER.test(t) && !/^Marking task as/.test(t.trim()),
  );
  const upstreamAny =
    upstream >= 0 ? upstream : lastIndexWhere(p, (t, i) => !inChain[i] && UPSTREAM_MARKER.test(t));
  if (upstreamAny >= 0) return fromLine(p, upstreamAny);
  const prefectInner = lastIndexWhere(p, (t) => {
    const s = PREFECT_STATE.exec(t.trim());
    return s !== null && (PREFECT_INNER.test(s[3] ?? '') || /^(?:TimedOut|Crashed)$/.test(s[1] ?? ''));
  });
  const strict = lastIndexWhere(
    p,
    (t, i) => !inChain[i] && STRICT_EXCEPTION_LINE.test(t.trim()) && !GENERIC_MESSAGE.test(t),
  );
  const dbt = lastIndexWhere(p, (t, i) => !inChain[i] && DBT_ERROR.test(t.trim()));
  const best = Math.max(prefectInner, strict, dbt);
  if (best >= 0) return fromLine(p, best);
  const error = lastIndexWhere(
    p,
    (t, i) =>
      !inChain[i] &&
      (p.lines[i]?.level === 'error' || p.lines[i]?.level === 'critical') &&
      !GENERIC_LINE.test(t.trim()) &&
      !isBlank(t),
  );
  // The tool's own exit line says more than the task runner's ("Task exited with return code 1").
  const ownFail = lastIndexWhere(
    p,
    (t, i) => !inChain[i] && FAIL_MARKER.test(t) && !/^Task exited/.test(t.trim()),
  );
  const fail = ownFail >= 0 ? ownFail : lastIndexWhere(p, (t, i) => !inChain[i] && FAIL_MARKER.test(t));
  if (error >= 0 && !(fail > error && GENERIC_MESSAGE.test(p.texts[error] ?? ''))) return fromLine(p, error);
  if (fail >= 0) return fromLine(p, fail);
  // Only a notification callback's traceback: better than nothing.
  const noise = chains[chains.length - 1];
  return noise ? fromChain(noise) : null;
}

/** Informative lines before the error (log order), then its detail lines; at most `MAX_CONTEXT`, deduplicated. */
function contextLines(p: Parsed, primary: Primary, inChain: readonly boolean[]): string[] {
  const seen = new Set<string>([normalizeMessage(primary.errorLine)]);
  for (const c of primary.causes) seen.add(normalizeMessage(c.line));
  const scored: { text: string; score: number; distance: number }[] = [];
  for (let i = primary.anchor - 1; i >= 0 && i >= primary.anchor - CONTEXT_WINDOW; i--) {
    if (inChain[i]) continue;
    const line = p.lines[i];
    const text = (p.texts[i] ?? '').trim();
    if (
      !line ||
      text.length < 4 ||
      CONTEXT_NOISE.test(text) ||
      GENERIC_LINE.test(text) ||
      FRAME.test(p.texts[i] ?? '')
    ) {
      continue;
    }
    if (/^=+$|^-+$|^\*+$/.test(text)) continue;
    // A tool's own log line inside an INFO record (`24/09/09 01:30:14 ERROR TaskSetManager: …`) has its level.
    const level =
      line.level === 'info' || line.level === null ? (parseLogLine(text).level ?? line.level) : line.level;
    let score = 0;
    if (CONTEXT_SIGNAL.test(text)) score += 2;
    if (classifyText(text)) score += 1;
    if (level === 'warning' || level === 'error' || level === 'critical') score += 1;
    // INFO lines need more than one error-ish word; raw tool output (no level) needs one.
    if (score < (level === null ? 2 : 3)) continue;
    const key = normalizeMessage(text);
    if (seen.has(key)) continue;
    seen.add(key);
    scored.push({ text, score, distance: primary.anchor - i });
  }
  // Lines before the error (in log order), then the error's own detail lines printed under it.
  const detail = primary.detail
    .filter((d) => d.length >= 4 && !seen.has(normalizeMessage(d)) && !/^\^+$/.test(d))
    .slice(0, 2);
  const before = scored
    .sort((a, b) => b.score - a.score || a.distance - b.distance)
    .slice(0, MAX_CONTEXT - detail.length)
    .sort((a, b) => b.distance - a.distance)
    .map((s) => s.text);
  return [...before, ...detail].map((t) => clip(t));
}

/** The meaningful error of a log tail (already cleaned and redacted), or null when it shows none. */
/** Log records as physical lines: a record may carry a multi-line message (a whole traceback). */
export function splitLogRecords(lines: readonly string[]): readonly string[] {
  return lines.some((l) => /[\r\n]/.test(l)) ? lines.flatMap((l) => l.split(/\r?\n|\r/)) : lines;
}

export function extractError(lines: readonly string[]): ExtractedError | null {
  const parsed = splitLogRecords(lines).map(parseLogLine);
  const p: Parsed = { lines: parsed, texts: parsed.map((l) => l.text) };
  const chains = parseChains(p);
  const inChain = new Array<boolean>(p.texts.length).fill(false);
  for (const c of chains) for (let i = c.start; i < c.end; i++) inChain[i] = true;
  const primary = choosePrimary(p, chains, inChain);
  if (!primary) return null;

  const context = contextLines(p, primary, inChain);
  const head = [
    primary.errorLine,
    ...(primary.typeForClass && !primary.errorLine.startsWith(primary.typeForClass)
      ? [`${primary.typeForClass}: ${primary.message}`]
      : []),
    ...primary.detail,
  ].join('\n');
  const primaryEvidence = [
    head,
    ...primary.causes.map((c) => [c.line, ...c.detail].join('\n')),
    ...(primary.lead ? [primary.lead] : []),
  ];
  const { class: cls, witness } = classifyEvidence(primaryEvidence, context);

  // The signature names the cause: the error itself, unless it only says that something below it failed.
  const generic = GENERIC_MESSAGE.test(primary.errorLine) || WRAPPER_TYPES.test(primary.exceptionType ?? '');
  let sigType = primary.exceptionType;
  let sigMessage = primary.message || primary.errorLine;
  if (generic) {
    const cause = primary.causes[0];
    const subject = cause ? cause.line : witness && witness !== head ? witness : null;
    if (subject) {
      const m = STRICT_EXCEPTION_LINE.exec(subject.split('\n')[0]?.trim() ?? '');
      sigType = m ? shortType(m[1] ?? '') : cause ? shortType(cause.type) : null;
      sigMessage = m ? (m[2] ?? '') : cause ? cause.message : subject;
    }
  }

  return {
    class: cls,
    exception_type: primary.exceptionType,
    error_line: clip(primary.errorLine, 500),
    causes: primary.causes.slice(0, MAX_CAUSES).map((c) => clip(causeText(c), 240)),
    context,
    stack: compactFrames(primary.frames)
      .slice(-MAX_STACK)
      .map((f) => clip(f, 200)),
    signature: failureSignature(cls, sigType, sigMessage),
  };
}
