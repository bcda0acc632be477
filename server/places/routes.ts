import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { ProblemSchema } from '../contract/problem';
import { IdParamsSchema } from '../contract/types';
import {
  PlaceNameQuerySchema,
  PlaceNameReplySchema,
  PlaceSearchQuerySchema,
  PlaceSearchReplySchema,
  PlacesStatusSchema,
  PostPlaceQuerySchema,
  PostPlaceReplySchema,
} from '../contract/places';
import { authenticate, requireUser } from '../auth/session';
import { badRequest, HttpProblem } from '../http/problem';
import { enforce, type Limit } from '../limits/counter';
import { Geocoder } from './geocoder';
import { pointName, postPlace, searchPlaces } from './service';

const HOUR = 3_600_000;
/**
 * Requests that go to the geocoder (answers already kept cost nothing and
 * count for nothing): a person choosing a place asks a few dozen; a script
 * walking the map would ask thousands, in our app's name.
 */
const LOOKUPS_PER_ACCOUNT: Limit = { name: 'geocode.account', max: 200, windowMs: HOUR };
const LOOKUPS_PER_IP: Limit = { name: 'geocode.ip', max: 600, windowMs: HOUR };

const placesRoutes: FastifyPluginAsyncTypebox<{ config: Config }> = async (app, { config }) => {
  const geocoder = config.geocoderUrl
    ? new Geocoder({
        baseUrl: config.geocoderUrl,
        intervalMs: config.geocoderIntervalMs,
        userAgent: `Aidmap (+${config.publicUrl})`,
        onFailure: (reason) => app.log.warn({ reason }, 'the geocoder failed'),
      })
    : null;
  const problems = { 400: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema };

  function configured(): Geocoder {
    if (!geocoder) {
      // No Retry-After: it will not be set up by trying again.
      throw new HttpProblem(503, 'Address search and place names are not set up on this server (GEOCODER_URL).');
    }
    return geocoder;
  }

  /** Counts a request about to go to the geocoder against the caller's budgets (429 beyond them). */
  const counted = (request: FastifyRequest) => async () => {
    const now = app.clock.now();
    const scaled = (limit: Limit) => ({ ...limit, max: Math.max(1, Math.round(limit.max * config.rateLimitScale)) });
    const detail = 'Many addresses have been looked up from here in the last hour.';
    if (request.user) {
      await enforce(app.db, scaled(LOOKUPS_PER_ACCOUNT), request.user.id, now, detail);
    }
    await enforce(app.db, scaled(LOOKUPS_PER_IP), request.ip, now, detail);
  };

  app.get(
    '/places/status',
    {
      schema: {
        tags: ['places'],
        summary: 'Whether this server has address search and place names (GEOCODER_URL is set)',
        response: { 200: PlacesStatusSchema },
      },
    },
    async () => ({ available: geocoder !== null }),
  );

  app.get(
    '/places/search',
    {
      preValidation: authenticate,
      schema: {
        tags: ['places'],
        summary: 'Addresses matching what was written (at most 5), those near lat/lng first; through the configured geocoder',
        description:
          'The query is never logged. Results are kept for a day, for the person who asked only. Lookups that reach the geocoder count against 200 an hour per account and 600 per IP (429); 503 with Retry-After when the geocoder is away, busy or not configured.',
        querystring: PlaceSearchQuerySchema,
        response: { 200: PlaceSearchReplySchema, 401: ProblemSchema, ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { q, lat, lng, lang } = request.query;
      const text = q.trim().replace(/\s+/g, ' ');
      if (text.length < 3) {
        throw badRequest('Write at least 3 letters or digits of the address.', [{ path: '/q', message: 'must have at least 3 characters besides spaces' }]);
      }
      if ((lat === undefined) !== (lng === undefined)) {
        throw badRequest('Give both lat and lng, or neither.', [{ path: lat === undefined ? '/lat' : '/lng', message: 'goes with the other coordinate' }]);
      }
      const near = lat !== undefined && lng !== undefined ? { lat, lng } : undefined;
      return { items: await searchPlaces(configured(), text, near, user, { lang: lang ?? 'en', beforeRequest: counted(request) }) };
    },
  );

  app.get(
    '/places/name',
    {
      preValidation: authenticate,
      schema: {
        tags: ['places'],
        summary: 'The address at a point (one being chosen for a post); null where the geocoder knows none',
        querystring: PlaceNameQuerySchema,
        response: { 200: PlaceNameReplySchema, 401: ProblemSchema, ...problems },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { lat, lng, lang } = request.query;
      return { name: await pointName(configured(), { lat, lng }, user, lang ?? 'en', counted(request)) };
    },
  );

  app.get(
    '/posts/:id/place',
    {
      schema: {
        tags: ['places'],
        summary: "A post's place and destination as names: the addresses for those entitled to its exact places (exact: true), else street, neighbourhood and town of its public points",
        params: IdParamsSchema,
        querystring: PostPlaceQuerySchema,
        response: { 200: PostPlaceReplySchema, 404: ProblemSchema, ...problems },
      },
    },
    async (request) => {
      const names = configured();
      return postPlace(app.db, names, request.params.id, request.user, request.query.lang ?? 'en', counted(request), app.clock.now());
    },
  );
};

export default placesRoutes;
