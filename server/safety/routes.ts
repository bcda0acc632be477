import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { block, myBlocks, unblock } from './blocks';
import { ProblemSchema } from '../contract/problem';
import { DateTime, Uuid } from '../contract/types';
import { authenticate, requireUser } from '../auth/session';

const Blocked = Type.Object({ user: Type.Object({ id: Uuid, displayName: Type.String() }), createdAt: DateTime });
const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema };

const safetyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/blocks',
    {
      preValidation: authenticate,
      schema: {
        tags: ['safety'],
        summary: "Block someone: neither sees the other's posts, and you cannot be matched (live matches between you are cancelled)",
        body: Type.Object({ userId: Uuid }, { additionalProperties: false }),
        response: { 200: Type.Null(), 201: Type.Null(), ...problems },
      },
    },
    async (request, reply) => {
      const created = await block(app.db, requireUser(request), request.body.userId, app.clock.now());
      return reply.status(created ? 201 : 200).send(null);
    },
  );

  app.delete(
    '/blocks/:userId',
    { preValidation: authenticate, schema: { tags: ['safety'], summary: 'Unblock someone', params: Type.Object({ userId: Uuid }), response: { 204: Type.Null(), ...problems } } },
    async (request, reply) => {
      await unblock(app.db, requireUser(request), request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me/blocks',
    { preValidation: authenticate, schema: { tags: ['safety'], summary: 'The people you blocked', response: { 200: Type.Object({ items: Type.Array(Blocked) }), ...problems } } },
    async (request) => ({ items: await myBlocks(app.db, requireUser(request)) }),
  );
};

export default safetyRoutes;
