import type { ValidAuthorize } from './authorize.js';

/** The consent page Latch serves (mcp.md §3.1 step 4–5, §9): dependency-free HTML, no scripts. */
const esc = (value: string) => value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:520px;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.35rem}label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=password],input[type=text]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
.scopes{background:#f5f5f7;border-radius:6px;padding:.6rem 1rem;font-size:13px}.error{color:#b00020;font-weight:600}
.buttons{margin-top:1.2rem;display:flex;gap:.6rem}button{font:inherit;padding:.5rem 1.1rem;cursor:pointer}button.primary{background:#1d4ed8;color:#fff;border:0;border-radius:4px}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function consentPage(valid: ValidAuthorize, hidden: Record<string, string>, options: { error?: string; askMfa?: boolean; email?: string } = {}): string {
  const inputs = Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`)
    .join('');
  const scopes = valid.scopes.map((scope) => `<li><code>${esc(scope)}</code></li>`).join('');
  return page(
    'Authorize MCP access — Latch',
    `<h1>Allow <em>${esc(valid.client.name)}</em> to manage this Latch?</h1>
<p>The application will act through the MCP endpoint with these permissions, on the only organization of this deployment:</p>
<div class="scopes"><ul>${scopes}</ul></div>
<p>It will be redirected to <code>${esc(new URL(valid.redirectUri).origin)}</code>. Sign in as a Latch user with the <strong>admin</strong> role to approve.</p>
${options.error ? `<p class="error" role="alert">${esc(options.error)}</p>` : ''}
<form method="post" action="/mcp/oauth/authorize">${inputs}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(options.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
${options.askMfa ? '<label for="mfaCode">Authenticator code</label><input id="mfaCode" name="mfaCode" type="text" inputmode="numeric" autocomplete="one-time-code" required>' : ''}
<div class="buttons"><button class="primary" type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny" formnovalidate>Deny</button></div>
</form>`,
  );
}

/**
 * The way back to a self-registered redirect URI is a link the visitor chooses to follow, naming where it
 * goes (RFC 9700 §4.11.2); registration allows only https and loopback http URIs, so it cannot be a script.
 */
function backLink(link: string): string {
  return `<p><a href="${esc(link)}">Return to the application at ${esc(new URL(link).origin)}</a></p>`;
}

/** `link`: the client's redirect URI carrying the OAuth error, when client and redirect URI were valid. */
export function errorPage(message: string, link?: string): string {
  const way = link ? backLink(link) : '<p>Return to the application and start again.</p>';
  return page('Authorization error — Latch', `<h1>This authorization request cannot continue</h1><p class="error">${esc(message)}</p>${way}`);
}

export function deniedPage(link: string): string {
  return page('Access denied — Latch', `<h1>Access denied</h1><p>The application was not given access to this Latch.</p>${backLink(link)}`);
}
