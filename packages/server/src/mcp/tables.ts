/** Row types of the mcp capability's tables (its migration in db/migrations/). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface McpTables {}
