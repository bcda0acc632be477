// Rate limits per route, per client IP and per account, counted in
// PostgreSQL (rate_counters) so every instance behind a load balancer shares
// them and no flood of other keys can evict a victim's counter. A route
// declares its limits in `config.limits`; they are checked before the
// handler (after sign-in and body validation), and the first one over its
// maximum answers 429 with Retry-After.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hitAll, type Limit, minutes, pruneCounters, tooManyRequests } from './counter';
import { pruneIdempotencyKeys } from '../http/idempotency';

export interface RouteLimit extends Limit {
  /**
   * Who is counted: the client's IP (behind a proxy, TRUST_PROXY makes it
   * the real one), the signed-in account (not counted when signed out: the
   * route answers 401), or a key of the route's own (undefined: not counted).
   */
  readonly by: 'ip' | 'account' | ((request: FastifyRequest) => string | undefined);
  /** What the person is told, before "Try again in …". */
  readonly message: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    limits?: RouteLimit[];
  }
}

const HOUR = 3_600_000;

/** The limits of each kind of write: generous for a person, tight for a script. */
export const LIMITS = {
  signupPerIp: { name: 'signup.ip', by: 'ip', max: 10, windowMs: HOUR, message: 'Too many accounts were made from this connection.' },
  loginPerIpAndEmail: {
    name: 'login.ip-email',
    by: (r) => `${r.ip}|${emailOf(r)}`,
    max: 10,
    windowMs: 15 * 60_000,
    message: 'Too many sign-in attempts for this address.',
  },
  // Guessing many addresses' passwords from one connection.
  loginPerIp: { name: 'login.ip', by: 'ip', max: 60, windowMs: 15 * 60_000, message: 'Too many sign-in attempts from this connection.' },
  // Guessing one address's password from many connections (high, so nobody can lock a person out cheaply).
  loginPerEmail: { name: 'login.email', by: (r) => emailOf(r), max: 100, windowMs: HOUR, message: 'Too many sign-in attempts for this address.' },
  postPerAccount: { name: 'post.account', by: 'account', max: 30, windowMs: HOUR, message: 'You have posted a lot in the last hour.' },
  postPerIp: { name: 'post.ip', by: 'ip', max: 120, windowMs: HOUR, message: 'A lot has been posted from this connection in the last hour.' },
  editPerAccount: { name: 'edit.account', by: 'account', max: 120, windowMs: HOUR, message: 'You have changed your posts a lot in the last hour.' },
  proposePerAccount: { name: 'propose.account', by: 'account', max: 30, windowMs: HOUR, message: 'You have proposed a lot of matches in the last hour.' },
  messagePerAccount: { name: 'message.account', by: 'account', max: 120, windowMs: HOUR, message: 'You have sent a lot of messages in the last hour.' },
  flagPerAccount: { name: 'flag.account', by: 'account', max: 20, windowMs: HOUR, message: 'You have sent a lot of reports in the last hour.' },
  // Reset links: few per address (each is a mail to someone who may not have asked), more per connection.
  resetPerEmail: { name: 'reset.email', by: (r) => emailOf(r), max: 3, windowMs: HOUR, message: 'A reset link was asked for this address several times in the last hour.' },
  resetPerIp: { name: 'reset.ip', by: 'ip', max: 20, windowMs: HOUR, message: 'Many reset links were asked for from this connection.' },
  // Every route that asks for the password again (change it, change the address, delete the account): one
  // counter, so a stolen session cookie gets one budget for guessing the password, and each try costs an argon2 hash.
  passwordPerAccount: { name: 'password.account', by: 'account', max: 10, windowMs: 15 * 60_000, message: 'Too many tries with the password of this account.' },
  emailChangePerAccount: { name: 'email-change.account', by: 'account', max: 5, windowMs: HOUR, message: 'You asked to change your address several times in the last hour.' },
  verifyResendPerAccount: { name: 'verify.account', by: 'account', max: 5, windowMs: HOUR, message: 'You asked for the verification link several times in the last hour.' },
  // The links' tokens (verify, reset, change of address) cannot be guessed, but each try is a database read
  // and a reset's an argon2 hash: one budget per connection for all three, far above a person's clicks.
  tokenPerIp: { name: 'token.ip', by: 'ip', max: 30, windowMs: 15 * 60_000, message: 'Many links were tried from this connection.' },
  communityPerIp: { name: 'community.ip', by: 'ip', max: 10, windowMs: 24 * HOUR, message: 'Many communities were started from this connection today.' },
} satisfies Record<string, RouteLimit>;

function emailOf(request: FastifyRequest): string | undefined {
  const email = (request.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : undefined;
}

export default fp(
  async function limits(app: FastifyInstance, opts: { scale: number }) {
    app.addHook('preHandler', async (request) => {
      const routeLimits = request.routeOptions.config.limits;
      if (!routeLimits) {
        return;
      }
      const counted: { limit: RouteLimit; key: string }[] = [];
      for (const limit of routeLimits) {
        const key = limit.by === 'ip' ? request.ip : limit.by === 'account' ? request.user?.id : limit.by(request);
        if (key !== undefined) {
          counted.push({ limit: { ...limit, max: Math.max(1, Math.round(limit.max * opts.scale)) }, key });
        }
      }
      // One statement for all of them (a round trip each was a tenth of a post's cost, issue 17), counted in turn.
      const hits = await hitAll(app.db, counted, app.clock.now());
      const over = hits.findIndex((h) => !h.allowed);
      if (over >= 0) {
        const { limit } = counted[over]!;
        request.log.info({ limit: limit.name }, 'rate limited');
        throw tooManyRequests(`${limit.message} Try again in ${minutes(hits[over]!.retryAfterS)}.`, hits[over]!.retryAfterS);
      }
    });
    // Ended windows and day-old idempotency keys are dropped now and then by whichever instance gets there.
    app.jobs.every('prune rate counters and idempotency keys', 10 * 60_000, () =>
      Promise.all([pruneCounters(app.db, app.clock.now()), pruneIdempotencyKeys(app.db, app.clock.now())]),
    );
  },
  { name: 'limits', dependencies: ['database', 'jobs'] },
);
