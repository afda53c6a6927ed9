import type { TemplateContent, TemplateId } from './templates.js';

/**
 * The built-in templates shipped with Latch (auth-api.md §11), per locale. English is the fallback
 * for every other locale; Korean ships too (bkend's docs preview one). Admins override any of them
 * per locale through E8; the variables are listed in templates.ts.
 */

function button(link: string, label: string): string {
  return (
    `<p style="margin:24px 0"><a href="{{${link}}}" style="display:inline-block;padding:12px 22px;border-radius:6px;` +
    `background:{{brandColor}};color:#ffffff;text-decoration:none;font-weight:600">${label}</a></p>`
  );
}

function fallbackLink(link: string, text: string): string {
  return `<p style="font-size:13px;color:#57606a">${text}<br /><a href="{{${link}}}" style="color:#57606a;word-break:break-all">{{${link}}}</a></p>`;
}

const en: Record<TemplateId, TemplateContent> = {
  signup_confirmation: {
    subject: 'Confirm your email address for {{appName}}',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">Confirm your email address</h1>',
      '<p>Hello {{userName}},</p>',
      '<p>Thanks for signing up for {{appName}}. Please confirm that <strong>{{userEmail}}</strong> is your email address.</p>',
      button('verifyLink', 'Confirm email address'),
      fallbackLink('verifyLink', 'If the button does not work, open this link:'),
      '<p>The link is valid for {{expiresInHours}} hours. If you did not create an account, you can ignore this email.</p>',
    ].join('\n'),
  },
  email_verification: {
    subject: 'Verify your email address for {{appName}}',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">Verify your email address</h1>',
      '<p>Hello {{userName}},</p>',
      '<p>Please confirm that <strong>{{userEmail}}</strong> belongs to you.</p>',
      button('verifyLink', 'Verify email address'),
      fallbackLink('verifyLink', 'If the button does not work, open this link:'),
      '<p>The link is valid for {{expiresInHours}} hours. If you did not ask for this, you can ignore this email.</p>',
    ].join('\n'),
  },
  password_reset: {
    subject: 'Reset your {{appName}} password',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">Reset your password</h1>',
      '<p>Hello {{userName}},</p>',
      '<p>Someone asked to reset the password of the {{appName}} account <strong>{{userEmail}}</strong>. If it was you, choose a new password here:</p>',
      button('resetLink', 'Choose a new password'),
      fallbackLink('resetLink', 'If the button does not work, open this link:'),
      '<p>The link is valid for {{expiresInMinutes}} minutes and works once. Resetting signs you out on every device.</p>',
      '<p>If you did not ask for a reset, ignore this email: your password stays as it is.</p>',
    ].join('\n'),
  },
  magic_link: {
    subject: 'Your sign-in link for {{appName}}',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">Sign in to {{appName}}</h1>',
      '<p>Hello,</p>',
      '<p>Use this link to sign in as <strong>{{userEmail}}</strong>:</p>',
      button('magicLink', 'Sign in'),
      fallbackLink('magicLink', 'If the button does not work, open this link:'),
      '<p>The link is valid for {{expiresInMinutes}} minutes and works once. If you did not ask for it, you can ignore this email.</p>',
    ].join('\n'),
  },
  invitation: {
    subject: '{{inviterName}} invited you to join {{resourceName}}',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">You are invited</h1>',
      '<p>Hello {{userName}},</p>',
      '<p>{{inviterName}} invited <strong>{{userEmail}}</strong> to join <strong>{{resourceName}}</strong> on {{appName}}.</p>',
      button('inviteLink', 'View the invitation'),
      fallbackLink('inviteLink', 'If the button does not work, open this link:'),
      '<p>The invitation is valid for {{expiresInHours}} hours. If you did not expect it, you can ignore this email.</p>',
    ].join('\n'),
  },
};

const ko: Record<TemplateId, TemplateContent> = {
  signup_confirmation: {
    subject: '{{appName}} 이메일 주소를 확인해 주세요',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">이메일 주소 확인</h1>',
      '<p>{{userName}}님, 안녕하세요.</p>',
      '<p>{{appName}}에 가입해 주셔서 감사합니다. <strong>{{userEmail}}</strong> 주소가 본인의 것인지 확인해 주세요.</p>',
      button('verifyLink', '이메일 주소 확인'),
      fallbackLink('verifyLink', '버튼이 동작하지 않으면 다음 링크를 여세요:'),
      '<p>이 링크는 {{expiresInHours}}시간 동안 유효합니다. 가입한 적이 없다면 이 메일을 무시하셔도 됩니다.</p>',
    ].join('\n'),
  },
  email_verification: {
    subject: '{{appName}} 이메일 주소 인증',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">이메일 주소 인증</h1>',
      '<p>{{userName}}님, 안녕하세요.</p>',
      '<p><strong>{{userEmail}}</strong> 주소가 본인의 것인지 확인해 주세요.</p>',
      button('verifyLink', '이메일 주소 인증'),
      fallbackLink('verifyLink', '버튼이 동작하지 않으면 다음 링크를 여세요:'),
      '<p>이 링크는 {{expiresInHours}}시간 동안 유효합니다. 요청하지 않으셨다면 이 메일을 무시하셔도 됩니다.</p>',
    ].join('\n'),
  },
  password_reset: {
    subject: '{{appName}} 비밀번호 재설정',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">비밀번호 재설정</h1>',
      '<p>{{userName}}님, 안녕하세요.</p>',
      '<p>{{appName}} 계정 <strong>{{userEmail}}</strong>의 비밀번호 재설정이 요청되었습니다. 본인이 요청하셨다면 새 비밀번호를 설정하세요:</p>',
      button('resetLink', '새 비밀번호 설정'),
      fallbackLink('resetLink', '버튼이 동작하지 않으면 다음 링크를 여세요:'),
      '<p>이 링크는 {{expiresInMinutes}}분 동안 한 번만 사용할 수 있습니다. 재설정하면 모든 기기에서 로그아웃됩니다.</p>',
      '<p>요청하지 않으셨다면 이 메일을 무시하세요. 비밀번호는 바뀌지 않습니다.</p>',
    ].join('\n'),
  },
  magic_link: {
    subject: '{{appName}} 로그인 링크',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">{{appName}} 로그인</h1>',
      '<p>안녕하세요.</p>',
      '<p>다음 링크로 <strong>{{userEmail}}</strong> 계정에 로그인하세요:</p>',
      button('magicLink', '로그인'),
      fallbackLink('magicLink', '버튼이 동작하지 않으면 다음 링크를 여세요:'),
      '<p>이 링크는 {{expiresInMinutes}}분 동안 한 번만 사용할 수 있습니다. 요청하지 않으셨다면 이 메일을 무시하셔도 됩니다.</p>',
    ].join('\n'),
  },
  invitation: {
    subject: '{{inviterName}}님이 {{resourceName}}에 초대했습니다',
    body: [
      '<h1 style="font-size:20px;margin:0 0 16px 0">초대장이 도착했습니다</h1>',
      '<p>{{userName}}님, 안녕하세요.</p>',
      '<p>{{inviterName}}님이 <strong>{{userEmail}}</strong> 주소로 {{appName}}의 <strong>{{resourceName}}</strong>에 초대했습니다.</p>',
      button('inviteLink', '초대 보기'),
      fallbackLink('inviteLink', '버튼이 동작하지 않으면 다음 링크를 여세요:'),
      '<p>이 초대는 {{expiresInHours}}시간 동안 유효합니다. 예상하지 못한 초대라면 이 메일을 무시하셔도 됩니다.</p>',
    ].join('\n'),
  },
};

export const DEFAULT_LOCALE = 'en';

export const DEFAULT_TEMPLATES: Record<string, Record<TemplateId, TemplateContent>> = { en, ko };
