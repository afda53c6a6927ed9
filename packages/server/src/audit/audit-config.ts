import { ConfigError } from '../config/config-error.js';
import { shown } from '../config/parse.js';

type Read = (name: string) => string | undefined;

export interface AuditConfig {
  /** LATCH_AUDIT_RETENTION_DAYS (decisions.md §6): events older than this are purged; default 90. */
  retentionDays: number;
}

export function parseAuditConfig(read: Read): AuditConfig {
  const value = read('LATCH_AUDIT_RETENTION_DAYS') ?? '90';
  if (!/^\d+$/.test(value)) throw new ConfigError('LATCH_AUDIT_RETENTION_DAYS', `${shown(value)} is not a whole number of days`);
  const days = Number(value);
  if (days < 1 || days > 36_500) throw new ConfigError('LATCH_AUDIT_RETENTION_DAYS', 'must be between 1 and 36500');
  return { retentionDays: days };
}
