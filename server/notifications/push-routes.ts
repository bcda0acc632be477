// Web Push registration: the key browsers subscribe with, and the
// signed-in person's browsers (registered when they turn push on, dropped
// when they turn it off). Delivery is the `push` job (push.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { authenticate, requireUser } from '../auth/session';
import { ProblemSchema } from '../contract/problem';
import { PushKeySchema, PushSubscriptionBodySchema, PushSubscriptionSchema, PushUnsubscribeBodySchema } from '../contract/push';
import { invalid } from '../http/problem';
import type { RouteLimit } from '../limits/plugin';
import { storedKeys, subscriptionProblems } from '../push/subscription';
import { subscriptionsRepo } from './push';

export interface PushRoutesOptions {
  /** The VAPID public key, base64url (PushSender.publicKey). */
  publicKey: string;
  /** Accept http: and loopback push services (only for an app served on a loopback http: address: `servesLoopback(config.publicUrl)`). */
  allowLoopback: boolean;
}

/** A browser registers once per turn-on; more than this an hour is a script. */
const subscribePerAccount: RouteLimit = {
  name: 'push-subscribe.account',
  by: 'account',
  max: 60,
  windowMs: 3_600_000,
  message: 'You have turned notifications on a lot in the last hour.',
};

/** The longest a User-Agent is kept: enough to tell one's browsers apart. */
const USER_AGENT_MAX = 300;

const problems = { 400: ProblemSchema, 401: ProblemSchema };

const pushRoutes: FastifyPluginAsyncTypebox<PushRoutesOptions> = async (app, opts) => {
  app.get(
    '/push/key',
    {
      schema: {
        tags: ['notifications'],
        summary: "The server's Web Push key (VAPID, RFC 8292): pass it to PushManager.subscribe as applicationServerKey",
        response: { 200: PushKeySchema },
      },
    },
    async (_request, reply) => {
      // The same for every instance and every start: caches may keep it a day.
      void reply.header('cache-control', 'public, max-age=86400');
      return { publicKey: opts.publicKey };
    },
  );

  app.post(
    '/me/push-subscriptions',
    {
      preValidation: authenticate,
      config: { limits: [subscribePerAccount] },
      schema: {
        tags: ['notifications'],
        summary:
          "Register this browser for push notifications: the body is its PushSubscription's JSON. 201 when new, 200 when it was registered already (an address registered by another account moves to yours).",
        body: PushSubscriptionBodySchema,
        response: { 200: PushSubscriptionSchema, 201: PushSubscriptionSchema, ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const errors = subscriptionProblems(request.body, { allowLoopback: opts.allowLoopback });
      if (errors.length > 0) {
        throw invalid(errors);
      }
      const userAgent = request.headers['user-agent']?.slice(0, USER_AGENT_MAX) ?? null;
      const saved = await subscriptionsRepo.save(app.db, user.id, { endpoint: request.body.endpoint, keys: storedKeys(request.body), userAgent }, app.clock.now());
      return reply.status(saved.created ? 201 : 200).send({ id: saved.id, createdAt: saved.createdAt.toISOString() });
    },
  );

  app.delete(
    '/me/push-subscriptions',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Stop push notifications to this browser: the body names its endpoint. 204 whether or not it was registered.',
        body: PushUnsubscribeBodySchema,
        response: { 204: Type.Null(), ...problems },
      },
    },
    async (request, reply) => {
      await subscriptionsRepo.remove(app.db, requireUser(request).id, request.body.endpoint);
      return reply.status(204).send(null);
    },
  );
};

export default pushRoutes;
