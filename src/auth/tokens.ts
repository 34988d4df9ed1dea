// Bearer tokens: signed (HS256), expiring, and versioned so that a log-out revokes them all.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/** What a valid token says; the version still has to match the user's (viewer.ts). */
export type TokenClaims = { id: number; tokenExpiresAt: Date; version: number };

export type TokenService = {
  issue(userId: number, version: number): Promise<{ token: string; expiresAt: Date }>;
  /** What a bearer token says, or null when it is malformed, forged or expired. */
  verify(token: string): Promise<TokenClaims | null>;
};

// Verified tokens, so that a client sending the same token again costs no HMAC (the
// WebCrypto verification was a seventh of the server's CPU per comment). A token's
// signature and claims never change; only its expiry is checked again on each use.
// Beyond this many the memory is emptied rather than grown.
const VERIFIED_MAX = 10_000;

export function createTokenService(secret: string, ttlMinutes: number): TokenService {
  // Imported once: given the secret's bytes, jose imports a WebCrypto key on every
  // call (a fifth of a token's verification, profiled while 19,000 sockets connected).
  const raw = new TextEncoder().encode(secret);
  const hmacKey = (usage: 'sign' | 'verify') =>
    crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
  const signKey = hmacKey('sign');
  const verifyKey = hmacKey('verify');
  const verified = new Map<string, TokenClaims>();
  const check = async (token: string): Promise<TokenClaims | null> => {
    try {
      const { payload } = await jwtVerify(token, await verifyKey, { algorithms: ['HS256'] });
      const id = Number(payload.sub);
      const version = payload.ver;
      // Ids are PostgreSQL `integer`s; anything else names nobody (and must not reach a query).
      if (!Number.isSafeInteger(id) || id <= 0 || id > 2 ** 31 - 1) return null;
      if (payload.exp === undefined) return null;
      if (typeof version !== 'number') return null;
      return { id, version, tokenExpiresAt: new Date(payload.exp * 1000) };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  };
  return {
    async issue(userId, version) {
      // Whole seconds, because that is what the token's `exp` can say.
      const exp = Math.floor(Date.now() / 1000 + ttlMinutes * 60);
      const token = await new SignJWT({ ver: version })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(await signKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.tokenExpiresAt.getTime() > Date.now()) return known;
        verified.delete(token);
        return null;
      }
      const claims = await check(token);
      if (claims) {
        if (verified.size >= VERIFIED_MAX) verified.clear();
        verified.set(token, claims);
      }
      return claims;
    },
  };
}

/** "Bearer <token>" -> "<token>"; undefined when absent; null when present but not a bearer token. */
export function bearerToken(header: unknown): string | null | undefined {
  if (header === undefined || header === null || header === '') return undefined;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/**
 * The signing key of a single embedded instance when JWT_SECRET is not set:
 * made once and kept beside the data, so tokens outlive a restart.
 */
export function persistentSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
