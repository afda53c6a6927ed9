import { describe, expect, it } from 'vitest';
import { isAllowedRedirect } from './redirect-allow-list.js';

const ALLOW = ['https://app.example.com', 'http://localhost:*', 'https://example.org/app', 'https://static.example.net:8443/cb/'];

describe('redirect allow-list (config.md LATCH_ALLOWED_REDIRECT_URLS)', () => {
  it.each([
    'https://app.example.com',
    'https://app.example.com/',
    'https://app.example.com/any/path?x=1#frag',
    'http://localhost:3000/auth/done',
    'http://localhost/cb',
    'http://localhost:65535/',
    'https://example.org/app',
    'https://example.org/app/callback',
    'https://static.example.net:8443/cb/return',
  ])('allows %s', (url) => {
    expect(isAllowedRedirect(url, ALLOW)).toBe(true);
  });

  it.each([
    ['another host', 'https://evil.example.com/'],
    ['a suffix host', 'https://app.example.com.evil.test/'],
    ['a prefix host', 'https://xapp.example.com/'],
    ['another scheme', 'http://app.example.com/'],
    ['another port', 'https://app.example.com:444/'],
    ['userinfo', 'https://app.example.com@evil.test/'],
    ['userinfo on an allowed host', 'http://attacker:x@localhost:3000/'],
    ['https on a http-only wildcard', 'https://localhost:3000/'],
    ['a sibling path', 'https://example.org/application'],
    ['a parent path', 'https://example.org/'],
    ['a dot-dot escape', 'https://example.org/app/../admin'],
    ['the prefix port missing', 'https://static.example.net/cb/return'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,x'],
    ['protocol-relative', '//app.example.com/'],
    ['relative', '/dashboard'],
    ['backslash trick', 'https://app.example.com\\@evil.test'],
    ['whitespace', 'https://app.example.com /'],
    ['not a URL', 'not a url'],
    ['too long', `https://app.example.com/${'a'.repeat(2100)}`],
  ])('refuses %s (%s)', (_why, url) => {
    expect(isAllowedRedirect(url, ALLOW)).toBe(false);
  });

  it('an empty list allows nothing', () => {
    expect(isAllowedRedirect('http://localhost:3000/', [])).toBe(false);
  });
});
