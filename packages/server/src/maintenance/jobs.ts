import { purgeAuditLog } from '../audit/retention.js';
import { purgeEmailTokens } from '../email-flows/maintenance.js';
import { purgeMcpOauthTokens } from '../mcp/oauth/maintenance.js';
import { purgeExpiredRateLimits } from '../rate-limit/maintenance.js';
import { runSessionMaintenance } from '../sessions/maintenance.js';
import { runUserMaintenance } from '../users/purge.js';
import type { MaintenanceJob } from './scheduler.js';

/** Every periodic job of the server, by name (each capability adds its own here). */
export const MAINTENANCE_JOBS: Record<string, MaintenanceJob> = {
  sessions: runSessionMaintenance,
  audit: purgeAuditLog,
  emailTokens: purgeEmailTokens,
  users: runUserMaintenance,
  rateLimits: purgeExpiredRateLimits,
  mcpOauth: purgeMcpOauthTokens,
};
