import { redactSecrets } from './redact.js';
import { sanitizeLine } from './sanitize.js';

/** Cleans and redacts text that came from a pipeline (logs, errors, descriptions) before it reaches the model. */
export class UntrustedText {
  constructor(private readonly knownSecrets: readonly string[]) {}

  line(text: string, maxLength = 2000): string {
    const clean = redactSecrets(sanitizeLine(text), this.knownSecrets);
    return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
  }

  optional(text: string | null | undefined, maxLength?: number): string | null {
    return text == null ? null : this.line(text, maxLength);
  }

  lines(lines: readonly string[], maxLength?: number): string[] {
    return lines.map((l) => this.line(l, maxLength));
  }
}
