// Where links in messages lead: PUBLIC_URL/posts/<global id>, or the notifications.
import { encodeGlobalID } from '@pothos/plugin-relay';

export function notificationLink(publicUrl: string, postId: number | null): string {
  const base = publicUrl.replace(/\/+$/, '');
  return postId === null
    ? `${base}/notifications`
    : `${base}/posts/${encodeGlobalID('Post', postId)}`;
}
