import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { SESSION_TTL_MS, type SessionUser, sessionsRepo } from '../auth/repository';
import { unauthorized } from '../http/problem';

export const SESSION_COOKIE = 'aidmap_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, or null. Resolved once per API request. */
    user: SessionUser | null;
    sessionToken: string | null;
  }
}

/** The signed-in user, or a 401 problem. */
export function requireUser(request: FastifyRequest): SessionUser {
  if (!request.user) {
    throw unauthorized('Sign in to do this.');
  }
  return request.user;
}

/** A preValidation hook: 401 before the body is even looked at. */
export async function authenticate(request: FastifyRequest): Promise<void> {
  requireUser(request);
}

/** `Secure` when configured, and whenever the request itself came over HTTPS. */
function secureFor(reply: FastifyReply, forced: boolean): boolean {
  return forced || reply.request.protocol === 'https';
}

export function setSessionCookie(reply: FastifyReply, token: string, forceSecure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secureFor(reply, forceSecure),
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply, forceSecure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secureFor(reply, forceSecure), path: '/' });
}

export default fp(
  async function session(app: FastifyInstance) {
    await app.register(cookie);
    // Routes behind `authenticate` say so in the OpenAPI document.
    app.addHook('onRoute', (route) => {
      if ([route.preValidation].flat().includes(authenticate) && route.schema) {
        route.schema = { ...route.schema, security: [{ session: [] }] } as typeof route.schema;
      }
    });
    app.decorateRequest('user', null);
    app.decorateRequest('sessionToken', null);
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/api/') && !/^\/ws(\?|$)/.test(request.url)) {
        return;
      }
      const token = request.cookies[SESSION_COOKIE];
      // Tokens are 43 base64url characters; anything else cannot be a session.
      if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
        return;
      }
      const user = await sessionsRepo.userFor(app.db, token, app.clock.now());
      if (user) {
        request.user = user;
        request.sessionToken = token;
      }
    });
  },
  { name: 'session', dependencies: ['database'] },
);
