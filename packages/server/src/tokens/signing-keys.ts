import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import type { Sealer } from '../crypto/seal.js';
import { randomHex } from '../crypto/random.js';
import type { Database, SigningKeysTable } from '../db/types.js';
import { AppError } from '../errors/app-error.js';
import { keySchedule, supersededUntil, type KeyState } from './key-schedule.js';
import { insertSigningKey, listSigningKeys, retireSigningKey } from './queries.js';
import { SignerThread, signHere } from './signer-thread.js';

export const AUDIENCE = 'latch';
const ALG = 'ES256';
const SEAL_PURPOSE = 'signing-key';
/**
 * Every instance re-reads the keys at most this long after its last read, so a rotation or a retirement
 * made elsewhere (the CLI, another instance) is followed within this bound.
 */
export const RELOAD_INTERVAL_MS = 5_000;
/**
 * An unknown kid (a key another instance just put in place of a leaked one, or made at the same first start
 * as this one) re-reads at most this often: soon enough that such tokens meet a 401 for at most a moment,
 * rarely enough that tokens with made-up kids cost at most five small queries a second.
 */
const UNKNOWN_KID_RELOAD_MS = 200;
/** `Cache-Control: max-age` of /.well-known/jwks.json. */
export const JWKS_MAX_AGE_SECONDS = 300;
/**
 * A rotated-in key is published this long before it signs: every instance has re-read the keys by then,
 * every JWKS a verifier or a cache in front of it holds has expired (max-age), and clocks a few seconds
 * apart (the process that rotated, the instances) still agree that it has not started.
 */
export const PUBLISH_AHEAD_MS = JWKS_MAX_AGE_SECONDS * 1000 + 2 * RELOAD_INTERVAL_MS;
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

export interface SigningKeyInfo extends KeyState {
  alg: string;
  createdAt: number;
}

export interface SigningKeysOptions {
  db: Kysely<Database>;
  sealer: Sealer;
  clock: Clock;
  issuer: string;
  /** App access tokens' lifetime. */
  ttlSeconds: number;
  /** The longest lifetime of any token these keys sign (app and MCP access tokens). */
  longestTtlSeconds?: number;
  /** A re-read that failed (the keys already held stay in use). */
  onReloadFailure?: (error: unknown) => void;
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

  private readonly db: Kysely<Database>;
  private readonly sealer: Sealer;
  private readonly clock: Clock;
  private readonly issuer: string;
  private readonly ttlSeconds: number;
  private readonly longestTtlMs: number;
  private readonly onReloadFailure: (error: unknown) => void;

  constructor(options: SigningKeysOptions) {
    this.db = options.db;
    this.sealer = options.sealer;
    this.clock = options.clock;
    this.issuer = options.issuer;
    this.ttlSeconds = options.ttlSeconds;
    this.longestTtlMs = (options.longestTtlSeconds ?? options.ttlSeconds) * 1000;
    this.onReloadFailure = options.onReloadFailure ?? (() => {});
  }

  /**
   * Reads every key and works out which signs and which verify (key-schedule.ts); with no signing key (first
   * start, or the signing one retired) one is made. Everything is built before anything is replaced, so a
   * read that fails half-way leaves the keys held as they were.
   */
  async load(): Promise<void> {
    const now = this.clock.now();
    let rows = await listSigningKeys(this.db);
    let schedule = keySchedule(rows, now, this.longestTtlMs);
    if (!schedule.some((key) => key.status === 'signing')) {
      await insertSigningKey(this.db, await this.newKeyRow(now, null));
      rows = await listSigningKeys(this.db);
      schedule = keySchedule(rows, now, this.longestTtlMs);
    }
    const byKid = new Map(rows.map((row) => [row.kid, row]));
    const publicKeys = new Map<string, { key: KeyObject; jwk: JWK }>();
    let signing: string | undefined;
    for (const state of schedule) {
      if (state.status === 'retired') continue;
      if (state.status === 'signing') signing = state.kid;
      const known = this.publicKeys.get(state.kid);
      const jwk = known?.jwk ?? (JSON.parse(byKid.get(state.kid)!.public_jwk) as JWK);
      publicKeys.set(state.kid, known ?? { key: createPublicKey({ key: jwk as never, format: 'jwk' }), jwk });
    }
    if (!signing) throw new Error('no signing key after creating one');
    let current = this.current;
    if (current?.kid !== signing) {
      const privateJwk = JSON.parse(this.sealer.open(SEAL_PURPOSE, byKid.get(signing)!.private_jwk_sealed)) as JWK;
      const header = Buffer.from(JSON.stringify({ alg: ALG, kid: signing, typ: 'JWT' })).toString('base64url');
      current = { kid: signing, key: createPrivateKey({ key: privateJwk as never, format: 'jwk' }), header };
    }
    // Tokens a key signed must not outlive its retirement in the cache of verified tokens.
    if ([...this.publicKeys.keys()].some((kid) => !publicKeys.has(kid))) this.verified.clear();
    this.publicKeys = publicKeys;
    this.current = current;
    this.lastReload = now;
  }

  /**
   * Undefined while the last read is younger than `interval` (the hot path: one comparison, no await);
   * otherwise one shared re-read. A read that fails keeps the keys already held, is reported, and is
   * tried again an interval later: a database hiccup does not stop verification.
   */
  private reloadIfStale(now: number, interval = RELOAD_INTERVAL_MS): Promise<void> | undefined {
    if (now - this.lastReload < interval) return undefined;
    this.reloading ??= this.load()
      .catch((error) => {
        this.lastReload = now;
        this.onReloadFailure(error);
      })
      .finally(() => {
        this.reloading = undefined;
      });
    return this.reloading;
  }

  /**
   * A new key, published now, signs from PUBLISH_AHEAD_MS on; the keys before it verify until the longest
   * token they can have signed has expired (key-schedule.ts). One insert: two rotations at once just make
   * two keys, which every instance orders alike.
   */
  async rotate(): Promise<{ kid: string; signsFrom: number; previousVerifyUntil: number }> {
    const now = this.clock.now();
    const row = await this.newKeyRow(now, now + PUBLISH_AHEAD_MS);
    await insertSigningKey(this.db, row);
    await this.load();
    const signsFrom = row.activates_at!;
    return { kid: row.kid, signsFrom, previousVerifyUntil: supersededUntil(signsFrom, this.longestTtlMs) };
  }

  /**
   * For a key that leaked: it stops verifying now (every instance within RELOAD_INTERVAL_MS, an instance
   * meeting a token of its replacement sooner), so every token it signed fails; if it was signing, a new
   * key signs at once, in the same transaction. Undefined when no live key has that kid.
   */
  async retire(kid: string): Promise<{ replacedBy?: string } | undefined> {
    const now = this.clock.now();
    const replacement = await this.newKeyRow(now, null);
    const notLive = new Error('not live');
    const outcome = await this.db
      .transaction()
      .execute(async (trx) => {
        // The write comes first: on SQLite a transaction that has read cannot take the write lock once another
        // connection has committed ("database is locked" at once); one that starts by writing waits its turn.
        if (!(await retireSigningKey(trx, kid, now))) throw notLive;
        const rows = await listSigningKeys(trx);
        const before = keySchedule(rows.map((row) => (row.kid === kid ? { ...row, retired_at: null } : row)), now, this.longestTtlMs);
        const status = before.find((key) => key.kid === kid)?.status;
        if (status === 'retired') throw notLive; // already past its window: rolled back, nothing to do
        if (status !== 'signing') return {};
        await insertSigningKey(trx, replacement);
        return { replacedBy: replacement.kid };
      })
      .catch((error) => {
        if (error === notLive) return undefined;
        throw error;
      });
    if (outcome) await this.load();
    return outcome;
  }

  async list(): Promise<SigningKeyInfo[]> {
    const rows = await listSigningKeys(this.db);
    const byKid = new Map(rows.map((row) => [row.kid, row]));
    return keySchedule(rows, this.clock.now(), this.longestTtlMs)
      .map((state) => ({ ...state, alg: byKid.get(state.kid)!.alg, createdAt: Number(byKid.get(state.kid)!.created_at) }))
      .reverse();
  }

  /** Re-read as often as on an unknown kid: a key another instance put in place of a leaked one signs at once. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const stale = this.reloadIfStale(this.clock.now(), UNKNOWN_KID_RELOAD_MS);
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
      const { payload, protectedHeader } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        algorithms: [ALG],
        issuer: this.issuer,
        audience,
        currentDate: new Date(nowMs),
        clockTolerance: 0,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      // A re-read may have retired the key while the signature was being checked: the answer is the
      // re-read's, and the token must not reach the verified cache either (it would outlive the key).
      if (!this.publicKeys.has(protectedHeader.kid!)) throw new AppError('auth/invalid-token', 'Access token was signed by a retired key');
      return payload;
    } catch (error) {
      if (error instanceof AppError) throw error;
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
      const stale = this.reloadIfStale(this.clock.now(), UNKNOWN_KID_RELOAD_MS);
      if (stale) await stale;
      entry = this.publicKeys.get(kid);
    }
    if (!entry) throw new AppError('auth/invalid-token', 'Access token was signed by an unknown key');
    return entry.key;
  }

  /** A fresh ES256 key pair as a row (made before any transaction: generating it awaits). */
  private async newKeyRow(now: number, activatesAt: number | null): Promise<SigningKeysTable> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomHex(8);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    return {
      kid,
      alg: ALG,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk_sealed: this.sealer.seal(SEAL_PURPOSE, JSON.stringify(await exportJWK(privateKey))),
      created_at: now,
      activates_at: activatesAt,
      retired_at: null,
    };
  }

}
