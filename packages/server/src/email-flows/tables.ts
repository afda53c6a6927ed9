/**
 * Row types of the email-flows capability (migration 0003_email_flows).
 *
 * One table holds every one-time token that reaches a user by email (reset, sign-up and contact
 * verification, magic link): only the SHA-256 of the 256-bit token is stored (ASVS 2.7/2.8, auth-api.md
 * §8.1/§8.3/§8.4), with the address it was sent to, its purpose and its life.
 */
export type EmailTokenPurpose = 'password_reset' | 'signup_verification' | 'email_verification' | 'magic_link';

/** Every purpose; the Record makes a new purpose a compile error here rather than a token nothing cleans up. */
export const EMAIL_TOKEN_PURPOSES = Object.keys({
  password_reset: true, signup_verification: true, email_verification: true, magic_link: true,
} satisfies Record<EmailTokenPurpose, true>) as EmailTokenPurpose[];

/** The two verification kinds: A32 accepts either, so they are one family (issued, voided, confirmed together). */
export const VERIFICATION_PURPOSES = ['signup_verification', 'email_verification'] as const satisfies readonly EmailTokenPurpose[];

export interface EmailTokensTable {
  token_hash: string;
  purpose: EmailTokenPurpose;
  /** Lower-cased address the link was sent to (lookup and "newest wins" voiding). */
  email_normalized: string;
  /** The address as typed, for the account a magic link or an email change creates. */
  email: string;
  /** The account the token acts on; null for a magic link to an address without an account yet. */
  user_id: string | null;
  /** Magic link: the `name` given at request time, used if the exchange creates the account (OP-12). */
  name: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** E8 overrides of the built-in templates (§11), one row per template and locale. */
export interface EmailTemplatesTable {
  template_id: string;
  locale: string;
  subject: string;
  body: string;
  updated_at: number;
}

export interface EmailFlowsTables {
  email_tokens: EmailTokensTable;
  email_templates: EmailTemplatesTable;
}
