/**
 * What each signing key does at a moment, worked out from the rows alone, so every instance (each with
 * its own token lifetimes) agrees without anything precomputed by the process that rotated:
 * - keys take turns in the order they start signing (`activates_at`, else `created_at`), then by kid, so
 *   two keys made at once (two rotations racing) still have one order everywhere;
 * - the signing key is the last one that has started, unless it was retired; then there is none (and
 *   `SigningKeys.load` makes one);
 * - a key that has not started yet is published and verifies: every instance re-reads the keys before it
 *   signs a token, so a verifier that fetches the JWKS on an unknown kid always finds it;
 * - an older key verifies until its successor started plus the longest token lifetime and a grace (the
 *   instances that had not re-read yet signed with it a little longer): every token it signed has expired;
 * - `retired_at` (`latch signing-keys retire`) ends a key at that time, whatever the above says; a key
 *   retired before its turn came never signed and takes no turn.
 */

export interface KeyRow {
  kid: string;
  created_at: number;
  activates_at: number | null;
  retired_at: number | null;
}

export type KeyStatus = 'signing' | 'next' | 'verifying' | 'retired';

export interface KeyState {
  kid: string;
  status: KeyStatus;
  signsFrom: number;
  /** When it stops verifying; null while no successor has started and it is not retired. */
  verifiesUntil: number | null;
}

/** Added to the longest token lifetime before a superseded key stops verifying. */
export const RETIREMENT_GRACE_MS = 60_000;

/** When a key stops verifying once its successor started signing at `successorStart`. */
export function supersededUntil(successorStart: number, longestTtlMs: number): number {
  return successorStart + longestTtlMs + RETIREMENT_GRACE_MS;
}

/** Turn order: start, then kid (the same on every instance). */
const byTurn = (a: { start: number; kid: string }, b: { start: number; kid: string }) => a.start - b.start || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);

export function keySchedule(rows: readonly KeyRow[], now: number, longestTtlMs: number): KeyState[] {
  const all = rows.map((row) => ({ row, kid: row.kid, start: Number(row.activates_at ?? row.created_at) })).sort(byTurn);
  // A key retired before its turn came (a rotation called off) never signed: it takes no turn.
  const neverSigned = ({ row, start }: (typeof all)[number]) => row.retired_at !== null && Number(row.retired_at) <= start;
  const ordered = all.filter((entry) => !neverSigned(entry));
  // A key without an activation time signs from its creation whatever this process's clock says: one a
  // few seconds behind the creator's must not see the only key as "not yet" (and make another).
  const hasStarted = (entry: (typeof all)[number]) => entry.row.activates_at === null || entry.start <= now;
  const started = ordered.filter(hasStarted);
  const latest = started.at(-1);
  const dropped = all.filter(neverSigned).map(({ row, start }) => ({ kid: row.kid, status: 'retired' as const, signsFrom: start, verifiesUntil: Number(row.retired_at) }));
  return [...dropped, ...ordered.map(({ row, start }, i) => {
    const successor = ordered[i + 1];
    const retiredAt = row.retired_at === null ? null : Number(row.retired_at);
    const superseded = successor && hasStarted(successor) ? supersededUntil(successor.start, longestTtlMs) : null;
    const ends = [retiredAt, superseded].filter((t): t is number => t !== null);
    const verifiesUntil = ends.length ? Math.min(...ends) : null;
    const live = verifiesUntil === null || now < verifiesUntil;
    let status: KeyStatus;
    if (!live) status = 'retired';
    else if (!hasStarted({ row, kid: row.kid, start })) status = 'next';
    else status = latest?.row.kid === row.kid ? 'signing' : 'verifying';
    return { kid: row.kid, status, signsFrom: start, verifiesUntil };
  })].sort((a, b) => byTurn({ start: a.signsFrom, kid: a.kid }, { start: b.signsFrom, kid: b.kid }));
}
