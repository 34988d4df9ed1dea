// Users: sign-up, log-in, profiles and follows.
import { z } from 'zod';
import { getDecoyHash, hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Context } from '../context.js';
import { badInput, notFound } from '../errors.js';
import { characters, checkPage, decodeId, parseInput } from './args.js';
import { builder, viewerId } from './builder.js';

export const User = builder.prismaNode('User', {
  id: { field: 'id' },
  nullable: true,
  fields: (t) => ({
    username: t.exposeString('username'),
    email: t.string({
      nullable: true,
      description: 'Only visible to the user themself; null for everyone else.',
      select: { email: true },
      resolve: (user, _args, ctx) => (ctx.viewer?.id === user.id ? user.email : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    posts: t.relatedConnection('posts', {
      description: "The user's posts, newest first.",
      cursor: 'id',
      query: (args) => {
        checkPage(args);
        return { orderBy: { id: 'desc' } };
      },
    }),
    followerCount: t.relationCount('followers'),
    followingCount: t.relationCount('following'),
    viewerIsFollowing: t.boolean({
      description: 'Whether the signed-in viewer follows this user (false when anonymous).',
      select: (_args, ctx) => ({
        followers: { where: { followerId: ctx.viewer?.id ?? 0 }, select: { followerId: true } },
      }),
      resolve: (user) => user.followers.length > 0,
    }),
  }),
});

const AuthPayload = builder
  .objectRef<{ token: string; expiresAt: Date; userId: number }>('AuthPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', {
        description:
          'Bearer token: send as `Authorization: Bearer <token>` over HTTP and SSE,\nand as connectionParams `{ authorization: "Bearer <token>" }` over graphql-ws.',
      }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
      user: t.prismaField({
        type: 'User',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: payload.userId } }),
      }),
    }),
  });

/** Issues a token, and lets the rest of this operation (e.g. `user { email }`) see the new viewer. */
async function signedIn(ctx: Context, userId: number, version: number) {
  const { token, expiresAt } = await ctx.tokens.issue(userId, version);
  ctx.viewer = { id: userId, tokenExpiresAt: expiresAt, tokenVersion: version };
  return { token, expiresAt, userId };
}

const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    username: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

const LogInInput = builder.inputType('LogInInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
  }),
});

const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  fields: (t) => ({
    currentPassword: t.string({ required: true }),
    newPassword: t.string({ required: true }),
  }),
});

const password = characters(8, 200, 'Use at least 8 characters.', 'Use at most 200 characters.');
const changePasswordRules = z.object({ currentPassword: z.string(), newPassword: password });

const signUpRules = z.object({
  email: z
    .string()
    .trim()
    .max(254, 'Use at most 254 characters.')
    .pipe(z.email('Enter a valid email address.')),
  username: z.string().regex(/^[A-Za-z0-9_]{3,30}$/, 'Use 3–30 letters, digits or underscores.'),
  password,
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The signed-in user, or null when anonymous.',
    resolve: (query, _root, _args, ctx) =>
      ctx.viewer ? ctx.prisma.user.findUnique({ ...query, where: { id: ctx.viewer.id } }) : null,
  }),
  user: t.prismaField({
    type: 'User',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.user.findUnique({ ...query, where: { id: decodeId(args.id, 'User', 'id') } }),
  }),
}));

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(signUpRules, args.input);
      const emailKey = input.email.toLowerCase();
      const usernameKey = input.username.toLowerCase();
      const taken = await ctx.prisma.user.findFirst({
        where: { OR: [{ emailKey }, { usernameKey }] },
        select: { emailKey: true },
      });
      if (taken) {
        throw taken.emailKey === emailKey
          ? badInput('email', 'This email is already registered.')
          : badInput('username', 'This username is taken.');
      }
      const passwordHash = await hashPassword(input.password);
      // The check above can race a concurrent sign-up; the unique indexes cannot.
      const user = await ctx.prisma.user
        .create({
          data: {
            email: input.email,
            emailKey,
            username: input.username,
            usernameKey,
            passwordHash,
          },
          select: { id: true, tokenVersion: true },
        })
        .catch(async (error: unknown) => {
          const again = await ctx.prisma.user.findFirst({
            where: { OR: [{ emailKey }, { usernameKey }] },
            select: { emailKey: true },
          });
          if (!again) throw error;
          throw again.emailKey === emailKey
            ? badInput('email', 'This email is already registered.')
            : badInput('username', 'This username is taken.');
        });
      return signedIn(ctx, user.id, user.tokenVersion);
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: LogInInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.limits.checkLogIn(args.input.email, ctx.clientIp);
      const user = await ctx.prisma.user.findUnique({
        where: { emailKey: args.input.email.trim().toLowerCase() },
        select: { id: true, passwordHash: true, tokenVersion: true },
      });
      // Verify against a decoy when there is no such user, so timing tells nothing either.
      const ok = await verifyPassword(
        user?.passwordHash ?? (await getDecoyHash()),
        args.input.password,
      );
      if (!user || !ok) {
        await ctx.limits.failedLogIn(args.input.email, ctx.clientIp);
        throw badInput(undefined, 'Wrong email or password.');
      }
      await ctx.limits.succeededLogIn(args.input.email, ctx.clientIp);
      return signedIn(ctx, user.id, user.tokenVersion);
    },
  }),
  logOut: t.boolean({
    description:
      "Revokes every token of the viewer, on every device, and closes the viewer's live sockets.",
    resolve: async (_root, _args, ctx) => {
      const id = viewerId(ctx);
      await ctx.prisma.user.update({ where: { id }, data: { tokenVersion: { increment: 1 } } });
      await ctx.sessions.announceRevoked(id);
      ctx.viewer = null;
      return true;
    },
  }),
  changePassword: t.field({
    type: AuthPayload,
    description:
      'Sets a new password. Every older token is revoked and its sockets closed; use the returned one.',
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = viewerId(ctx);
      const input = parseInput(changePasswordRules, args.input);
      const user = await ctx.prisma.user.findUniqueOrThrow({
        where: { id },
        select: { passwordHash: true },
      });
      if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
        throw badInput('currentPassword', 'The current password is wrong.');
      }
      const updated = await ctx.prisma.user.update({
        where: { id },
        data: {
          passwordHash: await hashPassword(input.newPassword),
          tokenVersion: { increment: 1 },
        },
        select: { tokenVersion: true },
      });
      await ctx.sessions.announceRevoked(id);
      return signedIn(ctx, id, updated.tokenVersion);
    },
  }),
  followUser: t.prismaField({
    type: 'User',
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const followerId = viewerId(ctx);
      const followingId = decodeId(args.userId, 'User', 'userId');
      if (followingId === followerId) throw badInput('userId', 'You cannot follow yourself.');
      const exists = await ctx.prisma.user.count({ where: { id: followingId } });
      if (!exists) throw notFound('User');
      await ctx.prisma.follow.upsert({
        where: { followerId_followingId: { followerId, followingId } },
        create: { followerId, followingId },
        update: {},
      });
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: followingId } });
    },
  }),
  unfollowUser: t.prismaField({
    type: 'User',
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const followerId = viewerId(ctx);
      const followingId = decodeId(args.userId, 'User', 'userId');
      await ctx.prisma.follow.deleteMany({ where: { followerId, followingId } });
      const user = await ctx.prisma.user.findUnique({ ...query, where: { id: followingId } });
      if (!user) throw notFound('User');
      return user;
    },
  }),
}));
