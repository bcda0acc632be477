import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { HttpProblem, conflict, forbidden, invalid, notFound, unauthorized } from '../http/problem';
import { LIMITS, type RouteLimit } from '../limits/plugin';
import { hashPassword, verifyPassword } from './passwords';
import { passwordProblems } from './policy';
import { isEmail, normalizeEmail, sessionKey, sessionKeyOfHash, sessionPublicId, sessionsRepo, toUser, usersRepo, announceSignOut } from './repository';
import { describeUserAgent } from './user-agent';
import { ProblemSchema } from '../contract/problem';
import { ChangePasswordBodySchema, EndedSessionsReplySchema, LoginBodySchema, SessionParamsSchema, SessionsReplySchema, SignupBodySchema, UserReplySchema } from '../contract/auth';
import { authenticate, clearSessionCookie, requireUser, setSessionCookie } from './session';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema };

/**
 * Tries at changing the password, per account. The route asks for the
 * current password, so without a limit a stolen session cookie would be a
 * way to guess it; each try also costs an argon2 hash.
 */
export const PASSWORD_CHANGE_LIMIT: RouteLimit = {
  name: 'password.account',
  by: 'account',
  max: 10,
  windowMs: 15 * 60_000,
  message: 'Too many tries at changing the password of this account.',
};

function userAgentOf(request: FastifyRequest): string | undefined {
  return request.headers['user-agent'];
}

const authRoutes: FastifyPluginAsyncTypebox<{ cookieSecure: boolean }> = async (app, opts) => {
  /** Closes the ended sessions' sockets on every instance (code 4001), as signing out does. */
  async function announceEnded(tokenHashes: Buffer[]): Promise<void> {
    for (const tokenHash of tokenHashes) {
      await announceSignOut(app.db, sessionKeyOfHash(tokenHash));
    }
  }

  app.post(
    '/auth/signup',
    {
      config: { limits: [LIMITS.signupPerIp] },
      schema: {
        tags: ['auth'],
        summary: 'Create an account and sign in',
        description: 'The password must be at least 10 characters, not the e-mail address or name, and not a common or easily guessed one; a 400 says which and what to do.',
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
        // Judged before hashing: a refused password costs no argon2 time.
        ...passwordProblems(request.body.password, { email, displayName }).map((message) => ({ path: '/password', message })),
      ];
      if (errors.length > 0) {
        throw invalid(errors);
      }
      const passwordHash = await hashPassword(request.body.password);
      // The account and its first session together, or neither.
      const created = await app.db.transaction(async (tx) => {
        const user = await usersRepo.create(tx, { email, passwordHash, displayName });
        return user
          ? { user, session: await sessionsRepo.create(tx, user.id, app.clock.now(), app.sessionLifetime, userAgentOf(request)) }
          : null;
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
      // Per (IP, address): one person's typos on a shared connection lock out no neighbor.
      // Per IP: one connection trying many addresses. Per address: many connections trying one.
      // All counted in PostgreSQL, so no flood of other keys can push a victim's count out.
      config: { limits: [LIMITS.loginPerIpAndEmail, LIMITS.loginPerIp, LIMITS.loginPerEmail] },
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
      const session = await sessionsRepo.create(app.db, found.id, app.clock.now(), app.sessionLifetime, userAgentOf(request));
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

  app.post(
    '/me/password',
    {
      preValidation: authenticate,
      config: { limits: [PASSWORD_CHANGE_LIMIT] },
      schema: {
        tags: ['auth'],
        summary: 'Change the password; signs out every other session',
        description:
          '204 when changed: every other session of the account ends (their sockets close with 4001), this one stays. ' +
          '403 when `currentPassword` is not right (not 401: the session itself is fine), 400 when the new password falls short of the policy.',
        body: ChangePasswordBodySchema,
        response: { 204: Type.Null(), 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      // The current password first: whoever holds only the cookie learns nothing else.
      const ok = await verifyPassword(await usersRepo.passwordHashOf(app.db, user.id), request.body.currentPassword);
      if (!ok) {
        throw new HttpProblem(403, 'The current password is not right.', [{ path: '/currentPassword', message: 'is not right' }]);
      }
      const errors = passwordProblems(request.body.newPassword, user).map((message) => ({ path: '/newPassword', message }));
      if (errors.length > 0) {
        throw invalid(errors);
      }
      const passwordHash = await hashPassword(request.body.newPassword);
      // Whoever else was signed in (perhaps the reason for the change) is out in the same commit.
      const ended = await app.db.transaction(async (tx) => {
        await usersRepo.setPasswordHash(tx, user.id, passwordHash);
        return sessionsRepo.deleteOthers(tx, user.id, request.sessionToken!);
      });
      await announceEnded(ended);
      request.log.info({ userId: user.id, endedSessions: ended.length }, 'password changed');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me/sessions',
    {
      preValidation: authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Your sessions: where you are signed in',
        description: 'This session first, then by last use. A session ends after SESSION_IDLE_DAYS without a request and SESSION_MAX_DAYS after sign-in.',
        response: { 200: SessionsReplySchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const current = sessionKey(request.sessionToken!);
      const rows = await sessionsRepo.listFor(app.db, user.id, app.clock.now(), app.sessionLifetime);
      const items = rows.map((row) => ({
        id: sessionPublicId(row.tokenHash),
        createdAt: row.createdAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        userAgent: describeUserAgent(row.userAgent),
        current: sessionKeyOfHash(row.tokenHash) === current,
      }));
      return { items: [...items.filter((s) => s.current), ...items.filter((s) => !s.current)] };
    },
  );

  app.delete(
    '/me/sessions/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Sign out one of your sessions',
        description: 'Its sockets close (4001). Naming this session signs this browser out too (the cookie is cleared). 404 for an id that is not one of your live sessions.',
        params: SessionParamsSchema,
        response: { 204: Type.Null(), 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const rows = await sessionsRepo.listFor(app.db, user.id, app.clock.now(), app.sessionLifetime);
      const target = rows.find((row) => sessionPublicId(row.tokenHash) === request.params.id);
      // Another account's session is as unknown as one that never was.
      if (!target || !(await sessionsRepo.deleteOwn(app.db, user.id, target.tokenHash))) {
        throw notFound('You have no session with this id; it may have ended already.');
      }
      await announceEnded([target.tokenHash]);
      if (sessionKeyOfHash(target.tokenHash) === sessionKey(request.sessionToken!)) {
        clearSessionCookie(reply, opts.cookieSecure);
      }
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/sessions/revoke-others',
    {
      preValidation: authenticate,
      schema: {
        tags: ['auth'],
        summary: 'Sign out everywhere else',
        description: 'Ends every session of the account but this one; their sockets close (4001).',
        response: { 200: EndedSessionsReplySchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const ended = await sessionsRepo.deleteOthers(app.db, user.id, request.sessionToken!);
      await announceEnded(ended);
      return { ended: ended.length };
    },
  );
};

export default authRoutes;
