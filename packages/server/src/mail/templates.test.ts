import { describe, expect, it } from 'vitest';
import { localeCandidates, normalizeLocale } from '../email-flows/compose-email.js';
import { DEFAULT_TEMPLATES } from './templates-default.js';
import { COMMON_VARIABLES, escapeHtml, htmlToText, renderEmail, substituteHtml, substituteText, TEMPLATE_DEFINITIONS, TEMPLATE_IDS } from './templates.js';

const LAYOUT = { appName: 'Acme', brandColor: '#112233', logoUrl: null };
const HOSTILE = `<script>alert("x")</script><img src=x onerror='y'>&amp;\``;

describe('template substitution (auth-api.md §11)', () => {
  it.each([
    ['Hello {{userName}}!', { userName: 'Ada' }, 'Hello Ada!'],
    ['{{ userName }}/{{userName}}', { userName: 'Ada' }, 'Ada/Ada'],
    ['[{{misspelled}}]', { userName: 'Ada' }, '[]'],
    ['[{{constructor}}{{__proto__}}{{toString}}]', {}, '[]'],
    ['[{{count}}]', { count: 0 }, '[0]'],
    ['[{{gone}}]', { gone: null }, '[]'],
    ['{{ not a variable }}', {}, '{{ not a variable }}'],
  ])('%s with %j → %s', (template, variables, expected) => {
    expect(substituteHtml(template, variables)).toBe(expected);
  });

  it('escapes every value for HTML text and attributes', () => {
    expect(substituteHtml('<p title="{{v}}">{{v}}</p>', { v: HOSTILE })).toBe(
      `<p title="${escapeHtml(HOSTILE)}">${escapeHtml(HOSTILE)}</p>`,
    );
    expect(escapeHtml(HOSTILE)).not.toMatch(/[<>"'`]/);
    expect(escapeHtml(HOSTILE)).toContain('&amp;amp;');
  });

  it('keeps subjects on one line and unescaped (a header, not HTML)', () => {
    expect(substituteText('Hi {{n}}', { n: 'A & B\r\nBcc: victim@example.com' })).toBe('Hi A & B Bcc: victim@example.com');
  });
});

describe('the plain-text part', () => {
  it('writes links out, keeps blocks apart and decodes entities exactly once', () => {
    const html = '<h1>Title</h1><p>Hello &lt;b&gt; &amp;amp; you</p><p><a href="https://a.test/x?y=1&amp;z=2">Open</a> or <a href="https://b.test/">https://b.test/</a></p><ul><li>one</li><li>two</li></ul><style>p{}</style>';
    expect(htmlToText(html)).toBe('Title\n\nHello <b> &amp; you\n\nOpen: https://a.test/x?y=1&z=2 or https://b.test/\n\n- one\n- two');
  });
});

describe('the built-in templates', () => {
  const variables = {
    userName: 'Ada',
    userEmail: 'ada@example.test',
    verifyLink: 'https://app.test/v?token=T1',
    resetLink: 'https://app.test/r?token=T2',
    magicLink: 'https://app.test/m?token=T3',
    inviteLink: 'https://app.test/i?token=T4',
    inviterName: 'Grace',
    resourceName: 'Engines',
    expiresInMinutes: 15,
    expiresInHours: 24,
  };

  for (const locale of Object.keys(DEFAULT_TEMPLATES)) {
    for (const id of TEMPLATE_IDS) {
      it(`${locale}/${id}: every placeholder is a known variable and the link reaches both parts`, () => {
        const content = DEFAULT_TEMPLATES[locale][id];
        const known = new Set([...TEMPLATE_DEFINITIONS[id].variables, ...COMMON_VARIABLES]);
        const used = [...`${content.subject} ${content.body}`.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
        expect(used.filter((name) => !known.has(name))).toEqual([]);
        const rendered = renderEmail(content, variables, LAYOUT);
        expect(`${rendered.subject}${rendered.html}${rendered.text}`).not.toContain('{{');
        const link = variables[`${id === 'signup_confirmation' || id === 'email_verification' ? 'verify' : id === 'password_reset' ? 'reset' : id === 'magic_link' ? 'magic' : 'invite'}Link` as 'verifyLink'];
        expect(rendered.text).toContain(link);
        expect(rendered.html).toContain(`href="${link}"`);
        expect(rendered.html).toContain('#112233');
      });
    }
  }

  it('renders a hostile name escaped in every template and locale', () => {
    for (const templates of Object.values(DEFAULT_TEMPLATES)) {
      for (const id of TEMPLATE_IDS) {
        const rendered = renderEmail(templates[id], { ...variables, userName: HOSTILE, inviterName: HOSTILE, resourceName: HOSTILE }, LAYOUT);
        expect(rendered.html).not.toContain('<script>');
        expect(rendered.html).not.toContain('<img src=x');
        expect(rendered.subject).not.toMatch(/[\r\n]/);
      }
    }
  });
});

describe('locale choice', () => {
  it.each([
    ['pt-BR', ['pt-br', 'pt', 'en']],
    ['ko', ['ko', 'en']],
    ['en-GB', ['en-gb', 'en']],
    ['zh_Hant_TW', ['zh-hant-tw', 'zh-hant', 'zh', 'en']],
    [null, ['en']],
    ['../../etc', ['en']],
    ['x'.repeat(40), ['en']],
  ])('%s → %j', (locale, expected) => {
    expect(localeCandidates(locale)).toEqual(expected);
  });

  it('normalizes tags', () => {
    expect(normalizeLocale(' KO ')).toBe('ko');
    expect(normalizeLocale('')).toBeNull();
  });
});
