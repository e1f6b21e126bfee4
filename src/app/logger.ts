import { pino, type Logger } from 'pino';

/** Logs go to stderr: on stdio, stdout is the MCP protocol channel. */
export function createLogger(level = process.env.PIPELINE_MONITOR_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'pipeline-monitor-mcp',
      level,
      base: undefined,
      redact: ['password', 'token', '*.password', '*.token'],
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
