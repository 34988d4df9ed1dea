// Bearer token -> viewer: a signed, unexpired token whose version is still the user's.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { TokenClaims } from './tokens.js';

/** The signed-in user, with what their token allows: until when, and under which version. */
export type Viewer = { id: number; tokenExpiresAt: Date; tokenVersion: number };

/** Whether tokens of this version were revoked since (log-out, new password). */
export async function isRevoked(prisma: PrismaClient, userId: number, version: number) {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { tokenVersion: true },
  });
  return user?.tokenVersion !== version;
}

/** The viewer that verified claims name, or null when their version was revoked. */
export async function viewerFromClaims(
  prisma: PrismaClient,
  claims: TokenClaims,
): Promise<Viewer | null> {
  if (await isRevoked(prisma, claims.id, claims.version)) return null;
  return { id: claims.id, tokenExpiresAt: claims.tokenExpiresAt, tokenVersion: claims.version };
}
