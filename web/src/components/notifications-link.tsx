// The header's link to the notifications, whose name carries the unread count. The count
// comes from the server (unreadNotificationCountChanged), never from counting here, so
// every tab shows the same number and reads elsewhere are reflected at once.
import { useSubscription } from 'urql';
import { UnreadCount } from '../operations/notifications';
import { Link } from '../router';

export function NotificationsLink({ current }: { current: boolean }) {
  const [{ data }] = useSubscription({ query: UnreadCount });
  const count = data?.unreadNotificationCountChanged ?? 0;
  // aria-label, because browsers put spaces around visually hidden text in a name, and
  // the name must be exactly "Notifications" or "Notifications, <n> unread".
  return (
    <Link
      to="/notifications"
      aria-current={current ? 'page' : undefined}
      aria-label={count > 0 ? `Notifications, ${count} unread` : 'Notifications'}
    >
      Notifications
      {count > 0 && (
        <span className="badge" aria-hidden="true">
          {count}
        </span>
      )}
    </Link>
  );
}
