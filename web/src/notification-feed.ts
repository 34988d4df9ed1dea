// The notifications page's list: loaded once, then kept current by notificationAdded.
// The subscription starts right after the newest notification loaded (`since`), so
// nothing created between loading and listening is missed, and client.ts moves `since`
// forward as items arrive, so a reconnect resumes without a gap or a duplicate.
import { useEffect, useRef, useState } from 'react';
import { useClient, useSubscription } from 'urql';
import type { NotificationItemFragment } from './generated/graphql';
import { NotificationAdded, NotificationList, UnreadCount } from './operations/notifications';

export type Item = NotificationItemFragment;

export function useNotificationFeed() {
  const client = useClient();
  const [items, setItems] = useState<Item[] | null>(null);
  const [failed, setFailed] = useState(false);
  /** The newest live arrival, for screen readers (a list growing is not announced). */
  const [announcement, setAnnouncement] = useState('');

  useEffect(() => {
    let stopped = false;
    let live: { unsubscribe(): void } | undefined;
    void (async () => {
      const loaded = await readList();
      if (stopped) return;
      if (!loaded) return setFailed(true);
      setItems(loaded);
      live = client
        .subscription(NotificationAdded, { since: loaded[0]?.id ?? null })
        .subscribe((result) => {
          const added = result.data?.notificationAdded;
          if (!added) return;
          setItems((current) => merge(current, [added]));
          setAnnouncement(`New: ${added.message} ${added.peek}`);
        });
    })();
    return () => {
      stopped = true;
      live?.unsubscribe();
    };

    async function readList() {
      const result = await client
        .query(NotificationList, {}, { requestPolicy: 'network-only' })
        .toPromise();
      return result.data?.notifications.edges.map((edge) => edge.node);
    }
  }, [client]);

  // The server's unread count is the truth. When it disagrees with this list, read the
  // list again and merge: more unread (an empty list has no `since` to start from, so a
  // notification could slip in before the subscription is in place), or fewer (another
  // tab marked some read).
  const [{ data: count }] = useSubscription({ query: UnreadCount });
  const unreadCount = count?.unreadNotificationCountChanged;
  const held = useRef(items);
  held.current = items;
  const loaded = items !== null;
  useEffect(() => {
    const current = held.current;
    if (!loaded || !current || unreadCount === undefined) return;
    if (unreadCount === current.filter((item) => !item.read).length) return;
    let stopped = false;
    void client
      .query(NotificationList, {}, { requestPolicy: 'network-only' })
      .toPromise()
      .then((result) => {
        const again = result.data?.notifications.edges.map((edge) => edge.node);
        if (again && !stopped) setItems((items) => merge(items, again));
      });
    return () => {
      stopped = true;
    };
  }, [client, unreadCount, loaded]);

  return {
    items,
    failed,
    announcement,
    /** Shows items as read once the server has marked them. */
    markedRead(ids: 'all' | string[]) {
      setItems(
        (current) =>
          current?.map((item) =>
            ids === 'all' || ids.includes(item.id) ? { ...item, read: true } : item,
          ) ?? null,
      );
    },
  };
}

/** Newest first, each id once; `incoming` (newest first) wins over what was there. */
function merge(current: Item[] | null, incoming: Item[]): Item[] {
  const seen = new Set<string>();
  const all = [...incoming, ...(current ?? [])].filter((item) => {
    if (seen.has(item.id)) return false;
    seen.add(item.id);
    return true;
  });
  return all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}
