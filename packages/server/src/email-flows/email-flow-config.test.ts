import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load-config.js';

const base = { LATCH_DATABASE_URL: 'file::memory:' };

describe('email-flow and audit configuration', () => {
  it('defaults: reset 15 min, verification 24 h, 1 send/60 s and 5/h per address, 30/h per IP, audit 90 days', () => {
    const config = loadConfig(base);
    expect(config.emailFlows).toEqual({
      passwordResetTtl: 900,
      emailVerificationTtl: 86_400,
      rates: { interval: { points: 1, duration: 60 }, perAddress: { points: 5, duration: 3600 }, perIp: { points: 30, duration: 3600 } },
    });
    expect(config.audit).toEqual({ retentionDays: 90 });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...base,
      LATCH_PASSWORD_RESET_TTL: '1800',
      LATCH_EMAIL_VERIFICATION_TTL: '3600',
      LATCH_RATE_EMAIL_INTERVAL: '2/120',
      LATCH_RATE_EMAIL_ADDRESS: '10/3600',
      LATCH_RATE_EMAIL_IP: '100/3600',
      LATCH_AUDIT_RETENTION_DAYS: '365',
    });
    expect(config.emailFlows.passwordResetTtl).toBe(1800);
    expect(config.emailFlows.emailVerificationTtl).toBe(3600);
    expect(config.emailFlows.rates.interval).toEqual({ points: 2, duration: 120 });
    expect(config.emailFlows.rates.perAddress).toEqual({ points: 10, duration: 3600 });
    expect(config.emailFlows.rates.perIp).toEqual({ points: 100, duration: 3600 });
    expect(config.audit.retentionDays).toBe(365);
  });

  it.each([
    ['LATCH_PASSWORD_RESET_TTL', '15m'],
    ['LATCH_PASSWORD_RESET_TTL', '10'],
    ['LATCH_EMAIL_VERIFICATION_TTL', '99999999'],
    ['LATCH_RATE_EMAIL_INTERVAL', '1 per minute'],
    ['LATCH_RATE_EMAIL_ADDRESS', '0/3600'],
    ['LATCH_RATE_EMAIL_IP', '-1/3600'],
    ['LATCH_AUDIT_RETENTION_DAYS', '0'],
    ['LATCH_AUDIT_RETENTION_DAYS', 'forever'],
  ])('stops on %s=%s with one line naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ ...base, [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toContain('\n');
  });
});
