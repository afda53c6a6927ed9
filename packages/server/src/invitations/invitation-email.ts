import type { MailMessage } from '../mail/mailer.js';

/**
 * The `invitation` email (auth-api.md §11: inviterName, resourceName, userEmail, userName,
 * inviteLink, expiresInMinutes). A plain body of this capability's own until the template engine
 * (src/mail/templates*) takes the `invitation` id over. Every user-controlled value is HTML-escaped
 * in the HTML part (OP-41) and stripped of control characters everywhere (no header injection).
 */
export interface InvitationEmailInput {
  to: string;
  inviteeName: string | null;
  inviterName: string | null;
  resourceName: string | null;
  resourceType: string;
  resourceRole: string;
  inviteLink: string;
  expiresInMinutes: number;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function plain(value: string): string {
  return value.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

export function invitationEmail(input: InvitationEmailInput): MailMessage {
  const inviter = plain(input.inviterName ?? '') || 'Someone';
  const resource = plain(input.resourceName ?? '') || `a ${input.resourceType}`;
  const greeting = input.inviteeName ? `Hello ${plain(input.inviteeName)},` : 'Hello,';
  const days = Math.round(input.expiresInMinutes / (60 * 24));
  const subject = `${inviter} invited you to join ${resource}`.slice(0, 200);
  const text = [
    greeting,
    '',
    `${inviter} invited you to join ${resource} as ${input.resourceRole}.`,
    '',
    `Accept or decline the invitation here (valid for ${days} days):`,
    input.inviteLink,
    '',
    `If you did not expect this invitation, you can ignore this email.`,
  ].join('\n');
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(inviter)} invited you to join <strong>${escapeHtml(resource)}</strong> as ${escapeHtml(input.resourceRole)}.</p>`,
    `<p><a href="${escapeHtml(input.inviteLink)}">Accept or decline the invitation</a> (valid for ${days} days).</p>`,
    `<p>If you did not expect this invitation, you can ignore this email.</p>`,
  ].join('\n');
  return { to: input.to, subject, text, html, template: 'invitation' };
}
