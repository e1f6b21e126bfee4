/** A configuration problem: names the key and what is wrong, never the value (it may be a secret). */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`configuration error at ${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}
