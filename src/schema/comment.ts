// Comments, and the notification a comment sends to the post's author.
import { z } from 'zod';
import { forbidden, notFound } from '../errors.js';
import { characters, decodeId, parseInput } from './args.js';
import { builder, viewerId } from './builder.js';
import { needsRelations } from './query-needs.js';

export const Comment = builder.prismaNode('Comment', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    text: t.exposeString('text'),
    author: t.relation('author'),
    post: t.relation('post'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const text = z
  .string()
  .trim()
  .pipe(characters(1, 5_000, 'The comment cannot be empty.', 'Use at most 5,000 characters.'));

// Built once: zod compiles an object schema when it is created.
const createRules = z.object({ text });

const CreateCommentInput = builder.inputType('CreateCommentInput', {
  fields: (t) => ({
    postId: t.id({ required: true }),
    text: t.string({ required: true }),
  }),
});

builder.mutationFields((t) => ({
  createComment: t.prismaField({
    type: 'Comment',
    args: { input: t.arg({ type: CreateCommentInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const authorId = viewerId(ctx);
      const postId = decodeId(args.input.postId, 'Post', 'postId');
      const input = parseInput(createRules, args.input);
      // Stored with its notification in one statement, with the comments of other
      // requests when they arrive together (notifications/comment-store.ts).
      const written = await ctx.comments.write({ postId, authorId, text: input.text });
      if (!written) throw notFound('Post');
      const { comment } = written;
      await ctx.notifier.created(written.stored);
      // The row has every scalar; only a selection of relations needs a read.
      if (!needsRelations(query)) return comment;
      return ctx.prisma.comment.findUniqueOrThrow({ ...query, where: { id: comment.id } });
    },
  }),
  deleteComment: t.id({
    description: "Only the comment's author may delete. Returns the deleted comment's id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = viewerId(ctx);
      const id = decodeId(args.id, 'Comment', 'id');
      const comment = await ctx.prisma.comment.findUnique({
        where: { id },
        select: { authorId: true },
      });
      if (!comment) throw notFound('Comment');
      if (comment.authorId !== userId) throw forbidden('Only the author may delete this comment.');
      await ctx.prisma.comment.delete({ where: { id } });
      return args.id;
    },
  }),
}));
