import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { notFound } from '../http/problem';
import { calendarFeed, calendarOwner, calendarStatus, newCalendarToken, revokeCalendarToken } from './service';
import { ProblemSchema } from '../contract/problem';
import { authenticate, requireUser } from '../auth/session';

const calendarRoutes: FastifyPluginAsyncTypebox<{ publicUrl: string }> = async (app, { publicUrl }) => {
  app.post(
    '/me/calendar',
    {
      preValidation: authenticate,
      schema: {
        tags: ['calendar'],
        summary: 'A private calendar address of your accepted matches (a new one retires the old)',
        response: { 201: Type.Object({ url: Type.String() }), 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const token = await newCalendarToken(app.db, requireUser(request).id);
      return reply.status(201).send({ url: `${publicUrl}/api/calendar/${token}.ics` });
    },
  );

  app.get(
    '/me/calendar',
    {
      preValidation: authenticate,
      schema: {
        tags: ['calendar'],
        summary: 'Whether you have a calendar address, and since when (the address is shown only when made)',
        response: { 200: Type.Object({ active: Type.Boolean(), createdAt: Type.Optional(Type.String({ format: 'date-time' })) }), 401: ProblemSchema },
      },
    },
    async (request) => calendarStatus(app.db, requireUser(request).id),
  );

  app.delete(
    '/me/calendar',
    { preValidation: authenticate, schema: { tags: ['calendar'], summary: 'Turn your calendar address off', response: { 204: Type.Null(), 401: ProblemSchema } } },
    async (request, reply) => {
      await revokeCalendarToken(app.db, requireUser(request).id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/calendar/:file',
    {
      schema: {
        tags: ['calendar'],
        summary: 'The iCalendar feed behind a private address (the token is the credential)',
        params: Type.Object({ file: Type.String({ maxLength: 100 }) }),
        response: { 200: Type.String({ description: 'text/calendar' }), 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const token = request.params.file.endsWith('.ics') ? request.params.file.slice(0, -4) : '';
      const owner = await calendarOwner(app.db, token);
      if (!owner) {
        throw notFound('No calendar at this address (it may have been replaced or turned off).', 'calendar.not_found');
      }
      const body = await calendarFeed(app.db, owner, publicUrl, app.clock.now());
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(body);
    },
  );
};

export default calendarRoutes;
