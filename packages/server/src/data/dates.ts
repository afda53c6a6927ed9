const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * §8.2: ISO 8601 strings are the only input for `date`; a date-time needs a zone (Z or ±hh:mm) so the
 * instant is unambiguous, a bare date means midnight UTC. Stored and compared as the canonical UTC form
 * `YYYY-MM-DDTHH:mm:ss.sssZ`, whose code-point order is chronological (D-33). Returns null if invalid.
 */
export function canonicalDate(value: string): string | null {
  const match = ISO.exec(value);
  if (!match) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const millis = (fraction + '000').slice(0, 3);
  const offset = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${millis}${offset}`);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years outside 0000–9999 would break the code-point order of the stored form.
  return /^\d{4}-/.test(iso) ? iso : null;
}

export function dateMillis(value: string): number | null {
  const canonical = canonicalDate(value);
  return canonical === null ? null : Date.parse(canonical);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
