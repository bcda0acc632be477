import { AsyncResource } from 'node:async_hooks';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { badRequest } from '../http/problem';
import { LIMITS } from '../limits/plugin';
import { apply, NOTE_MAX, plan, triage, triageNeed, writeToAuthor } from './assignments';
import { replyToNote } from './notes';
import { ReplyBodySchema } from '../contract/notifications';
import { csvChunks, exportFileName, exportPages, geoJsonChunks, planExport } from './exports';
import { coverage, roster } from './overview';
import { communityFlags, fileFlag, hidePost, suspend, unhidePost, unsuspend } from './moderation';
import { postView } from '../posts/view';
import { COMMUNITY_CREATE_LIMIT, createCommunity, createInvite, getCommunity, joinCommunity, leaveCommunity, listCommunities, listInvites, listMembers, readAudit, revokeInvite, setRole } from './service';
import { ProblemSchema } from '../contract/problem';
import { IdParamsSchema, Page } from '../contract/types';
import { PostReplySchema } from '../contract/posts';
import { authenticate, requireUser } from '../auth/session';
import { AuditEntrySchema, AuditQuerySchema, CommunitySchema, CreateCommunityBodySchema, InviteBodySchema, InviteParamsSchema, InviteSchema, JoinBodySchema, MemberParamsSchema, MembershipSchema, RoleBodySchema, TriageItemSchema, PlanBodySchema, PlanSchema, ApplyBodySchema, ApplySchema, CoverageQuerySchema, CoverageSchema, RosterItemSchema, TriageNeedSchema, NeedParamsSchema, NoteBodySchema, FlagBodySchema, FlagSchema, HideBodySchema, MAX_BOUNDARY_POSITIONS, ExportQuerySchema, SlugTakenProblemSchema, SuspendBodySchema } from '../contract/communities';

/** A POST whose body is all optional may come without one (`curl -X POST`): that is `{}`. */
async function bodyOrEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };
const CommunityReply = Type.Object({ community: CommunitySchema });
const MembershipReply = Type.Object({ membership: MembershipSchema });

const communitiesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/communities',
    {
      preValidation: authenticate,
      // Per connection here; per account (COMMUNITY_CREATE_LIMIT) in the creating transaction.
      config: { limits: [LIMITS.communityPerIp] },
      schema: {
        tags: ['communities'],
        summary: 'Start a community; you become its first admin',
        description: `Without a slug, one is derived from the name (and made free with -2, -3, …); a slug given and taken is a 409 whose \`suggestedSlug\` is free. One account starts at most ${COMMUNITY_CREATE_LIMIT.max} communities a day, one connection ${LIMITS.communityPerIp.max} (429 with Retry-After beyond); a boundary has at most ${MAX_BOUNDARY_POSITIONS} vertices in all its rings.`,
        body: CreateCommunityBodySchema,
        response: { 201: CommunityReply, ...problems, 409: SlugTakenProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      return reply.status(201).send({ community: await createCommunity(app.db, user, request.body, app.clock.now()) });
    },
  );

  app.get(
    '/communities',
    {
      schema: {
        tags: ['communities'],
        summary: 'Communities whose area holds a point (smallest first), or all of them',
        querystring: Type.Object(
          { lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })), lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(CommunitySchema) }), ...problems },
      },
    },
    async (request) => {
      const { lat, lng } = request.query;
      if ((lat === undefined) !== (lng === undefined)) {
        throw badRequest('Give both lat and lng, or neither.', [{ path: lat === undefined ? '/lat' : '/lng', message: 'is required with the other' }]);
      }
      const user = request.user;
      return { items: await listCommunities(app.db, { ...(lat !== undefined ? { at: { lat, lng: lng! } } : {}), ...(user ? { userId: user.id } : {}) }) };
    },
  );

  app.get(
    '/me/communities',
    { preValidation: authenticate, schema: { tags: ['communities'], summary: 'The communities you belong to, with your role', response: { 200: Type.Object({ items: Type.Array(CommunitySchema) }), ...problems } } },
    async (request) => {
      const user = requireUser(request);
      return { items: await listCommunities(app.db, { memberId: user.id, userId: user.id }) };
    },
  );

  app.get(
    '/communities/:id',
    { schema: { tags: ['communities'], summary: 'A community (its area is public)', params: IdParamsSchema, response: { 200: CommunityReply, ...problems } } },
    async (request) => ({ community: await getCommunity(app.db, request.params.id, request.user?.id) }),
  );

  app.post(
    '/communities/:id/join',
    {
      preValidation: [authenticate, bodyOrEmpty],
      schema: { tags: ['communities'], summary: 'Join as a member (an invite code for invite-only ones)', params: IdParamsSchema, body: JoinBodySchema, response: { 200: MembershipReply, 201: MembershipReply, ...problems } },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const { created, membership } = await joinCommunity(app.db, user, request.params.id, request.body.inviteCode, app.clock.now());
      return reply.status(created ? 201 : 200).send({ membership });
    },
  );

  app.post(
    '/communities/:id/leave',
    {
      preValidation: authenticate,
      schema: { tags: ['communities'], summary: "Leave (its organizers stop seeing your posts' exact places)", params: IdParamsSchema, response: { 204: Type.Null(), ...problems } },
    },
    async (request, reply) => {
      await leaveCommunity(app.db, requireUser(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/communities/:id/members',
    { preValidation: authenticate, schema: { tags: ['communities'], summary: 'Members and their roles (organizers)', params: IdParamsSchema, response: { 200: Type.Object({ items: Type.Array(MembershipSchema) }), ...problems } } },
    async (request) => ({ items: await listMembers(app.db, requireUser(request), request.params.id) }),
  );

  app.put(
    '/communities/:id/members/:userId',
    { preValidation: authenticate, schema: { tags: ['communities'], summary: "Set a member's role (admins)", params: MemberParamsSchema, body: RoleBodySchema, response: { 200: MembershipReply, ...problems } } },
    async (request) => ({ membership: await setRole(app.db, requireUser(request), request.params.id, request.params.userId, request.body.role) }),
  );

  app.post(
    '/communities/:id/invites',
    {
      preValidation: [authenticate, bodyOrEmpty],
      schema: { tags: ['communities'], summary: 'Create an invite code (organizers)', params: IdParamsSchema, body: InviteBodySchema, response: { 201: Type.Object({ invite: InviteSchema }), ...problems } },
    },
    async (request, reply) => {
      const invite = await createInvite(app.db, requireUser(request), request.params.id, request.body.expiresInDays, app.clock.now());
      return reply.status(201).send({ invite });
    },
  );

  app.get(
    '/communities/:id/invites',
    { preValidation: authenticate, schema: { tags: ['communities'], summary: 'Invite codes, newest first (organizers)', params: IdParamsSchema, response: { 200: Type.Object({ items: Type.Array(InviteSchema) }), ...problems } } },
    async (request) => ({ items: await listInvites(app.db, requireUser(request), request.params.id) }),
  );

  app.delete(
    '/communities/:id/invites/:code',
    { preValidation: authenticate, schema: { tags: ['communities'], summary: 'Revoke an invite code (organizers)', params: InviteParamsSchema, response: { 204: Type.Null(), ...problems } } },
    async (request, reply) => {
      await revokeInvite(app.db, requireUser(request), request.params.id, request.params.code, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/communities/:id/triage',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: 'Unmet needs of the next 14 days, most urgent first, with candidate counts (organizers)',
        params: IdParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(TriageItemSchema) }), ...problems },
      },
    },
    async (request) => ({ items: await triage(app.db, requireUser(request), request.params.id, app.clock.now()) }),
  );

  app.get(
    '/communities/:id/triage/:needId',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: "One need triage lists, with the members' offers that could serve it, best first: helper, occasion, distance (organizers)",
        params: NeedParamsSchema,
        response: { 200: TriageNeedSchema, ...problems },
      },
    },
    async (request) => triageNeed(app.db, requireUser(request), request.params.id, request.params.needId, app.clock.now()),
  );

  app.post(
    '/communities/:id/triage/:needId/note',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.messagePerAccount] },
      schema: {
        tags: ['organizers'],
        summary: "Write to the author of a need triage lists (organizers): it reaches them as a message does, in their inbox and by e-mail or push as they chose, and they may answer it (POST /api/me/notifications/{id}/reply)",
        description: `At most ${NOTE_MAX} characters; counted with the messages one sends (429 with Retry-After beyond).`,
        params: NeedParamsSchema,
        body: NoteBodySchema,
        response: { 204: Type.Null(), ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      await writeToAuthor(app.db, requireUser(request), request.params.id, request.params.needId, request.body.body, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  // The author answers the note above (and its writer the answer): the inbox's Reply.
  app.post(
    '/me/notifications/:id/reply',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.messagePerAccount] },
      schema: {
        tags: ['notifications'],
        summary: "Answer a note written to you outside any match (one whose `replyable` is true): it reaches its writer as a note they can answer in turn",
        description:
          'Counted with the messages one sends (429 with Retry-After beyond). 404 when the notification is not yours or cannot be answered; 409 when its writer closed their account or one of you blocked the other.',
        params: IdParamsSchema,
        body: ReplyBodySchema,
        response: { 200: Type.Object({ to: Type.String({ description: "the writer's name, as the answer is shown to have gone to" }) }), ...problems, 404: ProblemSchema, 409: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request) => replyToNote(app.db, requireUser(request), request.params.id, request.body.body, app.clock.now()),
  );

  app.post(
    '/communities/:id/assignments/plan',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: 'The assignment serving the most needs of a time range, then the least distance (organizers; nothing is changed)',
        params: IdParamsSchema,
        body: PlanBodySchema,
        response: { 200: PlanSchema, ...problems, 422: ProblemSchema },
      },
    },
    async (request) => plan(app.db, requireUser(request), request.params.id, request.body, app.clock.now()),
  );

  app.post(
    '/communities/:id/assignments/apply',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: "Propose the reviewed pairs on each need's behalf; the helpers answer (organizers)",
        params: IdParamsSchema,
        body: ApplyBodySchema,
        response: { 200: ApplySchema, ...problems },
      },
    },
    async (request) => apply(app.db, requireUser(request), request.params.id, request.body.pairs, app.clock.now()),
  );

  app.post(
    '/flags',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.flagPerAccount] },
      schema: {
        tags: ['moderation'],
        summary: 'Report a post or a person to the organizers of its community and to platform moderators (only moderators learn who reported)',
        body: FlagBodySchema,
        response: { 200: Type.Object({ flag: Type.Object({ id: Type.String() }) }), 201: Type.Object({ flag: Type.Object({ id: Type.String() }) }), ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { created, id } = await fileFlag(app.db, requireUser(request), request.body);
      return reply.status(created ? 201 : 200).send({ flag: { id } });
    },
  );

  app.get(
    '/communities/:id/flags',
    { preValidation: authenticate, schema: { tags: ['moderation'], summary: "Reports about the community's members and their posts, newest first, without who filed them (organizers)", params: IdParamsSchema, response: { 200: Type.Object({ items: Type.Array(FlagSchema) }), ...problems } } },
    async (request) => ({ items: await communityFlags(app.db, requireUser(request), request.params.id) }),
  );

  app.post(
    '/posts/:id/hide',
    { preValidation: authenticate, schema: { tags: ['moderation'], summary: "Hide a post: it leaves listings, maps, live feeds and candidates; its author is told (organizers of the community its author is a member of; platform moderators)", params: IdParamsSchema, body: HideBodySchema, response: { 200: PostReplySchema, ...problems } } },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const row = await hidePost(app.db, user, request.params.id, request.body.reason, now);
      // Only those entitled to its exact place may hide a post (its community's organizers, moderators).
      return { post: postView(row, user, now, true) };
    },
  );

  app.post(
    '/posts/:id/unhide',
    { preValidation: authenticate, schema: { tags: ['moderation'], summary: "Bring a hidden post back (organizers of the community its author is a member of; platform moderators)", params: IdParamsSchema, response: { 200: PostReplySchema, ...problems } } },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const row = await unhidePost(app.db, user, request.params.id, now);
      return { post: postView(row, user, now, true) };
    },
  );

  app.post(
    '/communities/:id/suspensions',
    { preValidation: authenticate, schema: { tags: ['moderation'], summary: 'Suspend a member (organizers; an organizer only by an admin)', params: IdParamsSchema, body: SuspendBodySchema, response: { 204: Type.Null(), ...problems } } },
    async (request, reply) => {
      await suspend(app.db, requireUser(request), request.params.id, request.body.userId, request.body.reason, app.clock.now());
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/communities/:id/suspensions/:userId',
    { preValidation: authenticate, schema: { tags: ['moderation'], summary: 'Lift a suspension', params: MemberParamsSchema, response: { 204: Type.Null(), ...problems } } },
    async (request, reply) => {
      await unsuspend(app.db, requireUser(request), request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  for (const ext of ['csv', 'geojson'] as const) {
    app.get(
      `/communities/:id/export.${ext}`,
      {
        preValidation: authenticate,
        schema: {
          tags: ['organizers'],
          summary: `The community's posts and their matches as ${ext === 'csv' ? 'CSV' : 'GeoJSON'} (organizers; exact places for members' posts, the file name says so)`,
          params: IdParamsSchema,
          querystring: ExportQuerySchema,
          response: { 200: Type.String({ description: ext === 'csv' ? 'text/csv' : 'application/geo+json' }), ...problems },
        },
      },
      async (request, reply) => {
        const now = app.clock.now();
        const actor = requireUser(request);
        const { slug, ids, zone } = await planExport(app.db, actor, request.params.id, now, request.query.tz);
        // The file streams a page of rows at a time, so a large community's
        // export holds neither the server's memory nor one long statement.
        // Its pages are read after this handler returns, as the client takes
        // them: bound to this moment's async context, they stay heavy reads
        // (their own connections, refused once the client has gone).
        const inTurn = AsyncResource.bind(<T>(read: () => T): T => read());
        const pages = exportPages(app.db, actor, request.params.id, ids, now);
        const chunks = (ext === 'csv' ? csvChunks : geoJsonChunks)(
          { [Symbol.asyncIterator]: () => ({ next: () => inTurn(() => pages.next()) }) },
          zone,
        );
        void reply
          .header('content-disposition', `attachment; filename="${exportFileName(slug, ids.length > 0, now, ext, zone)}"`)
          .header('cache-control', 'no-store')
          .type(ext === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json; charset=utf-8');
        // A stream is sent as it is, past the (string) response schema's serializer.
        return reply.send(Readable.from(chunks) as unknown as string);
      },
    );
  }

  app.get(
    '/communities/:id/roster',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: 'Helpers: their open offers, languages, matches accepted in 30 days, completed, cancelled after accepting (organizers)',
        params: IdParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(RosterItemSchema) }), ...problems },
      },
    },
    async (request) => ({ items: await roster(app.db, requireUser(request), request.params.id, app.clock.now()) }),
  );

  app.get(
    '/communities/:id/coverage',
    {
      preValidation: authenticate,
      schema: {
        tags: ['organizers'],
        summary: 'Unmet needs against available offers, on a grid and by day (organizers)',
        params: IdParamsSchema,
        querystring: CoverageQuerySchema,
        response: { 200: CoverageSchema, ...problems },
      },
    },
    async (request) => coverage(app.db, requireUser(request), request.params.id, request.query, app.clock.now()),
  );

  app.get(
    '/communities/:id/audit',
    {
      preValidation: authenticate,
      schema: { tags: ['communities'], summary: 'The audit log, newest first (admins)', params: IdParamsSchema, querystring: AuditQuerySchema, response: { 200: Page(AuditEntrySchema), ...problems } },
    },
    async (request) => readAudit(app.db, requireUser(request), request.params.id, request.query.before, request.query.limit ?? 50),
  );
};

export default communitiesRoutes;
