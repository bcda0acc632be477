// The signed-in person's account: the name others see, and deleting it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { authenticate, clearSessionCookie, requireUser } from '../auth/session';
import { ProblemSchema } from '../contract/problem';
import { LIMITS } from '../limits/plugin';
import { StringEnum } from '../contract/types';
import { deleteAccount, FORMER_NEIGHBOUR, LOCALES, updateAccount } from './service';

const accountRoutes: FastifyPluginAsyncTypebox<{ cookieSecure: boolean }> = async (app, opts) => {
  app.patch(
    '/me',
    {
      preValidation: authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Change the name others see, or the language mails and pushes are written in',
        body: Type.Object(
          {
            displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
            locale: Type.Optional(StringEnum(LOCALES, { description: 'the language of mails and pushes; the app sends the one chosen in it' })),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Object({ displayName: Type.String(), locale: StringEnum(LOCALES) }), 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request) => updateAccount(app.db, requireUser(request), request.body),
  );

  app.delete(
    '/me',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.passwordPerAccount] },
      schema: {
        tags: ['auth'],
        summary: 'Delete your account, after giving your password again',
        description:
          'Every open post is cancelled (the other side of each match is told), every exact place is erased, and you are signed out everywhere. ' +
          `Messages you wrote stay in the other person's thread, from "${FORMER_NEIGHBOUR}". The address may sign up again. 403 when the password is not right.`,
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ cancelledPosts: Type.Integer() }), 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const result = await deleteAccount(app.db, requireUser(request), request.body.password, app.clock.now());
      clearSessionCookie(reply, opts.cookieSecure);
      return result;
    },
  );
};

export default accountRoutes;
