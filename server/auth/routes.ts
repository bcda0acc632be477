import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import rateLimit from '@fastify/rate-limit';
import { HttpProblem, ProblemSchema, conflict, forbidden, invalid, unauthorized } from '../http/problem';
import { authenticate, clearSessionCookie, requireUser, setSessionCookie } from '../plugins/session';
import { announceSignOut } from '../live/outbox';
import { hashPassword, verifyPassword } from './passwords';
import { isEmail, normalizeEmail, sessionKey, sessionsRepo, toUser, usersRepo } from './repository';
import { LoginBodySchema, SignupBodySchema, UserReplySchema } from './schemas';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema };

/** Password guesses allowed per address and client IP in LOGIN_WINDOW. */
export const LOGIN_ATTEMPTS = 10;
const LOGIN_WINDOW = '15 minutes';

const authRoutes: FastifyPluginAsyncTypebox<{ cookieSecure: boolean }> = async (app, opts) => {
  // Limits guessing one account's password, keyed by address and IP so a
  // shared connection (a library, a community center) does not lock out its
  // neighbors. Counted in this process's memory: a restart forgets, and each
  // process behind a load balancer counts on its own.
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(
        429,
        `Too many sign-in attempts for this address. Wait ${context.after} and try again.`,
      ),
  });

  app.post(
    '/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account and sign in',
        body: SignupBodySchema,
        response: { 201: UserReplySchema, ...problems },
      },
    },
    async (request, reply) => {
      const displayName = request.body.displayName.trim();
      const email = normalizeEmail(request.body.email);
      const errors = [
        ...(isEmail(email) ? [] : [{ path: '/email', message: 'must be an e-mail address, like name@example.org' }]),
        ...(displayName === '' ? [{ path: '/displayName', message: 'must not be blank' }] : []),
      ];
      if (errors.length > 0) {
        throw invalid(errors);
      }
      const passwordHash = await hashPassword(request.body.password);
      // The account and its first session together, or neither.
      const created = await app.db.transaction(async (tx) => {
        const user = await usersRepo.create(tx, { email, passwordHash, displayName });
        return user ? { user, session: await sessionsRepo.create(tx, user.id, app.clock.now()) } : null;
      });
      if (!created) {
        throw conflict('An account with this e-mail address already exists. Sign in instead.', [
          { path: '/email', message: 'is already registered' },
        ]);
      }
      const { user, session } = created;
      setSessionCookie(reply, session.token, opts.cookieSecure);
      return reply.status(201).send({ user: toUser(user) });
    },
  );

  app.post(
    '/auth/login',
    {
      config: {
        rateLimit: {
          max: LOGIN_ATTEMPTS,
          timeWindow: LOGIN_WINDOW,
          keyGenerator: (request) => `${request.ip}|${normalizeEmail(String((request.body as { email?: unknown } | undefined)?.email ?? ''))}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Sign in',
        body: LoginBodySchema,
        response: { 200: UserReplySchema, ...problems },
      },
    },
    async (request, reply) => {
      const found = await usersRepo.findByEmail(app.db, normalizeEmail(request.body.email));
      // One answer, and the same work, whether or not the address exists.
      const ok = await verifyPassword(found?.passwordHash, request.body.password);
      if (!found || !ok) {
        throw unauthorized('The e-mail address or the password is not right.');
      }
      // Told only to whoever knows the password: a suspension is no one else's business.
      if (found.suspendedAt) {
        throw forbidden('This account is suspended by the platform moderators; it cannot sign in.');
      }
      const session = await sessionsRepo.create(app.db, found.id, app.clock.now());
      setSessionCookie(reply, session.token, opts.cookieSecure);
      return { user: toUser(found) };
    },
  );

  app.post(
    '/auth/logout',
    { preValidation: authenticate, schema: { tags: ['auth'], summary: 'Sign out of this session', response: { 204: Type.Null(), 401: ProblemSchema } } },
    async (request, reply) => {
      requireUser(request);
      await sessionsRepo.delete(app.db, request.sessionToken!);
      await announceSignOut(app.db, sessionKey(request.sessionToken!));
      clearSessionCookie(reply, opts.cookieSecure);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    { preValidation: authenticate, schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: UserReplySchema, 401: ProblemSchema } } },
    async (request) => ({ user: toUser(requireUser(request)) }),
  );
};

export default authRoutes;
