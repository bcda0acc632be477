import compress from '@fastify/compress';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import type { Database } from '../db';
import authRoutes from './auth/routes';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import healthRoutes, { clientConfigOf } from './health';
import { serializeError, serializeRequest } from './http/log';
import { problem } from './http/problem';
import budget from './plugins/budget';
import database from './plugins/database';
import docs from './plugins/docs';
import errors from './plugins/errors';
import jobs from './plugins/jobs';
import queue from './queue/plugin';
import mail from './mail/plugin';
import { loadSecret } from '../db';
import { ACCOUNT_MAIL_JOB, accountMailHandler } from './auth/recovery';
import recoveryRoutes from './auth/recovery-routes';
import { emailJobHandler, enqueueStrandedMail } from './notifications/email';
import { EMAIL_JOB } from './notifications/record';
import unsubscribeRoutes from './notifications/unsubscribe-routes';
import { handlePushJobs } from './notifications/push';
import pushRoutes from './notifications/push-routes';
import { servesLoopback } from './push/subscription';
import security from './plugins/security';
import session from './auth/session';
import limits from './limits/plugin';
import validation from './plugins/validation';
import web from './plugins/web';
import live, { type LiveOptions } from './live/plugin';
import postsRoutes from './posts/routes';
import matchesRoutes from './matches/routes';
import { suggestFor } from './matches/service';
import communitiesRoutes from './communities/routes';
import calendarRoutes from './calendar/routes';
import safetyRoutes from './safety/routes';
import moderationRoutes from './moderation/routes';
import notificationsRoutes from './notifications/routes';
import accountRoutes from './account/routes';
import placesRoutes from './places/routes';
import { DEFAULT_HYGIENE, sweep } from './hygiene/sweep';

export interface AppOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  /** false: no logging (tests); default: pino at config.logLevel. */
  logger?: boolean;
  /** Where log lines go (stdout by default); tests read them. */
  logStream?: { write(line: string): void };
  /** Live socket tuning (tests shorten the heartbeat and the limits). */
  live?: Partial<LiveOptions>;
  /** How often hygiene sweeps run (default a minute); null: never (tests call `sweep` themselves). */
  sweepEveryMs?: number | null;
  /** How often the job queue looks for due jobs unwoken (default config.jobsPollMs); null: never, nor on NOTIFY (tests call `app.queue.wake()`). */
  queuePollMs?: number | null;
}

/** 64 KB: the largest post (20 windows, 2,000-character description) is a few KB. */
export const BODY_LIMIT = 64 * 1024;

export async function buildApp(options: AppOptions) {
  const { config } = options;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel,
            // Session tokens stay out of the logs; bodies are never logged.
            redact: ['req.headers.cookie', 'res.headers["set-cookie"]'],
            serializers: { err: serializeError, req: serializeRequest },
            ...(options.logStream ? { stream: options.logStream } : {}),
          },
    bodyLimit: BODY_LIMIT,
    requestIdHeader: 'x-request-id',
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    // The router refuses a malformed %-escape (400) or a path parameter over
    // 100 characters (414) before any hook or error handler runs, in plain
    // JSON of its own that repeats the path: answered as every other 4xx.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 500;
      const detail =
        error.code === 'FST_ERR_BAD_URL'
          ? 'The address is not valid: it has a malformed %-escape.'
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'A part of the address is too long.'
            : 'Something went wrong on our side. Please try again in a moment.';
      void reply.status(status).type('application/problem+json; charset=utf-8').send(problem(status, detail));
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    trustProxy: config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // While closing, answers tell keep-alive clients to hang up; otherwise an
  // idle kept-alive connection would hold the shutdown open for its timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
    }
  });

  // Answers of 1 KB or more are compressed (brotli or gzip, as the client
  // accepts): a phone on a weak connection loads a busy map's posts as about
  // a tenth of their JSON. Brotli at quality 5, not its default 11, whose
  // CPU cost would outweigh the bytes saved.
  await app.register(compress, { encodings: ['br', 'gzip'], threshold: 1024, brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } } });
  await app.register(errors);
  await app.register(validation);
  // Before docs and the web app, so their routes get its headers.
  await app.register(security, { tileUrl: config.tileUrl, publicUrl: config.publicUrl, allowedOrigins: config.allowedOrigins });
  await app.register(jobs);
  await app.register(database, { database: options.database, clock: options.clock ?? systemClock });
  const queuePollMs = options.queuePollMs === undefined ? config.jobsPollMs : options.queuePollMs;
  await app.register(queue, { pollMs: queuePollMs });
  await app.register(mail, { smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir });
  // The deliveries: mails of notifications (one per person per digest period) and of account links.
  const mailChannel = { db: app.db, mailer: app.mailer, publicUrl: config.publicUrl };
  app.queue.handle(EMAIL_JOB, emailJobHandler({ ...mailChannel, digestMs: config.mailDigestMs, unsubscribeKey: await loadSecret(app.db, 'unsubscribe') }));
  app.queue.handle(ACCOUNT_MAIL_JOB, accountMailHandler(mailChannel));
  const push = await handlePushJobs(app, { contact: config.pushContact });
  if (queuePollMs !== null) {
    app.jobs.every('stranded mail', 60_000, () => enqueueStrandedMail(app.db, app.clock.now()));
  }
  await app.register(session, { idleMs: config.sessionIdleMs, maxMs: config.sessionMaxMs });
  await app.register(limits, { scale: config.rateLimitScale });
  await app.register(budget, { concurrency: config.heavyConcurrency, queue: config.heavyQueue });
  await app.register(docs);
  await app.register(live, { options: { maxPerIp: config.wsMaxPerIp, ...options.live } });
  await app.register(
    async (api) => {
      await api.register(healthRoutes, { config });
      await api.register(authRoutes, { cookieSecure: config.cookieSecure });
      await api.register(recoveryRoutes);
      await api.register(unsubscribeRoutes);
      await api.register(postsRoutes, { afterSave: (row, now) => suggestFor(api.db, row, now) });
      await api.register(matchesRoutes);
      await api.register(communitiesRoutes);
      await api.register(calendarRoutes, { publicUrl: config.publicUrl });
      await api.register(safetyRoutes);
      await api.register(moderationRoutes);
      await api.register(notificationsRoutes);
      await api.register(pushRoutes, { publicKey: push.publicKey, allowLoopback: servesLoopback(config.publicUrl) });
      await api.register(accountRoutes, { cookieSecure: config.cookieSecure });
      await api.register(placesRoutes, { config });
    },
    { prefix: '/api' },
  );
  const sweepEveryMs = options.sweepEveryMs === undefined ? 60_000 : options.sweepEveryMs;
  if (sweepEveryMs !== null) {
    app.jobs.every('hygiene sweep', sweepEveryMs, () => sweep(app.db, app.clock.now(), { ...DEFAULT_HYGIENE, proposalTtlMs: config.proposalTtlMs }));
  }
  await app.register(web, { root: config.webRoot, config: clientConfigOf(config) });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
