import type { InvitationsTables } from '../invitations/tables.js';

/** One row per user once a profile or setting is written (migration 0005); absent = defaults. */
export interface UserProfilesTable {
  user_id: string;
  mobile: string | null;
  gender: string | null;
  bio: string | null;
  social_github: string | null;
  social_twitter: string | null;
  social_linkedin: string | null;
  locale: string | null;
  timezone: string | null;
  theme: string | null;
  notify_service: number;
  notify_marketing: number;
  notify_push: number;
  notify_email: number;
  notify_sms: number;
  notify_night_time: number;
  notify_security_alerts: number;
  onboarding_step: string | null;
  /** JSON text. */
  onboarding_data: string | null;
  onboarding_completed_at: number | null;
  slug: string | null;
  is_public: number;
  created_at: number;
  updated_at: number;
}

/** A signed upload slot (U09) and, once uploaded and attached (U10), the user's avatar object. */
export interface AvatarUploadsTable {
  key: string;
  user_id: string;
  declared_type: string;
  /** The type found in the bytes (magic numbers), set when the upload completed. */
  content_type: string | null;
  size: number | null;
  expires_at: number;
  uploaded_at: number | null;
  attached_at: number | null;
  created_at: number;
}

/** Row types of the users capability's tables (migration 0005_users_orgs). */
export interface UsersTables extends InvitationsTables {
  user_profiles: UserProfilesTable;
  avatar_uploads: AvatarUploadsTable;
}
