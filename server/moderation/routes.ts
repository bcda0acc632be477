// Platform moderators' routes (the role is granted from the command line:
// cli.ts). Hiding and bringing back posts go through the posts' own routes
// (communities/routes.ts), which let a moderator act on any post.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ModerationFlagSchema, ModerationFlagsQuerySchema, ModerationLogEntrySchema, ModerationLogQuerySchema, SuspendAccountBodySchema } from './schemas';
import { moderationFlags, readModerationLog, suspendAccount, unsuspendAccount } from './service';
import { ProblemSchema } from '../contract/problem';
import { Page } from '../contract/types';
import { authenticate, requireUser } from '../auth/session';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema };

const moderationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/moderation/flags',
    {
      preValidation: authenticate,
      schema: {
        tags: ['moderation'],
        summary: 'Every report, newest first, with who filed it and a post’s exact place (platform moderators)',
        querystring: ModerationFlagsQuerySchema,
        response: { 200: Page(ModerationFlagSchema), ...problems },
      },
    },
    async (request) => moderationFlags(app.db, requireUser(request), request.query.before, request.query.limit ?? 50),
  );

  app.post(
    '/moderation/suspensions',
    {
      preValidation: authenticate,
      schema: {
        tags: ['moderation'],
        summary: 'Suspend an account platform-wide: its sessions end, it cannot sign in, its open posts leave listings and candidates (platform moderators)',
        body: SuspendAccountBodySchema,
        response: { 204: Type.Null(), ...problems },
      },
    },
    async (request, reply) => {
      await suspendAccount(app.db, requireUser(request), request.body.userId, request.body.reason, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/moderation/suspensions/:userId',
    {
      preValidation: authenticate,
      schema: {
        tags: ['moderation'],
        summary: 'Lift a platform suspension (platform moderators)',
        params: Type.Object({ userId: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null(), ...problems },
      },
    },
    async (request, reply) => {
      await unsuspendAccount(app.db, requireUser(request), request.params.userId, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/moderation/audit',
    {
      preValidation: authenticate,
      schema: {
        tags: ['moderation'],
        summary: "The moderation log, newest first: moderators' actions and the command line's grants (platform moderators)",
        querystring: ModerationLogQuerySchema,
        response: { 200: Page(ModerationLogEntrySchema), ...problems },
      },
    },
    async (request) => readModerationLog(app.db, requireUser(request), request.query.before, request.query.limit ?? 50),
  );
};

export default moderationRoutes;
