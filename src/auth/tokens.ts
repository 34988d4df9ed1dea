// Bearer tokens: signed (HS256), expiring, and versioned so that a log-out revokes them all.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';

/** What a valid token says; the version still has to match the user's (viewer.ts). */
export type TokenClaims = { id: number; tokenExpiresAt: Date; version: number };

export type TokenService = {
  issue(userId: number, version: number): Promise<{ token: string; expiresAt: Date }>;
  /** What a bearer token says, or null when it is malformed, forged or expired. */
  verify(token: string): Promise<TokenClaims | null>;
};

// Verified tokens, so that a client sending the same token again costs no HMAC and
// no parse (a seventh of the server's CPU per comment, when it was WebCrypto's). A
// token's signature and claims never change; only its expiry is checked again on each use.
// Beyond this many the memory is emptied rather than grown.
const VERIFIED_MAX = 10_000;

export function createTokenService(secret: string, ttlMinutes: number): TokenService {
  // fast-jwt checks the HMAC synchronously with node:crypto. jose has only WebCrypto,
  // whose HMAC runs as a job on the thread pool behind a promise: about 85 µs a
  // token, profiled while 19,000 sockets connected (a tenth of the server's CPU).
  const sign = createSigner({ key: secret, algorithm: 'HS256' });
  const decode = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    requiredClaims: ['sub', 'exp'],
  });
  const verified = new Map<string, TokenClaims>();
  const check = (token: string): TokenClaims | null => {
    try {
      const payload = decode(token) as { sub: unknown; exp: unknown; ver: unknown };
      const id = Number(payload.sub);
      const version = payload.ver;
      // Ids are PostgreSQL `integer`s; anything else names nobody (and must not reach a query).
      if (!Number.isSafeInteger(id) || id <= 0 || id > 2 ** 31 - 1) return null;
      if (typeof payload.exp !== 'number') return null;
      if (typeof version !== 'number') return null;
      return { id, version, tokenExpiresAt: new Date(payload.exp * 1000) };
    } catch (error) {
      if (error instanceof TokenError) return null;
      throw error;
    }
  };
  return {
    async issue(userId, version) {
      // Whole seconds, because that is what the token's `exp` can say.
      const exp = Math.floor(Date.now() / 1000 + ttlMinutes * 60);
      const token = sign({ ver: version, sub: String(userId), exp });
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.tokenExpiresAt.getTime() > Date.now()) return known;
        verified.delete(token);
        return null;
      }
      const claims = check(token);
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
