import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { LIMITS } from '../limits/plugin';
import { toUser } from './repository';
import { changePassword, endOtherSessions, endSession, listSessions, logIn, logOut, type SessionStart, signUp } from './service';
import { ProblemSchema } from '../contract/problem';
import {
  ChangePasswordBodySchema,
  EndedSessionsReplySchema,
  LoginBodySchema,
  MAIL_LOCALES,
  type MailLocale,
  SessionParamsSchema,
  SessionsReplySchema,
  SignupBodySchema,
  UserReplySchema,
} from '../contract/auth';
import { authenticate, clearSessionCookie, requireUser, setSessionCookie } from './session';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema };

/**
 * The language of a new account's mails when the app does not say: the one
 * of ours the browser prefers most (Accept-Language, RFC 9110 §12.5.4), so
 * the verification mail, sent at once, is already in it; else English.
 */
export function localeFromAcceptLanguage(header: string | undefined): MailLocale {
  let best: { locale: MailLocale; q: number } | null = null;
  for (const range of (header ?? '').split(',').slice(0, 20)) {
    const [tag, ...params] = range.trim().toLowerCase().split(';');
    const locale = MAIL_LOCALES.find((l) => l === tag!.split('-')[0]);
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (locale && Number.isFinite(q) && q > 0 && (!best || q > best.q)) {
      best = { locale, q };
    }
  }
  return best?.locale ?? 'en';
}

const authRoutes: FastifyPluginAsyncTypebox<{ cookieSecure: boolean }> = async (app, opts) => {
  const sessionStart = (request: FastifyRequest): SessionStart => ({ now: app.clock.now(), lifetime: app.sessionLifetime, userAgent: request.headers['user-agent'] });

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
      const locale = request.body.locale ?? localeFromAcceptLanguage(request.headers['accept-language']);
      const { user, session } = await signUp(app.db, { ...request.body, locale }, sessionStart(request));
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
      const { user, session } = await logIn(app.db, request.body, sessionStart(request));
      setSessionCookie(reply, session.token, opts.cookieSecure);
      return { user: toUser(user) };
    },
  );

  app.post(
    '/auth/logout',
    { preValidation: authenticate, schema: { tags: ['auth'], summary: 'Sign out of this session', response: { 204: Type.Null(), 401: ProblemSchema } } },
    async (request, reply) => {
      requireUser(request);
      await logOut(app.db, request.sessionToken!);
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
      config: { limits: [LIMITS.passwordPerAccount] },
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
      const ended = await changePassword(app.db, user, request.sessionToken!, request.body);
      request.log.info({ userId: user.id, endedSessions: ended }, 'password changed');
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
      return { items: await listSessions(app.db, user, request.sessionToken!, app.clock.now(), app.sessionLifetime) };
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
      const { wasCurrent } = await endSession(app.db, user, request.sessionToken!, request.params.id, app.clock.now(), app.sessionLifetime);
      if (wasCurrent) {
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
      return { ended: await endOtherSessions(app.db, user, request.sessionToken!) };
    },
  );
};

export default authRoutes;
