/** A user's role on an opaque resource (decisions.md §5), created only by an accepted invitation. */
export interface MembershipsTable {
  id: string;
  user_id: string;
  resource_type: string;
  resource_id: string;
  role: string;
  invitation_id: string | null;
  created_at: number;
  updated_at: number;
}

export type StoredInvitationStatus = 'pending' | 'accepted' | 'rejected' | 'revoked';

export interface InvitationsTable {
  id: string;
  resource_type: string;
  resource_id: string;
  resource_name: string | null;
  resource_role: string;
  email: string;
  email_normalized: string;
  name: string | null;
  inviter_name: string | null;
  invited_by: string | null;
  /** SHA-256 of the 64-hex token (auth-api.md A22); the token itself is only in the email. */
  token_hash: string;
  status: StoredInvitationStatus;
  callback_url: string | null;
  expires_at: number;
  responded_at: number | null;
  /** The user the membership went to; null while an accepted invitation waits for its email's account. */
  accepted_user_id: string | null;
  created_at: number;
  updated_at: number;
}

/** Tables of migration 0005 owned by the invitations capability (joined into Database via users/tables.ts). */
export interface InvitationsTables {
  memberships: MembershipsTable;
  invitations: InvitationsTable;
}
