import { runSessionMaintenance } from '../sessions/maintenance.js';
import type { MaintenanceJob } from './scheduler.js';

/** Every periodic job of the server, by name (each capability adds its own here). */
export const MAINTENANCE_JOBS: Record<string, MaintenanceJob> = {
  sessions: runSessionMaintenance,
};
