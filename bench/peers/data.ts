// The data side every GraphQL peer shares, so that peers differ from this server
// in transport and pub/sub only, not in what they write: the same Prisma schema
// and client (src/generated), the comment and its notification in one
// transaction, a post's notifications in one INSERT … SELECT.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';

export const SDL = /* GraphQL */ `
  type User { id: ID! username: String! }
  type Notification { id: ID! kind: String! message: String! peek: String! actor: User! }
  type Comment { id: ID! }
  type Post { id: ID! }
  input CreateCommentInput { postId: ID! text: String! }
  input CreatePostInput { title: String! body: String! }
  type Query { ok: Boolean! }
  type Mutation {
    createComment(input: CreateCommentInput!): Comment!
    createPost(input: CreatePostInput!): Post!
  }
  type Subscription { notificationAdded: Notification! }
`;

/** What a peer publishes: the whole notification, ready to be sent as it is. */
export type NotificationEvent = {
  id: number;
  recipientId: number;
  kind: string;
  message: string;
  peek: string;
  actor: { username: string };
};

const peek = (text: string) => `${Array.from(text).slice(0, 10).join('')}...`;

export function openPrisma(): PrismaClient {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}

/** Bench authentication: the user id the load generator claims (no tokens). */
export function benchUser(value: unknown): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('unauthenticated');
  return id;
}

export async function createComment(
  prisma: PrismaClient,
  viewerId: number,
  input: { postId: string; text: string },
): Promise<{ comment: { id: number }; created: NotificationEvent[] }> {
  const postId = Number(input.postId);
  return prisma.$transaction(async (tx) => {
    const post = await tx.post.findUnique({ where: { id: postId }, select: { authorId: true } });
    if (!post) throw new Error('Post not found');
    const comment = await tx.comment.create({
      data: { text: input.text, postId, authorId: viewerId },
      select: { id: true },
    });
    if (post.authorId === viewerId) return { comment, created: [] };
    const actor = await tx.user.findUniqueOrThrow({
      where: { id: viewerId },
      select: { username: true },
    });
    const created = await tx.notification.create({
      data: {
        recipientId: post.authorId,
        kind: 'COMMENT_ON_POST',
        actorId: viewerId,
        postId,
        commentId: comment.id,
        message: `${actor.username} commented on your post.`,
        peek: peek(input.text),
      },
      select: { id: true, recipientId: true, kind: true, message: true, peek: true },
    });
    return { comment, created: [{ ...created, actor }] };
  });
}

export async function createPost(
  prisma: PrismaClient,
  authorId: number,
  input: { title: string; body: string },
): Promise<{ post: { id: number }; created: NotificationEvent[] }> {
  return prisma.$transaction(async (tx) => {
    const post = await tx.post.create({ data: { ...input, authorId }, select: { id: true } });
    const actor = await tx.user.findUniqueOrThrow({
      where: { id: authorId },
      select: { username: true },
    });
    const message = `${actor.username} published a new post.`;
    const rows = await tx.$queryRaw<{ id: number; recipientId: number }[]>`
      INSERT INTO "Notification" ("recipientId", "kind", "actorId", "postId", "message", "peek")
      SELECT "followerId", 'NEW_POST_BY_FOLLOWED'::"NotificationKind", ${authorId}::int,
             ${post.id}::int, ${message}, ${peek(input.title)}
      FROM "Follow" WHERE "followingId" = ${authorId}::int
      RETURNING "id", "recipientId"`;
    const created = rows.map((row) => ({
      ...row,
      kind: 'NEW_POST_BY_FOLLOWED',
      message,
      peek: peek(input.title),
      actor,
    }));
    return { post, created };
  });
}

/** Every peer announces itself the way this server does, so the runner finds its URL. */
export function announce(port: number) {
  console.log(`ready at http://127.0.0.1:${port}/graphql`);
}
