import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { announceEnded, LAST_SEEN_EVERY_MS, type SessionLifetime, type SessionUser, sessionsRepo } from './repository';
import { unauthorized } from '../http/problem';

export const SESSION_COOKIE = 'aidmap_session';

declare module 'fastify' {
  interface FastifyInstance {
    /** How long sessions last (SESSION_IDLE_DAYS, SESSION_MAX_DAYS). */
    sessionLifetime: SessionLifetime;
  }
  interface FastifyRequest {
    /** The signed-in user, or null. Resolved once per API request. */
    user: SessionUser | null;
    sessionToken: string | null;
  }
}

/** The signed-in user, or a 401 problem. */
export function requireUser(request: FastifyRequest): SessionUser {
  if (!request.user) {
    throw unauthorized('Sign in to do this.', 'sign_in');
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
    // The browser may drop it at the absolute end; the idle end is the server's to judge.
    maxAge: Math.floor(reply.server.sessionLifetime.maxMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, forceSecure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secureFor(reply, forceSecure), path: '/' });
}

/** How often ended sessions are deleted (and their sockets closed) by whichever instance gets there. */
const PRUNE_EVERY_MS = 60 * 60_000;

export default fp(
  async function session(app: FastifyInstance, opts: SessionLifetime) {
    const lifetime: SessionLifetime = { idleMs: opts.idleMs, maxMs: opts.maxMs };
    app.decorate('sessionLifetime', lifetime);
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
      const now = app.clock.now();
      const found = await sessionsRepo.userFor(app.db, token, now, lifetime);
      if (!found) {
        return;
      }
      request.user = found.user;
      request.sessionToken = token;
      // Written only when older than LAST_SEEN_EVERY_MS: one write per session every few minutes, not one per request.
      if (now.getTime() - found.lastSeenAt.getTime() >= LAST_SEEN_EVERY_MS) {
        await sessionsRepo.touch(app.db, token, now);
      }
    });
    app.jobs.every('prune ended sessions', PRUNE_EVERY_MS, () => endIdleSessions(app));
  },
  { name: 'session', dependencies: ['database', 'jobs'] },
);

/**
 * Deletes the sessions that have ended (idle, or past their end) and closes
 * their sockets on every instance: an open socket is no request, so a tab
 * left open does not keep receiving a signed-out person's private events.
 */
export async function endIdleSessions(app: FastifyInstance): Promise<number> {
  const ended = await sessionsRepo.prune(app.db, app.clock.now(), app.sessionLifetime);
  await announceEnded(app.db, ended);
  return ended.length;
}
