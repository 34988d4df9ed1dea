// Passwords and bearer tokens: who the viewer is.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import argon2 from 'argon2';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/** The signed-in user, with what their token allows: until when, and under which version. */
export type Viewer = { id: number; tokenExpiresAt: Date; tokenVersion: number };

/** What a valid token says; the version still has to match the user's (context.ts). */
export type TokenClaims = { id: number; tokenExpiresAt: Date; version: number };

// OWASP's argon2id baseline (19 MiB, 2 passes): slow enough against offline guessing,
// fast enough that sign-up and log-in stay well under a second on a small machine.
const hashOptions = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string) => argon2.hash(password, hashOptions);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of no password, so an unknown email costs as much time as a wrong password. */
let decoyHash: Promise<string> | undefined;
export const getDecoyHash = () => {
  decoyHash ??= hashPassword('decoy password that matches nothing');
  return decoyHash;
};

export type TokenService = {
  issue(userId: number, version: number): Promise<{ token: string; expiresAt: Date }>;
  /** What a bearer token says, or null when it is malformed, forged or expired. */
  verify(token: string): Promise<TokenClaims | null>;
};

export function createTokenService(secret: string, ttlMinutes: number): TokenService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(userId, version) {
      // Whole seconds, because that is what the token's `exp` can say.
      const exp = Math.floor(Date.now() / 1000 + ttlMinutes * 60);
      const token = await new SignJWT({ ver: version })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        const id = Number(payload.sub);
        const version = payload.ver;
        if (!Number.isSafeInteger(id) || id <= 0 || payload.exp === undefined) return null;
        if (typeof version !== 'number') return null;
        return { id, version, tokenExpiresAt: new Date(payload.exp * 1000) };
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return null;
        throw error;
      }
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
