// `/notifications`: the viewer's notifications, newest first, new ones arriving live.
import { useMutation } from 'urql';
import { FormAlert } from '../components/form-alert';
import { TimeAgo } from '../components/time-ago';
import { type Item, useNotificationFeed } from '../notification-feed';
import { MarkAllNotificationsRead, MarkNotificationRead } from '../operations/notifications';
import { Link, postPath } from '../router';
import { useTitle } from '../session-context';

export function NotificationsPage() {
  useTitle('Notifications');
  const feed = useNotificationFeed();
  const [marking, markAll] = useMutation(MarkAllNotificationsRead);
  const [, markRead] = useMutation(MarkNotificationRead);

  async function markAllRead() {
    const result = await markAll({});
    if (!result.error) feed.markedRead('all');
  }
  // The link opens the post at once; the item is marked read on the way.
  function opened(item: Item) {
    if (item.read) return;
    void markRead({ id: item.id }).then((result) => {
      if (!result.error) feed.markedRead([item.id]);
    });
  }

  return (
    <>
      <div className="page-heading">
        <h1>Notifications</h1>
        <button
          type="button"
          className="secondary"
          disabled={marking.fetching}
          onClick={() => void markAllRead()}
        >
          Mark all as read
        </button>
      </div>
      {marking.error && <FormAlert message="They could not be marked as read. Try again." />}
      {feed.failed && <FormAlert message="Your notifications could not be loaded." />}
      <p role="status" className="visually-hidden">
        {feed.announcement}
      </p>
      {feed.items === null && !feed.failed && <p>Loading…</p>}
      {feed.items?.length === 0 && (
        <p>Nothing yet. Comments on your posts and posts by people you follow show up here.</p>
      )}
      <ul className="items notifications">
        {feed.items?.map((item) => (
          <li key={item.id} className={item.read ? undefined : 'unread'}>
            {!item.read && <span className="visually-hidden">Unread: </span>}
            {item.post ? (
              <Link to={postPath(item.post.id)} className="item-title" onClick={() => opened(item)}>
                {item.message}
              </Link>
            ) : (
              <span className="item-title">{item.message}</span>
            )}
            <p className="peek">{item.peek}</p>
            <p className="meta">
              <TimeAgo at={item.createdAt} />
              {item.post ? ` · on “${item.post.title}”` : ' · the post was deleted'}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}
