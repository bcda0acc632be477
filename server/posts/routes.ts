import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { loadSecret } from '../../db';
import { createPost, extendSchedules, getPost, LOCATION_KEY, listPosts, updatePost } from './service';
import { postView } from './view';
import { similarPosts } from './similar';
import { notFound } from '../http/problem';
import { type PostRow, postsRepo } from './repository';
import Type from 'typebox';
import { LIMITS } from '../limits/plugin';
import { idempotencyClaim } from '../http/idempotency';
import { POST_SAVED_JOB, postSavedHandler } from './followup';
import { organizedPostIds, organizesHome, isModerator, isSuspended, isBlocked } from '../access';
import { ProblemSchema } from '../contract/problem';
import { IdParamsSchema, Page, IdempotencyHeaders } from '../contract/types';
import { CreatePostBodySchema, ListPostsQuerySchema, PatchPostBodySchema, PostReplySchema, PostSchema, SimilarQuerySchema } from '../contract/posts';
import { authenticate, requireUser } from '../auth/session';

/** How often a process brings the stored weekly occurrences up to the clock. */
const EXTEND_EVERY_MS = 10 * 60 * 1000;
/** "My posts" shows this many, newest first. */
const MY_POSTS_LIMIT = 200;

export interface PostsRoutesOptions {
  /**
   * Runs after a post is created or edited, as the job that follows the
   * save, after the reply (app.ts gives the matches feature's suggestions:
   * posts sit below matches and do not import it).
   */
  afterSave?: (row: PostRow, now: Date) => Promise<void>;
}

const postsRoutes: FastifyPluginAsyncTypebox<PostsRoutesOptions> = async (app, opts) => {
  const locationKey = await loadSecret(app.db, LOCATION_KEY);
  const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

  // Listings filter on stored windows; keep them ahead of the clock before
  // answering (cheap when nothing is due: one indexed query), at most once a
  // minute. A failure is logged and retried later; the listing still answers.
  let lastExtended = Number.NEGATIVE_INFINITY;
  let extending: Promise<unknown> | null = null;
  async function freshSchedules(now: Date): Promise<void> {
    const t = now.getTime();
    if (t - lastExtended < 60_000 && t >= lastExtended) {
      return;
    }
    extending ??= extendSchedules(app.db, now)
      .catch((err: unknown) => app.log.error({ err }, 'extending schedules failed'))
      .finally(() => {
        lastExtended = t;
        extending = null;
      });
    await extending;
  }
  app.jobs.every('extend schedules', EXTEND_EVERY_MS, () => freshSchedules(app.clock.now()));
  // A listing may have started one as the app closes.
  app.addHook('onClose', async () => {
    await extending;
  });

  // What a save sets going runs after the reply, as a job (followup.ts); a failure is tried again, never the author's problem.
  app.queue.handle(POST_SAVED_JOB, postSavedHandler(app.db, opts.afterSave ?? null));

  app.post(
    '/posts',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.postPerAccount, LIMITS.postPerIp] },
      schema: {
        tags: ['posts'],
        summary: 'Post a need or an offer',
        description: 'Send an Idempotency-Key header (a UUID per post) to retry safely after a timeout: a retry with the same key answers with the post already made (Idempotent-Replayed: true); the same key with another body is 422.',
        headers: IdempotencyHeaders,
        body: CreatePostBodySchema,
        response: { 201: PostReplySchema, ...problems, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const idempotency = idempotencyClaim(request, user.id, 'post');
      // One statement writes the post, its event and its follow-up job; the reply waits for nothing else.
      const made = await createPost(app.db, user, request.body, { now, locationKey, idempotency });
      if ('replayed' in made) {
        // A retry of a post already made: the same post, not a second one.
        return reply.status(201).header('idempotent-replayed', 'true').send({ post: postView(await getPost(app.db, made.replayed), user, now) });
      }
      return reply.status(201).send({ post: postView(made.row, user, now) });
    },
  );

  app.get(
    '/posts',
    {
      schema: {
        tags: ['posts'],
        summary: 'Open posts in a box, newest first: public locations, exact for your own posts and for members\' posts in a community you organize',
        querystring: ListPostsQuerySchema,
        response: { 200: Page(PostSchema), 400: ProblemSchema },
      },
    },
    async (request) => {
      const now = app.clock.now();
      await freshSchedules(now);
      const { rows, nextCursor } = await listPosts(app.db, request.query, now, request.user?.id);
      const organized = request.user ? await organizedPostIds(app.db, request.user.id, rows.map((r) => r.id)) : new Set<string>();
      return { items: rows.map((row) => postView(row, request.user, now, organized.has(row.id))), nextCursor };
    },
  );

  app.get(
    '/me/posts',
    {
      preValidation: authenticate,
      schema: {
        tags: ['posts'],
        summary: 'Your own posts, every status, newest first (exact locations)',
        response: { 200: Type.Object({ items: Type.Array(PostSchema) }), 401: ProblemSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      return { items: (await postsRepo.byAuthor(app.db, user.id, MY_POSTS_LIMIT)).map((row) => postView(row, user, now)) };
    },
  );

  app.get(
    '/posts/similar',
    {
      preValidation: authenticate,
      schema: {
        tags: ['posts'],
        summary: 'Open posts like the one being written: same kind and category, within 1.5 km, meeting in time; your own first',
        querystring: SimilarQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ post: PostSchema, distanceM: Type.Number(), mine: Type.Boolean() })) }), 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const found = await similarPosts(app.db, user.id, request.query, now);
      return { items: found.map(({ row, distanceM, mine }) => ({ post: postView(row, user, now), distanceM, mine })) };
    },
  );

  app.get(
    '/posts/:id',
    {
      schema: {
        tags: ['posts'],
        summary: "One post; exact location only for its author and the organizers of its community (when the author is a member)",
        params: IdParamsSchema,
        response: { 200: PostReplySchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const now = app.clock.now();
      const row = await getPost(app.db, request.params.id);
      if (request.user && row.authorId !== request.user.id && (await isBlocked(app.db, request.user.id, row.authorId))) {
        throw notFound('There is no post with this id.', 'post.not_found');
      }
      const organized = request.user ? await organizedPostIds(app.db, request.user.id, [row.id]) : new Set<string>();
      const own = row.authorId === request.user?.id;
      // A hidden post is gone for everyone but its author and the organizers who may see it; so are the
      // posts of an account suspended platform-wide. Platform moderators, who may bring them back, see
      // those exactly; any other post they see as everyone does.
      const gone =
        (row.hiddenAt && !(request.user && (await organizesHome(app.db, request.user.id, row.id)))) || (await isSuspended(app.db, row.authorId));
      const moderating = gone && !own && request.user !== null && (await isModerator(app.db, request.user.id));
      if (gone && !own && !organized.has(row.id) && !moderating) {
        throw notFound('There is no post with this id.', 'post.not_found');
      }
      return { post: postView(row, request.user, now, organized.has(row.id) || moderating) };
    },
  );

  app.patch(
    '/posts/:id',
    {
      preValidation: authenticate,
      config: { limits: [LIMITS.editPerAccount] },
      schema: {
        tags: ['posts'],
        summary: 'Edit your post',
        description: 'A post may be moved (its place or a ride\'s destination changed) 4 times an hour, and one person\'s posts 20 times an hour; beyond that 429 with Retry-After.',
        params: IdParamsSchema,
        body: PatchPostBodySchema,
        response: { 200: PostReplySchema, ...problems, 429: ProblemSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const now = app.clock.now();
      const row = await updatePost(app.db, user, request.params.id, request.body, { now, locationKey });
      return { post: postView(row, user, now) };
    },
  );
};

export default postsRoutes;
