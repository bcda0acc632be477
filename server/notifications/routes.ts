// The inbox (what happened while one was away, read or not), the choices
// per kind and channel, and alerts of new needs near a place. Everything
// here is the signed-in person's own.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { authenticate, requireUser } from '../auth/session';
import {
  AlertSchema,
  MarkReadBodySchema,
  MAX_ALERTS,
  NewAlertSchema,
  NOTIFICATION_KIND_NAMES,
  NOTIFICATION_KINDS,
  NotificationListQuerySchema,
  NotificationListSchema,
  PreferenceChangeSchema,
  type Preferences,
  PreferencesSchema,
  UnreadSchema,
} from '../contract/notifications';
import { ProblemSchema } from '../contract/problem';
import { Uuid } from '../contract/types';
import { badRequest, conflict, notFound } from '../http/problem';
import type { Executor } from '../../db';
import { alertsRepo, inboxRepo, notificationView, prefsRepo } from './repository';

const problems = { 400: ProblemSchema, 401: ProblemSchema };

/** The place in writing order of a page's last item: the next page starts after it. */
function cursorOf(row: { seq: number }): string {
  return String(row.seq);
}

function parseCursor(text: string): number {
  const seq = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(seq)) {
    throw badRequest('`before` is not a value this list gave as `next`: start again from the first page.', 'cursor');
  }
  return seq;
}

async function preferences(db: Executor, userId: string): Promise<Preferences> {
  const chosen = new Map((await prefsRepo.of(db, userId)).map((p) => [`${p.kind}/${p.channel}`, p.enabled]));
  return {
    emailVerified: await prefsRepo.emailVerified(db, userId),
    kinds: NOTIFICATION_KIND_NAMES.map((kind) => ({
      kind,
      email: chosen.get(`${kind}/email`) ?? NOTIFICATION_KINDS[kind].email,
      push: chosen.get(`${kind}/push`) ?? NOTIFICATION_KINDS[kind].push,
    })),
  };
}

const notificationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/me/notifications',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Your notifications, newest first, with how many are unread',
        querystring: NotificationListQuerySchema,
        response: { 200: NotificationListSchema, ...problems },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const limit = request.query.limit ?? 30;
      const before = request.query.before === undefined ? undefined : parseCursor(request.query.before);
      const rows = await inboxRepo.page(app.db, user.id, { before, limit: limit + 1, unreadOnly: request.query.unread === true });
      const page = rows.slice(0, limit);
      void reply.header('cache-control', 'no-store');
      return {
        items: page.map(notificationView),
        unread: await inboxRepo.unread(app.db, user.id),
        next: rows.length > limit ? cursorOf(page.at(-1)!) : null,
      };
    },
  );

  app.post(
    '/me/notifications/read',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Mark notifications read: these ids, or all of yours up to now',
        body: MarkReadBodySchema,
        response: { 200: UnreadSchema, ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { ids, all } = request.body;
      if (ids !== undefined && all !== undefined) {
        throw badRequest('Give either `ids` or `all`, not both.');
      }
      await inboxRepo.markRead(app.db, user.id, all ? null : ids!, app.clock.now());
      return { unread: await inboxRepo.unread(app.db, user.id) };
    },
  );

  app.get(
    '/me/notification-preferences',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'How each kind of notification reaches you: by e-mail, by push (the inbox always has them all)',
        response: { 200: PreferencesSchema, ...problems },
      },
    },
    async (request) => preferences(app.db, requireUser(request).id),
  );

  app.put(
    '/me/notification-preferences',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Change how kinds of notification reach you; answers all your choices',
        body: PreferenceChangeSchema,
        response: { 200: PreferencesSchema, ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      // The last change of a kind and channel wins, as a person clicking twice would expect.
      const changes = [...new Map(request.body.changes.map((c) => [`${c.kind}/${c.channel}`, c])).values()];
      await prefsRepo.set(app.db, user.id, changes);
      return preferences(app.db, user.id);
    },
  );

  app.get(
    '/me/alerts',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Your alerts of new needs near a place',
        response: { 200: Type.Object({ items: Type.Array(AlertSchema) }), ...problems },
      },
    },
    async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return { items: await alertsRepo.list(app.db, requireUser(request).id) };
    },
  );

  app.post(
    '/me/alerts',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: `Hear of new needs of these categories within a radius of a place, at most so many a day (up to ${MAX_ALERTS} alerts)`,
        description: 'A need is counted by its public point, as everyone sees it. The place you give stays yours: nobody else sees it.',
        body: NewAlertSchema,
        response: { 201: Type.Object({ alert: AlertSchema }), 409: ProblemSchema, ...problems },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const body = request.body;
      const alert = await app.db.transaction(async (tx) => {
        // Counted under a lock on the person's row, so two requests at once cannot pass the limit together.
        await alertsRepo.lockOwner(tx, user.id);
        if ((await alertsRepo.count(tx, user.id)) >= MAX_ALERTS) {
          throw conflict(`You have ${MAX_ALERTS} alerts, the most one person may keep. Delete one to add another.`, 'alerts.full');
        }
        return alertsRepo.insert(tx, user.id, { lat: body.center.lat, lng: body.center.lng, radiusM: body.radiusM, categories: body.categories, dailyMax: body.dailyMax ?? 5 }, app.clock.now());
      });
      return reply.status(201).send({ alert });
    },
  );

  app.delete(
    '/me/alerts/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: ['notifications'],
        summary: 'Delete one of your alerts',
        params: Type.Object({ id: Uuid }),
        response: { 204: Type.Null(), 404: ProblemSchema, ...problems },
      },
    },
    async (request, reply) => {
      if (!(await alertsRepo.remove(app.db, requireUser(request).id, request.params.id))) {
        throw notFound('You have no such alert (it may have been deleted already).', 'alert.not_found');
      }
      return reply.status(204).send(null);
    },
  );
};

export default notificationsRoutes;
