import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from 'pino';
import { createServer } from '../mcp/create-server.js';
import type { MonitorService } from '../service/monitor-service.js';
import { VERSION } from './version.js';

/** Serves MCP on stdin/stdout until the client closes stdin; resolves when the connection ends. */
export function serveOverStdio(service: MonitorService, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const handle = serveStdio(() => createServer(service, { version: VERSION, logger }), {
      onerror: (error) => logger.error({ err: error }, 'stdio transport error'),
    });
    const stop = () => {
      void handle.close().finally(resolve);
    };
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
