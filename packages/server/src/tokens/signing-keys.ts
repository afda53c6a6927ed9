import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/seal.js';
import { randomHex } from '../crypto/random.js';
import type { Database } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { insertSigningKey, listAllSigningKeys, listLiveSigningKeys, retireSigningKey, retireSigningKeysExcept } from './queries.js';
import { SignerThread, signHere } from './signer-thread.js';

export const AUDIENCE = 'latch';
const ALG = 'ES256';
const SEAL_PURPOSE = 'signing-key';
/**
 * Every instance re-reads the keys at most this long after its last read (sooner on an unknown kid, which
 * may be a key another instance just started signing with), so a rotation or a retirement made elsewhere
 * (the CLI, another instance) is followed within this bound.
 */
export const RELOAD_INTERVAL_MS = 5_000;
/** After the longest token lifetime, before a rotated-out key stops verifying: instances that have not yet
 * re-read the table sign with it for up to RELOAD_INTERVAL_MS more, and their clocks differ a little. */
const RETIREMENT_GRACE_MS = 60_000;
const VERIFIED_CACHE_MAX = 20_000;

export interface AccessClaims extends JWTPayload {
  sub: string;
  sid: string;
  role: string;
  typ: 'access';
  org?: string;
  exp: number;
  iat: number;
}

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  createdAt: number;
  /** `signing`: the newest live key; `verifying`: still accepted (until `retiredAt` if set); `retired`. */
  status: 'signing' | 'verifying' | 'retired';
  retiredAt: number | null;
}

export interface AccessTokenInput {
  userId: string;
  sessionId: string;
  role: string;
  org?: string | null;
}

/**
 * ES256 signing keys (auth-api.md OP-5): created on first start, private half sealed with LATCH_SECRET,
 * public halves served at /.well-known/jwks.json so other services verify without a shared secret.
 */
export class SigningKeys {
  private current?: { kid: string; key: KeyObject; header: string };
  private signer?: SignerThread;
  private publicKeys = new Map<string, { key: KeyObject; jwk: JWK }>();
  private lastReload = 0;
  private reloading?: Promise<void>;
  // Verifying ES256 is the hot path's largest cost; a token that verified once stays valid until exp.
  private verified = new Map<string, AccessClaims>();

  /** `longestTtlSeconds`: the longest lifetime of any token these keys sign (app and MCP access tokens). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sealer: Sealer,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly ttlSeconds: number,
    private readonly longestTtlSeconds = ttlSeconds,
  ) {}

  /** Reads the live keys; the newest signs. With none (first start, or all retired) one is created. */
  async load(): Promise<void> {
    const now = this.clock.now();
    let rows = await listLiveSigningKeys(this.db, now);
    if (rows.length === 0) {
      await this.createKey(now);
      rows = await listLiveSigningKeys(this.db, now);
    }
    const publicKeys = new Map<string, { key: KeyObject; jwk: JWK }>();
    for (const row of rows) {
      const known = this.publicKeys.get(row.kid);
      const jwk = known?.jwk ?? (JSON.parse(row.public_jwk) as JWK);
      publicKeys.set(row.kid, known ?? { key: createPublicKey({ key: jwk as never, format: 'jwk' }), jwk });
    }
    // Tokens a key signed must not outlive its retirement in the cache of verified tokens.
    if ([...this.publicKeys.keys()].some((kid) => !publicKeys.has(kid))) this.verified.clear();
    this.publicKeys = publicKeys;
    const newest = rows[0];
    if (this.current?.kid !== newest.kid) {
      const privateJwk = JSON.parse(this.sealer.open(SEAL_PURPOSE, newest.private_jwk_sealed)) as JWK;
      const header = Buffer.from(JSON.stringify({ alg: ALG, kid: newest.kid, typ: 'JWT' })).toString('base64url');
      this.current = { kid: newest.kid, key: createPrivateKey({ key: privateJwk as never, format: 'jwk' }), header };
    }
    this.lastReload = now;
  }

  /**
   * Undefined while the last read is younger than RELOAD_INTERVAL_MS (the hot path: one comparison, no
   * await); otherwise one shared re-read. A read that fails keeps the keys already held and is tried
   * again an interval later: a database hiccup does not stop verification.
   */
  private reloadIfStale(now: number): Promise<void> | undefined {
    if (now - this.lastReload < RELOAD_INTERVAL_MS) return undefined;
    this.reloading ??= this.load()
      .catch(() => {
        this.lastReload = now;
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /**
   * A new key signs from now on (on other instances within RELOAD_INTERVAL_MS); every older key still
   * verifies until the longest-lived token it may have signed has expired, then retires by itself.
   */
  async rotate(): Promise<{ kid: string; previousRetireAt: number }> {
    const now = this.clock.now();
    const previousRetireAt = now + this.longestTtlSeconds * 1000 + RETIREMENT_GRACE_MS;
    const kid = await this.db.transaction().execute(async (trx) => {
      const created = await this.createKey(now, trx);
      await retireSigningKeysExcept(trx, created, previousRetireAt);
      return created;
    });
    await this.load();
    return { kid, previousRetireAt };
  }

  /**
   * For a key that leaked: it stops verifying now (every instance within RELOAD_INTERVAL_MS), so every
   * token it signed fails; if it was the signing key, a new one takes over in the same transaction.
   * Undefined when no live key has that kid.
   */
  async retire(kid: string): Promise<{ replacedBy?: string } | undefined> {
    const now = this.clock.now();
    const outcome = await this.db.transaction().execute(async (trx) => {
      const live = await listLiveSigningKeys(trx, now);
      if (!live.some((row) => row.kid === kid)) return undefined;
      const replacedBy = live[0].kid === kid ? await this.createKey(now, trx) : undefined;
      await retireSigningKey(trx, kid, now, now);
      return { replacedBy };
    });
    if (outcome) await this.load();
    return outcome;
  }

  async list(): Promise<SigningKeyInfo[]> {
    const now = this.clock.now();
    const rows = await listAllSigningKeys(this.db);
    const signing = rows.find((row) => row.retired_at === null || Number(row.retired_at) > now)?.kid;
    return rows.map((row) => {
      const retiredAt = row.retired_at === null ? null : Number(row.retired_at);
      const status = row.kid === signing ? 'signing' : retiredAt === null || retiredAt > now ? 'verifying' : 'retired';
      return { kid: row.kid, alg: row.alg, createdAt: Number(row.created_at), status, retiredAt };
    });
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const stale = this.reloadIfStale(this.clock.now());
    if (stale) await stale;
    return { keys: [...this.publicKeys.values()].map(({ jwk }) => jwk) };
  }

  async signAccessToken(input: AccessTokenInput): Promise<string> {
    if (!this.current) throw new Error('signing keys are not loaded');
    const now = Math.floor(this.clock.now() / 1000);
    const claims: Record<string, unknown> = { sid: input.sessionId, role: input.role, typ: 'access' };
    if (input.org) claims.org = input.org;
    return this.sign({ ...claims, iss: this.issuer, aud: AUDIENCE, sub: input.userId, iat: now, exp: now + this.ttlSeconds, jti: randomHex(16) });
  }

  /** `verifyJwt`'s checks with aud `latch`, then typ `access` and its claims; verified tokens are cached. */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const nowMs = this.clock.now();
    const stale = this.reloadIfStale(nowMs);
    if (stale) await stale;
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp * 1000 <= nowMs) throw new AppError('auth/token-expired', 'Access token has expired');
      return hit;
    }
    const payload = await this.verifyJwt(token, AUDIENCE, nowMs);
    if (payload.typ !== 'access' || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
      throw new AppError('auth/invalid-token', 'Access token is not valid');
    }
    const claims = payload as AccessClaims;
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * MCP access tokens (decisions.md §7): same keys, `typ: "mcp+at"`, `aud` = `<LATCH_PUBLIC_URL>/mcp`, so
   * verifyAccessToken (aud `latch`, typ `access`) refuses them on /v1 and this refuses /v1 tokens.
   */
  async signMcpAccessToken(input: { userId: string; grantId: string; clientId: string; scope: string; ttlSeconds: number }): Promise<string> {
    if (!this.current) throw new Error('signing keys are not loaded');
    const now = Math.floor(this.clock.now() / 1000);
    return this.sign({
      typ: 'mcp+at', scope: input.scope, client_id: input.clientId, gid: input.grantId, org_id: 'default',
      iss: this.issuer, aud: `${this.issuer}/mcp`, sub: input.userId, iat: now, exp: now + input.ttlSeconds, jti: randomHex(16),
    });
  }

  async verifyMcpAccessToken(token: string): Promise<JWTPayload & { sub: string; gid: string; scope: string; client_id: string; exp: number }> {
    const nowMs = this.clock.now();
    const stale = this.reloadIfStale(nowMs);
    if (stale) await stale;
    const payload = await this.verifyJwt(token, `${this.issuer}/mcp`, nowMs);
    if (payload.typ !== 'mcp+at' || typeof payload.gid !== 'string' || typeof payload.scope !== 'string' || typeof payload.client_id !== 'string') {
      throw new AppError('auth/invalid-token', 'Access token is not valid');
    }
    return payload as JWTPayload & { sub: string; gid: string; scope: string; client_id: string; exp: number };
  }

  /**
   * The checks both kinds of token share: size and shape before any parsing, then jose with ES256 only
   * (`none` and HS256-with-the-public-key fail here), a known `kid`, this issuer, the given audience, no
   * clock tolerance. The caller checks `typ` and its own claims.
   */
  private async verifyJwt(token: string, audience: string, nowMs: number): Promise<JWTPayload> {
    if (token.length > 4096 || token.split('.').length !== 3) throw new AppError('auth/invalid-token', 'Access token is not valid');
    try {
      const { payload } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        algorithms: [ALG],
        issuer: this.issuer,
        audience,
        currentDate: new Date(nowMs),
        clockTolerance: 0,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      return payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AppError('auth/token-expired', 'Access token has expired');
      throw new AppError('auth/invalid-token', 'Access token is not valid', undefined, { cause: error });
    }
  }

  /**
   * JWS compact serialisation (RFC 7515 §7.1) with ES256 (RFC 7518 §3.4: raw r||s, IEEE P1363), signed by
   * node:crypto, on the event loop or on the signer thread while the loop is busy (signer-thread.ts); not
   * WebCrypto, whose sign took a libuv-pool round trip (~1 ms, behind password hashes). Verification stays
   * with jose.
   */
  private async sign(payload: Record<string, unknown>): Promise<string> {
    const stale = this.reloadIfStale(this.clock.now());
    if (stale) await stale;
    const { key, header } = this.current!;
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = this.signer ? await this.signer.sign(key, input) : signHere(key, input);
    return `${input}.${signature}`;
  }

  /** A long-lived server signs on a thread of its own (signer-thread.ts); call `close()` to end it. */
  signOffThread(onFailure?: (message: string) => void): void {
    this.signer ??= new SignerThread(onFailure);
  }

  async close(): Promise<void> {
    await this.signer?.close();
    this.signer = undefined;
  }

  private async keyFor(kid: string | undefined): Promise<KeyObject> {
    if (!kid) throw new AppError('auth/invalid-token', 'Access token has no key id');
    let entry = this.publicKeys.get(kid);
    if (!entry) {
      const stale = this.reloadIfStale(this.clock.now());
      if (stale) await stale;
      entry = this.publicKeys.get(kid);
    }
    if (!entry) throw new AppError('auth/invalid-token', 'Access token was signed by an unknown key');
    return entry.key;
  }

  /** Inserts a key newer than every other (the newest signs, so two in one millisecond must still order). */
  private async createKey(now: number, db: Kysely<Database> | Transaction<Database> = this.db): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomHex(8);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk = await exportJWK(privateKey);
    const newest = (await listAllSigningKeys(db))[0];
    await insertSigningKey(db, {
      kid,
      alg: ALG,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk_sealed: this.sealer.seal(SEAL_PURPOSE, JSON.stringify(privateJwk)),
      created_at: Math.max(now, newest ? Number(newest.created_at) + 1 : 0),
      retired_at: null,
    });
    return kid;
  }
}
