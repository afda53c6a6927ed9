import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { openContext } from '../bootstrap.js';
import type { Config } from '../config/load-config.js';
import { createLogger } from '../http/logging.js';
import { buildMcpServer } from '../mcp/mcp-server.js';
import { OPERATOR } from '../mcp/principal.js';
import type { Output } from './main.js';

/**
 * `npx latch mcp`: the same tools as /mcp over stdio (mcp.md §2.3). It opens the database itself and
 * runs as a trusted local operator with every tool (decisions.md §7): whoever can start it can already
 * read the database and LATCH_SECRET. stdout carries only JSON-RPC; logs go to stderr.
 */
export async function runMcp(config: Config, _args: string[], io: Output): Promise<number> {
  const opened = await openContext(config, { log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr), migrate: true });
  const server = buildMcpServer(opened.ctx, OPERATOR);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  io.err(`latch: MCP server on stdio (database ${config.databaseUrl.startsWith('file:') ? 'SQLite' : 'PostgreSQL'}); tools run as the local operator`);
  await closed;
  await server.close().catch(() => {});
  await opened.close();
  return 0;
}
