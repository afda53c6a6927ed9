import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from './clock.js';
import type { DialectName } from './databases.js';
import { createTestApp, type TestApp } from './test-app.js';

/**
 * Local stand-ins for Google and GitHub so OAuth tests never reach the internet:
 * - Google: a real OAuth 2.0 / OIDC server (oauth2-mock-server) with an RS256 JWKS, PKCE S256 and
 *   nonce support; the identity it signs in is chosen per test with `as(...)`.
 * - GitHub: a small server shaped like github.com's token endpoint and api.github.com's `/user` and
 *   `/user/emails`, checking client credentials, redirect_uri, single-use codes and PKCE.
 */

export interface Identity {
  /** Google `sub` / GitHub numeric id. */
  id: string;
  email?: string;
  emailVerified?: boolean;
  name?: string | null;
  picture?: string;
  /** GitHub login (name falls back to it). */
  login?: string;
}

type Claims = Record<string, unknown>;

export function uniqueIdentity(tag = 'person', overrides: Partial<Identity> = {}): Identity {
  const id = String(100000 + Math.floor(Math.random() * 1e9));
  return { id, email: `${tag}-${randomBytes(4).toString('hex')}@provider.test`, emailVerified: true, name: `${tag} ${id}`, login: `${tag}${id}`, ...overrides };
}

/** Follow a provider authorize URL the way a browser would (the provider "signs in" at once). */
export async function followAuthorize(authorizationUrl: string): Promise<URL> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize did not redirect: ${res.status} ${await res.text()}`);
  return new URL(location);
}

export class LocalGoogle {
  readonly clientId = `google-client-${randomBytes(4).toString('hex')}`;
  readonly clientSecret = `google-secret-${randomBytes(8).toString('hex')}`;
  private readonly server = new OAuth2Server();
  private identity: Identity = uniqueIdentity('google');
  private readonly byCode = new Map<string, Identity>();
  private readonly bySub = new Map<string, Identity>();
  private idTokenTamper?: (claims: Claims, header: Claims) => void;
  private responseTamper?: (body: Claims) => void;
  /** Token times follow the app's clock, so expiry checks against a ManualClock are meaningful. */
  constructor(private readonly clock: { now(): number } = { now: () => Date.now() }) {}

  async start(): Promise<this> {
    await this.server.issuer.keys.generate('RS256');
    await this.server.start(0, '127.0.0.1');
    this.server.issuer.url = `http://127.0.0.1:${this.server.address().port}`;
    const service = this.server.service;
    service.on('beforeAuthorizeRedirect', ({ url }: { url: URL }) => {
      const code = url.searchParams.get('code');
      if (code) this.byCode.set(code, this.identity);
    });
    service.on('beforeTokenSigning', (token: { header: Claims; payload: Claims }, req: IncomingMessage & { body?: Claims }) => {
      const code = typeof req.body?.code === 'string' ? req.body.code : undefined;
      const identity = (code && this.byCode.get(code)) || this.identity;
      this.bySub.set(identity.id, identity);
      this.stamp(token.payload);
      token.payload.sub = identity.id;
      const isIdToken = token.payload.aud !== undefined && token.payload.scope === undefined;
      if (!isIdToken) return;
      Object.assign(token.payload, this.profileClaims(identity));
      if (this.idTokenTamper) {
        const tamper = this.idTokenTamper;
        this.idTokenTamper = undefined;
        tamper(token.payload, token.header);
      }
    });
    service.on('beforeResponse', (response: { body: Claims; statusCode: number }) => {
      if (!this.responseTamper) return;
      const tamper = this.responseTamper;
      this.responseTamper = undefined;
      tamper(response.body);
    });
    service.on('beforeUserinfo', (response: { body: Claims; statusCode: number }, req: IncomingMessage) => {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const sub = bearer ? JSON.parse(Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString() || '{}').sub : undefined;
      const identity = sub ? this.bySub.get(sub) : undefined;
      if (!identity) {
        response.statusCode = 401;
        response.body = { error: 'invalid_token' };
        return;
      }
      response.body = { sub: identity.id, ...this.profileClaims(identity) };
    });
    return this;
  }

  get url(): string {
    return this.server.issuer.url!;
  }

  /** LATCH_GOOGLE_* pointing at this server. */
  env(): Record<string, string> {
    return {
      LATCH_GOOGLE_CLIENT_ID: this.clientId,
      LATCH_GOOGLE_CLIENT_SECRET: this.clientSecret,
      LATCH_GOOGLE_AUTHORIZE_URL: `${this.url}/authorize`,
      LATCH_GOOGLE_TOKEN_URL: `${this.url}/token`,
      LATCH_GOOGLE_USERINFO_URL: `${this.url}/userinfo`,
      LATCH_GOOGLE_JWKS_URL: `${this.url}/jwks`,
      LATCH_GOOGLE_ISSUER: this.url,
    };
  }

  /** The person the next authorize request signs in as. */
  as(identity: Identity): this {
    this.identity = identity;
    return this;
  }

  /** Change the claims or header of the next ID token before it is signed (attack tests). */
  tamperNextIdToken(tamper: (claims: Claims, header: Claims) => void): void {
    this.idTokenTamper = tamper;
  }

  /** Change the next token-endpoint response body (e.g. swap the ID token for an unsigned one). */
  tamperNextTokenResponse(tamper: (body: Claims) => void): void {
    this.responseTamper = tamper;
  }

  /** A client-driven code, as an app that ran the authorize step itself would hold. */
  async issueCode(identity: Identity, redirectUri: string, options: { codeChallenge?: string; nonce?: string } = {}): Promise<string> {
    this.as(identity);
    const url = new URL(`${this.url}/authorize`);
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'openid email profile');
    url.searchParams.set('state', 'client-state');
    if (options.codeChallenge) {
      url.searchParams.set('code_challenge', options.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    if (options.nonce) url.searchParams.set('nonce', options.nonce);
    return (await followAuthorize(url.toString())).searchParams.get('code')!;
  }

  /** An ID token signed by this provider's key, as Google's native SDKs hand them to apps. */
  async idToken(identity: Identity, overrides: Claims = {}): Promise<string> {
    this.bySub.set(identity.id, identity);
    return this.server.issuer.buildToken({
      scopesOrTransform: (_header, payload) => {
        this.stamp(payload);
        Object.assign(payload, { sub: identity.id, aud: this.clientId, ...this.profileClaims(identity) }, overrides);
      },
    });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  private stamp(payload: Claims): void {
    const now = Math.floor(this.clock.now() / 1000);
    Object.assign(payload, { iat: now, nbf: now - 10, exp: now + 3600 });
  }

  private profileClaims(identity: Identity): Claims {
    const claims: Claims = {};
    if (identity.email !== undefined) {
      claims.email = identity.email;
      claims.email_verified = identity.emailVerified ?? true;
    }
    if (identity.name) claims.name = identity.name;
    if (identity.picture) claims.picture = identity.picture;
    return claims;
  }
}

interface GithubCode {
  identity: Identity;
  clientId: string;
  redirectUri: string;
  challenge?: string;
  used: boolean;
}

export class LocalGitHub {
  readonly clientId = `gh-client-${randomBytes(4).toString('hex')}`;
  readonly clientSecret = `gh-secret-${randomBytes(8).toString('hex')}`;
  /** Every token-endpoint request, for assertions on what Latch sent. */
  readonly tokenRequests: URLSearchParams[] = [];
  private identity: Identity = uniqueIdentity('github');
  private readonly codes = new Map<string, GithubCode>();
  private readonly tokens = new Map<string, Identity>();
  private server?: Server;
  private port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  env(): Record<string, string> {
    return {
      LATCH_GITHUB_CLIENT_ID: this.clientId,
      LATCH_GITHUB_CLIENT_SECRET: this.clientSecret,
      LATCH_GITHUB_AUTHORIZE_URL: `${this.url}/login/oauth/authorize`,
      LATCH_GITHUB_TOKEN_URL: `${this.url}/login/oauth/access_token`,
      LATCH_GITHUB_API_URL: `${this.url}/api`,
    };
  }

  as(identity: Identity): this {
    this.identity = identity;
    return this;
  }

  async issueCode(identity: Identity, redirectUri: string, options: { codeChallenge?: string } = {}): Promise<string> {
    this.as(identity);
    const url = new URL(`${this.url}/login/oauth/authorize`);
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', 'client-state');
    if (options.codeChallenge) {
      url.searchParams.set('code_challenge', options.codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    return (await followAuthorize(url.toString())).searchParams.get('code')!;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };

    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri');
      if (url.searchParams.get('client_id') !== this.clientId || !redirectUri) return json(400, { error: 'invalid_request' });
      const code = randomBytes(10).toString('hex');
      const challenge = url.searchParams.get('code_challenge') ?? undefined;
      if (challenge && url.searchParams.get('code_challenge_method') !== 'S256') return json(400, { error: 'invalid_request' });
      this.codes.set(code, { identity: this.identity, clientId: this.clientId, redirectUri, challenge, used: false });
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      const state = url.searchParams.get('state');
      if (state) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() }).end();
      return;
    }

    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(req));
      this.tokenRequests.push(form);
      // Like github.com: refusals are 200 with an `error` field.
      const code = this.codes.get(form.get('code') ?? '');
      if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return json(200, { error: 'incorrect_client_credentials' });
      if (!code || code.used) return json(200, { error: 'bad_verification_code' });
      code.used = true;
      if (form.get('redirect_uri') && form.get('redirect_uri') !== code.redirectUri) return json(200, { error: 'redirect_uri_mismatch' });
      if (code.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return json(200, { error: 'bad_verification_code' });
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      this.tokens.set(token, code.identity);
      return json(200, { access_token: token, token_type: 'bearer', scope: 'user:email' });
    }

    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const identity = bearer ? this.tokens.get(bearer) : undefined;
    if (req.method === 'GET' && (url.pathname === '/api/user' || url.pathname === '/api/user/emails')) {
      if (!identity) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/api/user') {
        return json(200, { id: Number(identity.id), login: identity.login ?? `user${identity.id}`, name: identity.name ?? null, avatar_url: identity.picture ?? `https://avatars.test/${identity.id}`, email: null });
      }
      const emails = identity.email
        ? [
            { email: identity.email, primary: true, verified: identity.emailVerified ?? true, visibility: 'private' },
            { email: `noreply-${identity.id}@users.noreply.github.test`, primary: false, verified: true, visibility: null },
          ]
        : [];
      return json(200, emails);
    }
    json(404, { message: 'Not Found' });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** Start both local providers; `env()` merges their LATCH_* variables. */
export async function startLocalProviders(clock?: { now(): number }) {
  const google = await new LocalGoogle(clock).start();
  const github = await new LocalGitHub().start();
  return {
    google,
    github,
    env: (): Record<string, string> => ({ ...google.env(), ...github.env() }),
    stop: async () => {
      await Promise.all([google.stop(), github.stop()]);
    },
  };
}

/**
 * For a describe block: both local providers on a manual clock (`world.clock`), and an app configured
 * for them (`world.t`); started before the block, stopped after it.
 */
export function oauthWorld(dialect: DialectName): { readonly t: TestApp; readonly providers: LocalProviders; readonly clock: ManualClock } {
  const world = { clock: new ManualClock() } as { t: TestApp; providers: LocalProviders; clock: ManualClock };
  beforeAll(async () => {
    world.providers = await startLocalProviders(world.clock);
    world.t = await createTestApp(dialect, { clock: world.clock, env: world.providers.env() });
  });
  afterAll(async () => {
    await world.t?.close();
    await world.providers?.stop();
  });
  return world;
}

export type LocalProviders = Awaited<ReturnType<typeof startLocalProviders>>;

/** The app page E1 flows return to in tests (on the default allow-list, `http://localhost:*`). */
export const APP_REDIRECT = 'http://localhost:3000/auth/done';

interface RequestingApp {
  request(method: string, url: string, options?: { body?: unknown; token?: string; key?: string | null; ip?: string }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

/** E1: ask Latch for an authorization URL. */
export async function authorize(t: RequestingApp, provider: string, options: { redirect?: string; link?: boolean; token?: string } = {}) {
  const query = new URLSearchParams({ redirect: options.redirect ?? APP_REDIRECT });
  if (options.link) query.set('link', 'true');
  return t.request('GET', `/v1/auth/${provider}/authorize?${query}`, { token: options.token });
}

/**
 * A whole server-driven flow in a browser's shoes: E1 → provider → A03 (no API key) → the 302 to the
 * app, returned as a parsed URL (`searchParams` hold tokens or the error).
 */
export async function browserSignIn(t: RequestingApp, provider: string, options: { token?: string; link?: boolean } = {}): Promise<URL> {
  const started = await authorize(t, provider, options);
  if (started.status !== 200) throw new Error(`authorize failed: ${started.status} ${JSON.stringify(started.body)}`);
  const back = await followAuthorize(started.body.authorizationUrl);
  const res = await t.request('GET', `${back.pathname}${back.search}`, { key: null });
  if (res.status !== 302) throw new Error(`callback did not redirect: ${res.status} ${JSON.stringify(res.body)}`);
  return new URL(String(res.headers.location));
}
