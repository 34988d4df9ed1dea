// What the webhook and push mutations share: the per-user lock that keeps their
// limits exact under concurrent requests.
import type { Prisma } from '../generated/prisma/client.js';

/** Holds the user's row until the transaction ends: count-then-insert stays within the limit. */
export async function lockUser(tx: Prisma.TransactionClient, userId: number) {
  await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${userId}::int FOR UPDATE`;
}
