import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AppContext } from '../context.js';
import { safeEqual, sha256Hex } from '../crypto/digest.js';
import { AppError } from '../errors/app-error.js';
import type { ExchangeInput, ProviderProfile } from './profile.js';
import { asRecord, callProvider, codeRejected, providerFailed } from './provider-http.js';
import { markIdTokenUsed } from './queries.js';

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
// One key-set fetcher per JWKS URL: jose caches the keys and refetches on an unknown `kid` (key rotation).
const keySets = new Map<string, RemoteJwks>();
const GOOGLE_ISSUER = 'https://accounts.google.com';
// Provider trouble (the key set could not be fetched) is a 500, not a bad code.
const PROVIDER_SIDE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/**
 * Google via OpenID Connect: exchange the code (with the PKCE verifier) for an ID token, or take an ID
 * token the app got itself, and verify it fully — signature from Google's JWKS, `iss`, `aud` = our
 * client id, `exp`, and the nonce of an E1 flow (OIDC Core §3.1.3.7, RFC 9700 §2.1.1).
 */
export async function googleProfile(ctx: AppContext, clientId: string, clientSecret: string, input: ExchangeInput): Promise<ProviderProfile> {
  const endpoints = ctx.config.oauth.google;
  let idToken: string;
  let accessToken = input.accessToken;
  if (input.code) {
    const res = await callProvider(endpoints.tokenUrl, {
      form: {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: input.redirectUri,
        client_id: clientId,
        client_secret: clientSecret,
        code_verifier: input.codeVerifier,
      },
    });
    const body = asRecord(res.body);
    if (res.status !== 200 || typeof body.id_token !== 'string') throw codeRejected('Google refused the authorization code');
    idToken = body.id_token;
    accessToken = typeof body.access_token === 'string' ? body.access_token : undefined;
  } else if (input.idToken) {
    idToken = input.idToken;
  } else {
    throw new AppError('auth/validation-error', 'code or idToken is required', { fields: [{ field: 'code', message: 'code or idToken is required' }] });
  }

  const claims = await verifyIdToken(ctx, idToken, clientId, input.nonce);
  if (!input.code) {
    // An ID token handed over by an app carries no server nonce: accept each one once (replay defence).
    // Keyed by the signed part (header.payload), not the whole string: base64url decoders ignore the
    // spare bits of the signature's last character, so one token has several spellings that all verify.
    const signedPart = idToken.slice(0, idToken.lastIndexOf('.'));
    const fresh = await markIdTokenUsed(ctx.db, sha256Hex(signedPart), Number(claims.exp) * 1000, ctx.clock.now());
    if (!fresh) throw codeRejected('This ID token was already used');
  }

  let profile = asRecord(claims);
  if (typeof profile.email !== 'string' && accessToken) profile = { ...(await userinfo(ctx, accessToken, claims.sub!)), ...stripUndefined(profile) };
  const verified = profile.email_verified === true || profile.email_verified === 'true';
  return {
    providerAccountId: claims.sub!,
    email: verified && typeof profile.email === 'string' ? profile.email : null,
    name: typeof profile.name === 'string' ? profile.name : null,
    image: typeof profile.picture === 'string' ? profile.picture : null,
  };
}

async function verifyIdToken(ctx: AppContext, idToken: string, clientId: string, nonce: string | undefined): Promise<JWTPayload> {
  const { issuer, jwksUrl } = ctx.config.oauth.google;
  let keySet = keySets.get(jwksUrl);
  if (!keySet) keySets.set(jwksUrl, (keySet = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 10_000 })));
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keySet, {
      // Google documents both spellings of its issuer.
      issuer: issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, 'accounts.google.com'] : issuer,
      audience: clientId,
      algorithms: ['RS256', 'ES256'],
      requiredClaims: ['sub', 'iat', 'exp'],
      currentDate: new Date(ctx.clock.now()),
      clockTolerance: 60,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError && !PROVIDER_SIDE.has(error.code)) throw codeRejected(`The ID token is not valid (${error.code})`, error);
    throw providerFailed('the Google key set could not be read', error);
  }
  // Several audiences: the authorized party must be us (OIDC Core §3.1.3.7 steps 4–5).
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== clientId) throw codeRejected('The ID token was issued to another party');
  if (nonce !== undefined && (typeof payload.nonce !== 'string' || !safeEqual(payload.nonce, nonce))) {
    throw codeRejected('The ID token nonce does not match this sign-in');
  }
  return payload;
}

/** Userinfo is only trusted for the same subject as the verified ID token (OIDC Core §5.3.2). */
async function userinfo(ctx: AppContext, accessToken: string, subject: string): Promise<Record<string, unknown>> {
  const res = await callProvider(ctx.config.oauth.google.userinfoUrl, { bearer: accessToken });
  if (res.status === 401 || res.status === 403) throw codeRejected('Google refused the access token');
  if (res.status !== 200) throw providerFailed(`userinfo answered ${res.status}`);
  const info = asRecord(res.body);
  if (info.sub !== subject) throw codeRejected('Google userinfo belongs to another subject');
  return info;
}

function stripUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
