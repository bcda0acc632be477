import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { formatInZone } from '../posts/windows';
import { forbidden } from '../http/problem';
import { idempotencyClaim, once } from '../http/idempotency';
import { AUTHOR_VIEW, findCandidates, zoneOf } from '../matching/candidates';
import { readerZone } from '../matching/reader-zone';
import { getPost } from '../posts/service';
import { postView } from '../posts/view';
import { matchesRepo } from './repository';
import { actOnMatch, cancelPostAndMatches, listMatches, type MatchAction, matchFor, matchView, messageView, postMessage, proposeMatch } from './service';
import { LIMITS } from '../limits/plugin';
import { ProblemSchema } from '../contract/problem';
import { IdempotencyHeaders, IdParamsSchema, Page } from '../contract/types';
import { CandidateSchema, CandidatesQuerySchema, ListMatchesQuerySchema, MatchReplySchema, MatchSchema, type Message, MessageBodySchema, MessageSchema, ProposeBodySchema } from '../contract/matches';
import { authenticate, requireUser } from '../auth/session';
import { PostReplySchema } from '../contract/posts';

const problems = {
  400: ProblemSchema,
  401: ProblemSchema,
  403: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
};

/** Scores are shown to tenths: defence in depth, since every input is already public (AUTHOR_VIEW). */
export function coarseScore(score: number): number {
  return Math.round(score * 10) / 10;
}

const postProblems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

const matchesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/posts/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: ['posts'],
        summary: 'Cancel your post (it is kept, with status cancelled)',
        params: IdParamsSchema,
        response: { 200: PostReplySchema, ...postProblems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const row = await cancelPostAndMatches(app.db, user, request.params.id, now);
      return { post: postView(row, user, now) };
    },
  );

  app.get(
    '/posts/:id/matches',
    {
      preValidation: authenticate,
      schema: {
        tags: ['matches'],
        summary: 'Ranked candidates for your post, best first, with reasons',
        description:
          'Candidates are found, ranked and described from their public points (as the map shows them), never their true places: nothing here can be used to work out where someone lives.',
        params: IdParamsSchema,
        querystring: CandidatesQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(CandidateSchema) }), ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const post = await getPost(app.db, request.params.id);
      if (post.authorId !== user.id) {
        throw forbidden('Only the author of this post can see its candidates.', 'post.not_author');
      }
      const zone = readerZone(request.query.tz, zoneOf(post));
      // Written from remembered zone offsets: Luxon for each of the windows was a fifth of this route's CPU.
      const iso = (d: Date) => formatInZone(d.getTime(), zone);
      const found = await findCandidates(app.db, post, now, request.query.limit ?? 20, AUTHOR_VIEW, { zone });
      return {
        items: found.map(({ row, fit }) => ({
          post: postView(row, user, now),
          // Coarse (tenths): the ranking is the server's; a finer score adds nothing a person needs.
          score: coarseScore(fit.score),
          distanceM: Math.round(fit.distanceM / 100) * 100,
          overlap: fit.overlap.map((w) => ({ start: iso(w.start), end: iso(w.end) })),
          reasons: fit.reasons,
          why: fit.why.map((r) => ('theirs' in r ? { ...r, theirs: { start: iso(r.theirs.start), end: iso(r.theirs.end) }, yours: { start: iso(r.yours.start), end: iso(r.yours.end) } } : r)),
        })),
      };
    },
  );

  app.post(
    '/matches',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.proposePerAccount] },
      schema: {
        tags: ['matches'],
        summary: 'Propose a match between a need and an offer (one of them yours)',
        description: 'Idempotency-Key: a retry with the same key answers with the match already proposed.',
        headers: IdempotencyHeaders,
        body: ProposeBodySchema,
        response: { 201: MatchReplySchema, ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const idempotency = idempotencyClaim(request, user.id, 'match');
      const { id, replayed } = await once(app.db, idempotency, async () => (await proposeMatch(app.db, user, request.body, now, idempotency)).id);
      const { match, need, offer } = await matchFor(app.db, user, id);
      if (replayed) {
        void reply.header('idempotent-replayed', 'true');
      }
      return reply.status(201).send({ match: matchView(match, need, offer, user, now) });
    },
  );

  app.get(
    '/matches',
    {
      preValidation: authenticate,
      schema: {
        tags: ['matches'],
        summary: 'Your matches, newest first',
        querystring: ListMatchesQuerySchema,
        response: { 200: Page(MatchSchema), ...problems },
      },
    },
    async (request) => listMatches(app.db, requireUser(request), request.query, app.clock.now()),
  );

  app.get(
    '/matches/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: ['matches'],
        summary: 'One of your matches; exact locations once accepted',
        params: IdParamsSchema,
        response: { 200: MatchReplySchema, ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { match, need, offer } = await matchFor(app.db, user, request.params.id);
      return { match: matchView(match, need, offer, user, app.clock.now()) };
    },
  );

  for (const action of ['accept', 'decline', 'cancel', 'complete'] as const satisfies readonly MatchAction[]) {
    app.post(
      `/matches/:id/${action}`,
      {
        preValidation: authenticate,
        schema: {
          tags: ['matches'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a match`,
          params: IdParamsSchema,
          response: { 200: MatchReplySchema, ...problems },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const now = app.clock.now();
        await actOnMatch(app.db, user, request.params.id, action, now);
        const { match, need, offer } = await matchFor(app.db, user, request.params.id);
        return { match: matchView(match, need, offer, user, now) };
      },
    );
  }

  app.get(
    '/matches/:id/messages',
    {
      preValidation: authenticate,
      schema: {
        tags: ['matches'],
        summary: "The match's thread, oldest first",
        params: IdParamsSchema,
        response: { 200: Type.Object({ items: Type.Array(MessageSchema) }), ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      await matchFor(app.db, user, request.params.id);
      const rows = await matchesRepo.messages(app.db, request.params.id);
      return { items: rows.map((m) => messageView(m, { id: m.authorId, displayName: m.authorName })) };
    },
  );

  app.post(
    '/matches/:id/messages',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.messagePerAccount] },
      schema: {
        tags: ['matches'],
        summary: 'Write in the match thread',
        description: 'Idempotency-Key: a retry with the same key answers with the message already sent.',
        headers: IdempotencyHeaders,
        params: IdParamsSchema,
        body: MessageBodySchema,
        response: { 201: Type.Object({ message: MessageSchema }), ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const idempotency = idempotencyClaim(request, user.id, 'message');
      let made: Message | undefined;
      const { id, replayed } = await once(app.db, idempotency, async () => {
        made = await postMessage(app.db, user, request.params.id, request.body.body, app.clock.now(), idempotency);
        return made.id;
      });
      if (replayed || !made) {
        const row = await matchesRepo.message(app.db, id);
        await matchFor(app.db, user, row!.matchId); // still a party
        return reply
          .status(201)
          .header('idempotent-replayed', 'true')
          .send({ message: messageView(row!, { id: row!.authorId, displayName: row!.authorName }) });
      }
      return reply.status(201).send({ message: made });
    },
  );
};

export default matchesRoutes;
