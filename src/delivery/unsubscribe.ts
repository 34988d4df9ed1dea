// One-click unsubscribe (RFC 8058): a signed token naming a user and a kind, and
// the POST that turns EMAIL off for that pair. Tokens never expire (a link in an
// old email must keep working) and carry no secret: altering one breaks the HMAC.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotificationKind, type PrismaClient } from '../generated/prisma/client.js';

const KINDS = new Set<string>(Object.values(NotificationKind));

export type UnsubscribeTokens = {
  sign(userId: number, kind: NotificationKind): string;
  verify(token: string): { userId: number; kind: NotificationKind } | null;
};

export function createUnsubscribeTokens(secret: string): UnsubscribeTokens {
  // A key of its own, derived from the token secret, so the two uses never mix.
  const key = createHmac('sha256', secret).update('notify-graphql unsubscribe v1').digest();
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    sign(userId, kind) {
      const payload = `${userId}.${kind}`;
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      const match = /^([1-9]\d{0,9})\.([A-Z_]+)\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) return null;
      const [, id, kind, signature] = match as unknown as [string, string, string, string];
      const expected = mac(`${id}.${kind}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (!KINDS.has(kind)) return null;
      return { userId: Number(id), kind: kind as NotificationKind };
    },
  };
}

const MAX_BODY = 1_000;

/**
 * `POST /unsubscribe?token=…` with the body `List-Unsubscribe=One-Click`: 200,
 * again and again; 400 for an altered token. `GET` (a person clicking the link)
 * shows a button that makes that POST: a link checker fetching the URL must not
 * unsubscribe anyone.
 */
export async function handleUnsubscribe(
  req: IncomingMessage,
  res: ServerResponse,
  tokens: UnsubscribeTokens,
  prisma: PrismaClient,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const token = url.searchParams.get('token') ?? '';
  const target = tokens.verify(token);
  const reply = (status: number, type: string, body: string) => {
    res.writeHead(status, {
      'content-type': `${type}; charset=utf-8`,
      'cache-control': 'no-store',
    });
    res.end(body);
  };
  if (!target) return reply(400, 'text/plain', 'This unsubscribe link is not valid.\n');
  if (req.method === 'GET') {
    const action = `/unsubscribe?token=${encodeURIComponent(token)}`;
    return reply(
      200,
      'text/html',
      `<!doctype html><title>Unsubscribe</title><form method="post" action="${action}">` +
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">' +
        '<button>Stop these emails</button></form>\n',
    );
  }
  if (req.method !== 'POST') return reply(405, 'text/plain', 'Use POST.\n');
  const body = await readBody(req, MAX_BODY);
  if (!new URLSearchParams(body ?? '').getAll('List-Unsubscribe').includes('One-Click')) {
    return reply(400, 'text/plain', 'Expected the body List-Unsubscribe=One-Click.\n');
  }
  // A user deleted since the email was sent has nothing left to unsubscribe from.
  await prisma.$executeRaw`
    INSERT INTO "NotificationPreference" ("userId", "kind", "channel", "enabled")
    SELECT "id", ${target.kind}::"NotificationKind", 'EMAIL', false
    FROM "User" WHERE "id" = ${target.userId}::int
    ON CONFLICT ("userId", "kind", "channel") DO UPDATE SET "enabled" = false`;
  return reply(200, 'text/plain', 'You will no longer receive these emails.\n');
}

/** The request body as text, or null when it is larger than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
