// Posts: reading, writing, and the fan-out to followers on publication.
import { z } from 'zod';
import { forbidden, notFound } from '../errors.js';
import { Prisma } from '../generated/prisma/client.js';
import {
  createdFrom,
  NOTIFIED_JSON,
  notificationCtes,
  writeCause,
} from '../notifications/store.js';
import { characters, checkPage, decodeId, parseInput } from './args.js';
import { builder, viewerId } from './builder.js';
import { needsRelations } from './query-needs.js';

export const Post = builder.prismaNode('Post', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    author: t.relation('author'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    comments: t.relatedConnection('comments', {
      description: 'Comments, oldest first.',
      cursor: 'id',
      query: (args) => {
        checkPage(args);
        return { orderBy: { id: 'asc' } };
      },
    }),
    commentCount: t.relationCount('comments'),
  }),
});

type PostRow = {
  id: number;
  title: string;
  body: string;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
  notified: string;
};

const title = z
  .string()
  .trim()
  .pipe(characters(1, 200, 'The title cannot be empty.', 'Use at most 200 characters.'));
const body = characters(0, 20_000, '', 'Use at most 20,000 characters.');
const createRules = z.object({ title, body });
const updateRules = z.object({ title: title.nullish(), body: body.nullish() });

const CreatePostInput = builder.inputType('CreatePostInput', {
  fields: (t) => ({
    title: t.string({ required: true }),
    body: t.string({ required: true }),
  }),
});

const UpdatePostInput = builder.inputType('UpdatePostInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    title: t.string(),
    body: t.string(),
  }),
});

builder.queryFields((t) => ({
  post: t.prismaField({
    type: 'Post',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.post.findUnique({ ...query, where: { id: decodeId(args.id, 'Post', 'id') } }),
  }),
  posts: t.prismaConnection({
    type: 'Post',
    cursor: 'id',
    description: 'All posts, newest first.',
    resolve: (query, _root, args, ctx) => {
      checkPage(args);
      return ctx.prisma.post.findMany({ ...query, orderBy: { id: 'desc' } });
    },
  }),
}));

/** The post, if the viewer wrote it: NOT_FOUND when missing, FORBIDDEN when someone else's. */
async function ownPost(ctx: Parameters<typeof viewerId>[0], globalId: string, field: string) {
  const authorId = viewerId(ctx);
  const id = decodeId(globalId, 'Post', field);
  const post = await ctx.prisma.post.findUnique({ where: { id }, select: { authorId: true } });
  if (!post) throw notFound('Post');
  if (post.authorId !== authorId) throw forbidden('Only the author may change this post.');
  return id;
}

builder.mutationFields((t) => ({
  createPost: t.prismaField({
    type: 'Post',
    args: { input: t.arg({ type: CreatePostInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const authorId = viewerId(ctx);
      const input = parseInput(createRules, args.input);
      // One statement: the post and its followers' notifications, in one round trip
      // and atomically. updatedAt is written here because Prisma's @updatedAt is not.
      const row = await writeCause<PostRow>(
        ctx.hot,
        Prisma.sql`
        WITH "post" AS (
          INSERT INTO "Post" ("title", "body", "authorId", "updatedAt")
          VALUES (${input.title}, ${input.body}, ${authorId}::int, CURRENT_TIMESTAMP)
          RETURNING *
        ),
        ${notificationCtes('NEW_POST_BY_FOLLOWED', { actorId: authorId, postId: Prisma.sql`(SELECT "id" FROM "post")`, text: input.title }, ctx.outbox)}
        SELECT p.*, ${NOTIFIED_JSON} AS "notified" FROM "post" p`,
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      const { notified, ...post } = row;
      await ctx.notifier.created(
        createdFrom(notified, { post: { id: post.id, title: post.title }, comment: null }),
      );
      // The row has every scalar; only a selection of relations needs a read.
      if (!needsRelations(query)) return post;
      return ctx.prisma.post.findUniqueOrThrow({ ...query, where: { id: post.id } });
    },
  }),
  updatePost: t.prismaField({
    type: 'Post',
    description: 'Only the author may update. FORBIDDEN otherwise.',
    args: { input: t.arg({ type: UpdatePostInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await ownPost(ctx, args.input.id, 'id');
      const input = parseInput(updateRules, args.input);
      return ctx.prisma.post.update({
        ...query,
        where: { id },
        data: { title: input.title ?? undefined, body: input.body ?? undefined },
      });
    },
  }),
  deletePost: t.id({
    description: "Only the author may delete. Returns the deleted post's id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = await ownPost(ctx, args.id, 'id');
      // Comments go with the post; notifications about it stay, pointing at nothing.
      await ctx.prisma.post.delete({ where: { id } });
      return args.id;
    },
  }),
}));
