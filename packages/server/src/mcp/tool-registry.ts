import Ajv, { type ValidateFunction } from 'ajv';
import type { AppContext } from '../context.js';
import type { McpPrincipal } from './principal.js';

export type JsonSchema = { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties: false; [k: string]: unknown };

/** One MCP tool: its JSON Schema input, the scope it needs (mcp.md §3.5 table), and a plain function. */
export interface ToolDef {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  /** `null`: any valid token (get_context, search_docs), and anonymous callers when allowed. */
  scope: string | null;
  /** A string is returned as Markdown; anything else as a JSON document (mcp.md §4.2). */
  run(ctx: AppContext, principal: McpPrincipal, args: Record<string, unknown>): Promise<unknown>;
}

export function objectSchema(properties: Record<string, unknown>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

const ajv = new Ajv.default({ allErrors: false, strict: false, useDefaults: false, coerceTypes: false });
const compiled = new WeakMap<ToolDef, ValidateFunction>();

/** Validation against the tool's inputSchema; the first problem as one readable line (→ -32602). */
export function validateArgs(tool: ToolDef, args: unknown): string | null {
  let validate = compiled.get(tool);
  if (!validate) {
    validate = ajv.compile(tool.inputSchema);
    compiled.set(tool, validate);
  }
  if (validate(args ?? {})) return null;
  const issue = validate.errors?.[0];
  if (!issue) return 'invalid arguments';
  const where = issue.instancePath ? issue.instancePath.slice(1).replaceAll('/', '.') : 'arguments';
  if (issue.keyword === 'additionalProperties') return `${where}: unknown property "${(issue.params as { additionalProperty: string }).additionalProperty}"`;
  if (issue.keyword === 'required') return `${where}: missing required property "${(issue.params as { missingProperty: string }).missingProperty}"`;
  return `${where} ${issue.message ?? 'is invalid'}`;
}
