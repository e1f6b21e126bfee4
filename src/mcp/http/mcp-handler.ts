import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { MonitorService } from '../../service/monitor-service.js';
import { createServer } from '../create-server.js';
import { principalOf } from './principal.js';

/**
 * Stateless MCP over streamable HTTP: every request gets a fresh server from the factory, for the
 * 2026-07-28 protocol and (through the SDK's stateless fallback) for 2025-era clients, so any replica
 * can answer any request. The verified caller rides in `authInfo` into the tool calls.
 */
export function createMcpHttpHandler(
  service: MonitorService,
  options: { version: string; logger: Logger; maxBodyBytes: number },
): McpHttpHandler {
  const { version, logger } = options;
  return createMcpHandler(
    ({ authInfo }) => createServer(service, { version, logger, principal: principalOf(authInfo) }),
    {
      legacy: 'stateless',
      maxRequestBodySize: options.maxBodyBytes,
      onerror: (error) => logger.warn({ err: error }, 'MCP request refused or failed'),
    },
  );
}
