import type { Db } from '../db/transaction.js';
import type { InvitationsTable, MembershipsTable, StoredInvitationStatus } from './tables.js';

export type InvitationRow = InvitationsTable;
export type MembershipRow = MembershipsTable;

/** Membership roles that may invite to and manage a resource (auth-api.md OP-24, decisions.md §5). */
export const PRIVILEGED_ROLES = ['owner', 'admin'];

// ---- invitations ----

export function insertInvitation(db: Db, row: InvitationRow) {
  return db.insertInto('invitations').values(row).execute();
}

/** A re-invite replaces the pending invitation for the same resource and email (OP-24). */
export function revokePendingInvitation(db: Db, resourceType: string, resourceId: string, emailNormalized: string, now: number) {
  return db
    .updateTable('invitations')
    .set({ status: 'revoked', updated_at: now })
    .where('resource_type', '=', resourceType)
    .where('resource_id', '=', resourceId)
    .where('email_normalized', '=', emailNormalized)
    .where('status', '=', 'pending')
    .execute();
}

export function findInvitationById(db: Db, id: string) {
  return db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findInvitationByTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Compare-and-swap out of `pending`: of two concurrent answers with one token, exactly one wins. */
export async function settleInvitation(
  db: Db,
  id: string,
  status: Exclude<StoredInvitationStatus, 'pending'>,
  now: number,
  acceptedUserId: string | null = null,
): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ status, responded_at: status === 'revoked' ? null : now, accepted_user_id: acceptedUserId, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A08/U05: pending invitations sent by a deleted user stop working (auth-api.md A08 [P]). */
export function revokeInvitationsSentBy(db: Db, userId: string, now: number) {
  return db.updateTable('invitations').set({ status: 'revoked', updated_at: now }).where('invited_by', '=', userId).where('status', '=', 'pending').execute();
}

export interface InvitationFilter {
  /**
   * Limit to what a non-admin may see: sent by, addressed to, or on a resource they manage. The address
   * counts only once verified (`emailNormalized` null otherwise): registering an address proves nothing.
   */
  visibleTo?: { userId: string; emailNormalized: string | null };
  addressedTo?: string;
  resourceType?: string;
  resourceId?: string;
  status?: 'pending' | 'accepted' | 'rejected' | 'expired' | 'revoked';
  now: number;
}

function filtered(db: Db, filter: InvitationFilter) {
  let select = db.selectFrom('invitations');
  const { visibleTo } = filter;
  if (visibleTo) {
    select = select.where((eb) =>
      eb.or([
        eb('invitations.invited_by', '=', visibleTo.userId),
        ...(visibleTo.emailNormalized === null ? [] : [eb('invitations.email_normalized', '=', visibleTo.emailNormalized)]),
        eb.exists(
          eb
            .selectFrom('memberships')
            .select('memberships.id')
            .where('memberships.user_id', '=', visibleTo.userId)
            .whereRef('memberships.resource_type', '=', 'invitations.resource_type')
            .whereRef('memberships.resource_id', '=', 'invitations.resource_id')
            .where('memberships.role', 'in', PRIVILEGED_ROLES),
        ),
      ]),
    );
  }
  if (filter.addressedTo !== undefined) select = select.where('invitations.email_normalized', '=', filter.addressedTo);
  if (filter.resourceType !== undefined) select = select.where('invitations.resource_type', '=', filter.resourceType);
  if (filter.resourceId !== undefined) select = select.where('invitations.resource_id', '=', filter.resourceId);
  // `expired` is computed on read (auth-api.md §8.7): a pending row past expires_at.
  if (filter.status === 'pending') select = select.where('invitations.status', '=', 'pending').where('invitations.expires_at', '>', filter.now);
  else if (filter.status === 'expired') select = select.where('invitations.status', '=', 'pending').where('invitations.expires_at', '<=', filter.now);
  else if (filter.status !== undefined) select = select.where('invitations.status', '=', filter.status);
  return select;
}

export function listInvitations(db: Db, filter: InvitationFilter, limit: number, offset: number) {
  return filtered(db, filter)
    .selectAll('invitations')
    .orderBy('invitations.created_at', 'desc')
    .orderBy('invitations.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

export async function countInvitations(db: Db, filter: InvitationFilter): Promise<number> {
  const row = await filtered(db, filter).select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function isInvitationVisible(db: Db, id: string, filter: InvitationFilter): Promise<boolean> {
  const row = await filtered(db, filter).select('invitations.id').where('invitations.id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** Accepted invitations still waiting for an account with their email (bound lazily, memberships.ts). */
export function findUnboundAcceptedInvitations(db: Db, emailNormalized: string) {
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('email_normalized', '=', emailNormalized)
    .where('status', '=', 'accepted')
    .where('accepted_user_id', 'is', null)
    .orderBy('responded_at')
    .execute();
}

export async function bindInvitation(db: Db, id: string, userId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ accepted_user_id: userId, updated_at: now })
    .where('id', '=', id)
    .where('accepted_user_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// ---- memberships ----

export function findMembership(db: Db, userId: string, resourceType: string, resourceId: string) {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('user_id', '=', userId)
    .where('resource_type', '=', resourceType)
    .where('resource_id', '=', resourceId)
    .executeTakeFirst();
}

/** Accepting again (a new invitation for the same resource) sets the role of that invitation. */
export function upsertMembership(db: Db, row: MembershipRow) {
  return db
    .insertInto('memberships')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['user_id', 'resource_type', 'resource_id']).doUpdateSet({ role: row.role, invitation_id: row.invitation_id, updated_at: row.updated_at }),
    )
    .execute();
}

export function listMembershipsOfUser(db: Db, userId: string) {
  return db.selectFrom('memberships').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

// ---- switch-organization (A09) ----

