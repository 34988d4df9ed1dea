// The VAPID key pair (RFC 8292) that identifies this server to push services, and
// that browsers pass to PushManager.subscribe() as applicationServerKey. From
// VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY; unset on the embedded database, a pair is
// made once and kept in DATA_DIR (a new pair would orphan every browser that
// subscribed with the old one); unset with DATABASE_URL, Web Push is off, since
// several instances must share one pair and none may invent its own.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webPush from 'web-push';
import type { Config } from '../../config.js';

export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

export function loadVapidKeys(config: Config): VapidKeys | null {
  const subject = config.VAPID_SUBJECT ?? `mailto:${addressOf(config.MAIL_FROM)}`;
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
    return { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject };
  }
  if (config.DATABASE_URL) return null;
  return { ...persistentPair(config.DATA_DIR), subject };
}

function persistentPair(dataDir: string): { publicKey: string; privateKey: string } {
  const file = join(dataDir, 'vapid-keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(dataDir, { recursive: true });
  const pair = webPush.generateVAPIDKeys();
  // Readable by this user only: the private key signs every push.
  writeFileSync(file, JSON.stringify(pair), { mode: 0o600 });
  return pair;
}

/** The bare address in `Name <address>` (or the value itself). */
function addressOf(from: string): string {
  return /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
}
