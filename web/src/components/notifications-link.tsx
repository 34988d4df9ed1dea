// The header's link to the notifications, whose name carries the unread count. The count
// comes from the server (unreadNotificationCountChanged), never from counting here, so
// every tab shows the same number and reads elsewhere are reflected at once.
import { useSubscription } from 'urql';
import { UnreadCount } from '../operations/notifications';
import { Link } from '../router';

export function NotificationsLink({ current }: { current: boolean }) {
  const [{ data }] = useSubscription({ query: UnreadCount });
  const count = data?.unreadNotificationCountChanged ?? 0;
  // The visible text is the accessible name, "Notifications" or "Notifications, <n> unread":
  // only inline elements, since browsers add spaces around others when computing a name.
  return (
    <Link to="/notifications" aria-current={current ? 'page' : undefined}>
      Notifications
      {count > 0 && (
        <>
          , <span className="badge">{count} unread</span>
        </>
      )}
    </Link>
  );
}
