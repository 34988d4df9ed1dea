// One template per notification kind: subject and blocks (render.ts makes both bodies).
import type { NotificationKind } from '../../generated/prisma/client.js';
import { notificationLink } from '../links.js';
import type { Block, EmailContent } from './render.js';

/** A notification as an email needs it. */
export type MailNotification = {
  message: string;
  peek: string;
  postId: number | null;
  postTitle: string | null;
};

type Template = (items: readonly MailNotification[], publicUrl: string) => EmailContent;

const comment: Template = ([n], publicUrl) => {
  if (!n) throw new Error('a comment email needs its notification');
  const blocks: Block[] = [{ type: 'quote', text: n.peek }];
  blocks.push({
    type: 'text',
    text: n.postTitle === null ? 'On a post that was deleted.' : `On your post "${n.postTitle}".`,
  });
  blocks.push({
    type: 'link',
    label: n.postId === null ? 'Your notifications' : 'Open the post',
    href: notificationLink(publicUrl, n.postId),
  });
  return { subject: n.message, blocks };
};

const newPostsDigest: Template = (items, publicUrl) => {
  const count = items.length;
  return {
    subject: `${count} new ${count === 1 ? 'post' : 'posts'} from people you follow`,
    blocks: items.map((n) => ({
      type: 'item',
      title: n.message,
      detail: n.peek,
      href: notificationLink(publicUrl, n.postId),
    })),
  };
};

export const templates: Record<NotificationKind, Template> = {
  COMMENT_ON_POST: comment,
  NEW_POST_BY_FOLLOWED: newPostsDigest,
};
