// `/settings/notifications`: which kinds of notification reach the viewer on which
// channel (each change is saved at once), and Web Push for this browser.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { FormAlert } from '../components/form-alert';
import { PushButton } from '../components/push-button';
import { useDeliveryApi } from '../delivery-api';
import type { NotificationChannel, NotificationKind } from '../generated/graphql';
import { NotificationPreferences, UpdateNotificationPreferences } from '../operations/delivery';
import { useTitle } from '../session-context';

const KINDS: Array<[NotificationKind, string]> = [
  ['COMMENT_ON_POST', 'Comments on my posts'],
  ['NEW_POST_BY_FOLLOWED', 'New posts from people I follow'],
];
const CHANNELS: Array<[NotificationChannel, string]> = [
  ['IN_APP', 'In app'],
  ['EMAIL', 'Email'],
  ['PUSH', 'Push'],
  ['WEBHOOK', 'Webhook'],
];

export function SettingsPage() {
  useTitle('Notification settings');
  const delivery = useDeliveryApi();
  return (
    <>
      <h1>Notification settings</h1>
      {delivery.state === 'loading' && <p>Loading…</p>}
      {delivery.state === 'missing' && (
        <p>
          This server does not offer notification preferences yet. Everything reaches you in the
          app.
        </p>
      )}
      {delivery.state === 'available' && (
        <>
          <Preferences />
          <section>
            <h2>Push notifications</h2>
            {delivery.webPushPublicKey ? (
              <PushButton publicKey={delivery.webPushPublicKey} />
            ) : (
              <p>Web Push is off on this server.</p>
            )}
          </section>
        </>
      )}
    </>
  );
}

function Preferences() {
  const [{ data, error }] = useQuery({
    query: NotificationPreferences,
    requestPolicy: 'network-only',
  });
  const [saving, update] = useMutation(UpdateNotificationPreferences);
  // The server's answer to the last change: it returns every pair.
  const [saved, setSaved] = useState<typeof data>();
  const pairs = saved ?? data;
  if (!pairs)
    return error ? <FormAlert message="Your preferences could not be loaded." /> : <p>Loading…</p>;

  const enabled = (kind: NotificationKind, channel: NotificationChannel) =>
    pairs.notificationPreferences.some(
      (p) => p.kind === kind && p.channel === channel && p.enabled,
    );

  async function change(kind: NotificationKind, channel: NotificationChannel, on: boolean) {
    if (!pairs) return;
    const before = pairs;
    // Shown at once; the server's answer (or, on failure, the previous state) follows.
    setSaved({
      notificationPreferences: before.notificationPreferences.map((p) =>
        p.kind === kind && p.channel === channel ? { ...p, enabled: on } : p,
      ),
    });
    const result = await update({ input: [{ kind, channel, enabled: on }] });
    setSaved(
      result.data ? { notificationPreferences: result.data.updateNotificationPreferences } : before,
    );
  }

  return (
    <section>
      <h2>What reaches you, and where</h2>
      <p>Changes are saved as you make them.</p>
      <div className="table-scroll">
        <table className="preferences">
          <thead>
            <tr>
              <td />
              {CHANNELS.map(([channel, label]) => (
                <th key={channel} scope="col">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {KINDS.map(([kind, kindLabel]) => (
              <tr key={kind}>
                <th scope="row">{kindLabel}</th>
                {CHANNELS.map(([channel, channelLabel]) => (
                  <td key={channel}>
                    <input
                      type="checkbox"
                      aria-label={`${kindLabel}: ${channelLabel}`}
                      checked={enabled(kind, channel)}
                      onChange={(event) => void change(kind, channel, event.currentTarget.checked)}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p role="status">{saving.fetching ? 'Saving…' : saving.data ? 'Saved.' : ''}</p>
      {saving.error && <FormAlert message="That change could not be saved. Try again." />}
    </section>
  );
}
