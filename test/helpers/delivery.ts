// What the delivery tests share: a server configured to mail a sink quickly, and
// the operations that read deliveries, preferences and mutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { graphql } from '../generated/gql.js';
import { ok } from './clients.js';
import { eventually } from './raw.js';
import { createDatabase } from './server.js';
import type { TestUser } from './users.js';

/** Short windows, retries and leases, so the tests wait seconds, not minutes. */
export const fastDelivery = (smtpUrl: string, extra: Record<string, string> = {}) => ({
  SMTP_URL: smtpUrl,
  MAIL_FROM: 'Notify <notify@test.example>',
  EMAIL_DIGEST_SECONDS: '3',
  DELIVERY_RETRY_BASE_MS: '50',
  DELIVERY_MAX_ATTEMPTS: '3',
  DELIVERY_POLL_MS: '50',
  DELIVERY_LEASE_MS: '3000',
  ...extra,
});

export const NotificationDeliveries = graphql(/* GraphQL */ `
  query NotificationDeliveries($first: Int) {
    notifications(first: $first) {
      edges {
        node {
          id
          kind
          message
          post {
            id
          }
          deliveries {
            channel
            status
            attempts
            lastError
            updatedAt
          }
        }
      }
    }
  }
`);

export const Preferences = graphql(/* GraphQL */ `
  query Preferences {
    notificationPreferences {
      kind
      channel
      enabled
    }
  }
`);

export const UpdatePreferences = graphql(/* GraphQL */ `
  mutation UpdatePreferences($input: [NotificationPreferenceInput!]!) {
    updateNotificationPreferences(input: $input) {
      kind
      channel
      enabled
    }
  }
`);

export const MutePost = graphql(/* GraphQL */ `
  mutation MutePost($postId: ID!) {
    mutePost(postId: $postId) {
      id
      viewerHasMuted
    }
  }
`);

export const UnmutePost = graphql(/* GraphQL */ `
  mutation UnmutePost($postId: ID!) {
    unmutePost(postId: $postId) {
      id
      viewerHasMuted
    }
  }
`);

type Deliveries = Awaited<ReturnType<typeof deliveriesOf>>;

/** The user's notifications (newest first) with their deliveries. */
export async function deliveriesOf(url: string, user: TestUser) {
  const data = await ok(url, NotificationDeliveries, { first: 100 }, user.token);
  return data.notifications.edges.map((e) => e.node);
}

/** Waits until none of the user's deliveries is PENDING any more, and returns them. */
export function settledDeliveries(url: string, user: TestUser, ms = 20_000): Promise<Deliveries> {
  return eventually(
    () => deliveriesOf(url, user),
    (list) => list.every((n) => n.deliveries.every((d) => d.status !== 'PENDING')),
    ms,
  );
}

/** Turns channels on or off for one kind. */
export async function setPreference(
  url: string,
  user: TestUser,
  kind: 'COMMENT_ON_POST' | 'NEW_POST_BY_FOLLOWED',
  channel: 'IN_APP' | 'EMAIL' | 'PUSH' | 'WEBHOOK',
  enabled: boolean,
) {
  await ok(url, UpdatePreferences, { input: [{ kind, channel, enabled }] }, user.token);
}

/**
 * A database that outlives one server, for restarts and for several instances:
 * a PGlite folder, or a PostgreSQL database in the "postgres" test project.
 * Returns the environment that points a server at it, and its cleanup.
 */
export async function sharedDatabase() {
  const cleanups: Array<() => Promise<void> | void> = [];
  const adminUrl = inject('postgresUrl');
  let env: Record<string, string>;
  if (adminUrl) {
    env = { DATABASE_URL: await createDatabase(adminUrl, cleanups) };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'notify-shared-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    env = { DATA_DIR: dir };
  }
  return {
    env,
    async drop() {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** How many accepted messages carry each Message-ID. */
export function copiesPerMessageId(mails: ReadonlyArray<{ messageId: string }>) {
  const counts = new Map<string, number>();
  for (const mail of mails) counts.set(mail.messageId, (counts.get(mail.messageId) ?? 0) + 1);
  return counts;
}
