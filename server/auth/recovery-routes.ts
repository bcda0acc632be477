// Verifying an address and resetting a forgotten password, by the links
// mailed to it (recovery.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  EmailChangeBodySchema,
  EmailChangeConfirmBodySchema,
  EmailChangeConfirmReplySchema,
  EmailChangeReplySchema,
  PasswordResetBodySchema,
  PasswordResetConfirmBodySchema,
  VerifyEmailBodySchema,
} from '../contract/auth';
import { ProblemSchema } from '../contract/problem';
import { LIMITS } from '../limits/plugin';
import { confirmEmailChange, confirmPasswordReset, requestEmailChange, requestPasswordReset, resendVerification, verifyEmail } from './recovery';
import { authenticate, requireUser } from './session';

const recoveryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/verify-email',
    {
      config: { limits: [LIMITS.tokenPerIp] },
      schema: {
        tags: ['auth'],
        summary: 'Confirm an address with the token of the link mailed to it (no session needed: the link may open on another device)',
        body: VerifyEmailBodySchema,
        response: { 204: Type.Null(), 400: ProblemSchema, 429: ProblemSchema },
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
      config: { limits: [LIMITS.tokenPerIp] },
      schema: {
        tags: ['auth'],
        summary: 'Choose a new password with the token of a reset link; signs out every session of the account',
        description: '400 when the link does not work (used, expired, cut short) or the password falls short of the policy (the link then still works).',
        body: PasswordResetConfirmBodySchema,
        response: { 204: Type.Null(), 400: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(app.db, request.body.token, request.body.password, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/email',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.passwordPerAccount, LIMITS.emailChangePerAccount] },
      schema: {
        tags: ['auth'],
        summary: 'Move your account to another e-mail address, after giving your password again',
        description:
          'Mails a link to the new address (valid 24 hours, once) and tells the current one. The account keeps its address until the link is opened; ' +
          '403 when the password is not right, 409 when the address is yours already or another account uses it.',
        body: EmailChangeBodySchema,
        response: { 202: EmailChangeReplySchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => reply.status(202).send(await requestEmailChange(app.db, requireUser(request).id, request.body, app.clock.now())),
  );

  app.post(
    '/auth/email-change/confirm',
    {
      config: { limits: [LIMITS.tokenPerIp] },
      schema: {
        tags: ['auth'],
        summary: 'Move the account to the address its link was mailed to (no session needed: the link may open on another device)',
        description: 'The address becomes the account’s, verified. 400 when the link does not work; 409 when another account took the address meanwhile.',
        body: EmailChangeConfirmBodySchema,
        response: { 200: EmailChangeConfirmReplySchema, 400: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request) => confirmEmailChange(app.db, request.body.token, app.clock.now()),
  );
};

export default recoveryRoutes;
