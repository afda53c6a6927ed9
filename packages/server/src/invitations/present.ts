import { Type } from '@sinclair/typebox';
import { iso } from '../clock.js';
import type { InvitationRow } from './queries.js';

export type InvitationStatus = 'pending' | 'accepted' | 'rejected' | 'expired' | 'revoked';

const nullableString = Type.Union([Type.String(), Type.Null()]);

/** `Invitation` (auth-api.md §13); the token is never part of it. */
export const InvitationSchema = Type.Object({
  id: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.String(),
  resourceName: nullableString,
  resourceRole: Type.String(),
  email: Type.String(),
  name: nullableString,
  status: Type.String(),
  expiresAt: Type.String(),
  invitedBy: nullableString,
  inviterName: nullableString,
  respondedAt: nullableString,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/** `expired` is computed on read: a pending invitation past its expiry (auth-api.md §8.7). */
export function invitationStatus(row: Pick<InvitationRow, 'status' | 'expires_at'>, now: number): InvitationStatus {
  return row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status;
}

export function presentInvitation(row: InvitationRow, now: number) {
  return {
    id: row.id,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    resourceName: row.resource_name,
    resourceRole: row.resource_role,
    email: row.email,
    name: row.name,
    status: invitationStatus(row, now),
    expiresAt: iso(row.expires_at)!,
    invitedBy: row.invited_by,
    inviterName: row.inviter_name,
    respondedAt: iso(row.responded_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}
