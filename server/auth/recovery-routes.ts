// Verifying an address and resetting a forgotten password, by the links
// mailed to it (recovery.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { PasswordResetBodySchema, PasswordResetConfirmBodySchema, VerifyEmailBodySchema } from '../contract/auth';
import { ProblemSchema } from '../contract/problem';
import { LIMITS } from '../limits/plugin';
import { confirmPasswordReset, requestPasswordReset, resendVerification, verifyEmail } from './recovery';
import { authenticate, requireUser } from './session';

const recoveryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/verify-email',
    {
      schema: {
        tags: ['auth'],
        summary: 'Confirm an address with the token of the link mailed to it (no session needed: the link may open on another device)',
        body: VerifyEmailBodySchema,
        response: { 204: Type.Null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await verifyEmail(app.db, request.body.token, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/verify-email/resend',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.verifyResendPerAccount] },
      schema: {
        tags: ['auth'],
        summary: 'Mail a new verification link to your address',
        response: { 202: Type.Null(), 401: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      await resendVerification(app.db, requireUser(request).id, app.clock.now());
      return reply.status(202).send(null);
    },
  );

  app.post(
    '/auth/password-reset',
    {
      config: { limits: [LIMITS.resetPerEmail, LIMITS.resetPerIp] },
      schema: {
        tags: ['auth'],
        summary: 'Mail a link to choose a new password (valid an hour, once)',
        description: 'Always 202, whether or not an account uses the address: the answer tells nobody who has an account.',
        body: PasswordResetBodySchema,
        response: { 202: Type.Null(), 400: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(app.db, request.body.email, app.clock.now());
      return reply.status(202).send(null);
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      schema: {
        tags: ['auth'],
        summary: 'Choose a new password with the token of a reset link; signs out every session of the account',
        description: '400 when the link does not work (used, expired, cut short) or the password falls short of the policy (the link then still works).',
        body: PasswordResetConfirmBodySchema,
        response: { 204: Type.Null(), 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(app.db, request.body.token, request.body.password, app.clock.now());
      return reply.status(204).send(null);
    },
  );
};

export default recoveryRoutes;
