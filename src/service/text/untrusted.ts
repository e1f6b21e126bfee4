import { KnownSecrets, LineRedactor, redactSecrets } from './redact.js';
import { sanitizeLine, sanitizeText } from './sanitize.js';

/** Cleans and redacts text that came from a pipeline (logs, errors, descriptions) before it reaches the model. */
export class UntrustedText {
  private readonly known: KnownSecrets;

  constructor(knownSecrets: readonly string[]) {
    this.known = new KnownSecrets(knownSecrets);
  }

  /** One line on its own (newlines inside it become spaces). */
  line(text: string, maxLength = 2000): string {
    return cut(redactSecrets(sanitizeLine(text), this.known), maxLength);
  }

  optional(text: string | null | undefined, maxLength?: number): string | null {
    return text == null ? null : this.line(text, maxLength);
  }

  /**
   * Consecutive lines of one log: a private key opened on one line stays redacted on the lines after it
   * (its base64 body) until its END line. Each line is cut to `maxLength` after redaction.
   */
  lines(lines: readonly string[], maxLength?: number): string[] {
    const redactor = this.redactor();
    return lines.map((l) => cut(redactor.line(l), maxLength ?? 2000));
  }

  /** Multi-line text as one string (an error message, a description): newlines kept. */
  block(text: string, maxLength = 8000): string {
    return cut(redactSecrets(sanitizeText(text), this.known), maxLength);
  }

  /** A line-by-line redactor with PEM state, for callers that stream lines. */
  redactor(): { line(text: string): string } {
    const redactor = new LineRedactor(this.known);
    return { line: (text: string) => redactor.line(sanitizeLine(text)) };
  }
}

function cut(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
