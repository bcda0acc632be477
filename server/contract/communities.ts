import Type, { type Static } from 'typebox';
import { CATEGORIES, COMMUNITY_ROLES, JOIN_POLICIES } from '../../db/schema';
import { ProblemSchema } from './problem';
import { SLUG_MAX, SLUG_MIN, SLUG_PATTERN } from './slug';
import { DateTime, StringEnum, Uuid } from './types';

/**
 * The most vertices a boundary may have, all rings together (a
 * neighborhood's outline, not a coastline survey: a 3,400-vertex comb made
 * organizer reads take 30 s).
 */
export const MAX_BOUNDARY_POSITIONS = 1000;
/** The longest edge of a boundary, in degrees of arc (about 1,100 km): see boundaryProblems. */
export const MAX_EDGE_DEGREES = 10;
/** The largest area a community may cover: a city, not a country. */
export const MAX_AREA_KM2 = 5000;

/** A corner of an area's outline, [lng, lat] (GeoJSON order). */
export type Corner = [number, number];

/** Why an outline is not a usable area, found the way the server finds it (the app warns before sending). */
export type OutlineProblem =
  | { kind: 'tooFewCorners' }
  | { kind: 'flat' }
  /** Two edges, each [from, to]: 0-based indices of corners as given. */
  | { kind: 'crossing'; edges: [[number, number], [number, number]] }
  | { kind: 'longEdge'; edge: [number, number]; degrees: number }
  | { kind: 'tooManyCorners'; corners: number }
  | { kind: 'tooLarge'; km2: number };

/** Central angle between two [lng, lat] positions, in degrees (haversine). */
export function arcDegrees([lng1, lat1]: readonly number[], [lng2, lat2]: readonly number[]): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2! - lat1!) * rad) / 2) ** 2 + Math.cos(lat1! * rad) * Math.cos(lat2! * rad) * Math.sin(((lng2! - lng1!) * rad) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / rad;
}

/** The outline's corners without repeats of the one before (nor a closing repeat of the first), each with its index as given. */
function distinctCorners(corners: readonly Corner[]): { at: Corner; index: number }[] {
  const out: { at: Corner; index: number }[] = [];
  corners.forEach((at, index) => {
    const last = out[out.length - 1];
    if (!last || last.at[0] !== at[0] || last.at[1] !== at[1]) {
      out.push({ at, index });
    }
  });
  while (out.length > 1 && out[0]!.at[0] === out[out.length - 1]!.at[0] && out[0]!.at[1] === out[out.length - 1]!.at[1]) {
    out.pop();
  }
  return out;
}

/** Twice the signed planar area of the points (lng, lat as x, y). */
function cross(o: Corner, a: Corner, b: Corner): number {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/**
 * Whether a, b and c lie on one line, to within rounding: decimal degrees are
 * not exact in binary, so three corners typed on a line may miss it by 1e-17.
 */
function collinear(a: Corner, b: Corner, c: Corner): boolean {
  return Math.abs(cross(a, b, c)) <= 1e-12 * Math.hypot(b[0] - a[0], b[1] - a[1]) * Math.hypot(c[0] - a[0], c[1] - a[1]);
}

/** Whether q, on the line through p and r, lies within their box. */
function within(p: Corner, q: Corner, r: Corner): boolean {
  return Math.min(p[0], r[0]) <= q[0] && q[0] <= Math.max(p[0], r[0]) && Math.min(p[1], r[1]) <= q[1] && q[1] <= Math.max(p[1], r[1]);
}

/** Whether segments ab and cd meet (touching counts: PostGIS calls that a self-intersection too). */
function meet(a: Corner, b: Corner, c: Corner, d: Corner): boolean {
  const [d1, d2, d3, d4] = [cross(c, d, a), cross(c, d, b), cross(a, b, c), cross(a, b, d)];
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    return true;
  }
  return (d1 === 0 && within(c, a, d)) || (d2 === 0 && within(c, b, d)) || (d3 === 0 && within(a, c, b)) || (d4 === 0 && within(a, d, b));
}

/**
 * Area of an outline on the sphere, in km² (the spherical-excess sum
 * Leaflet.draw's geodesicArea uses; PostGIS measures on the spheroid, within
 * about half a percent of this).
 */
export function outlineAreaKm2(corners: readonly Corner[]): number {
  const rad = Math.PI / 180;
  const ring = distinctCorners(corners).map((c) => c.at);
  let sum = 0;
  ring.forEach((p, i) => {
    const q = ring[(i + 1) % ring.length]!;
    sum += (q[0] - p[0]) * rad * (2 + Math.sin(p[1] * rad) + Math.sin(q[1] * rad));
  });
  return Math.abs((sum * 6378137 ** 2) / 2) / 1e6;
}

/**
 * What is wrong with one ring of an area's outline, or null: the rules the
 * server applies (at least 3 corners not on one line, no edge crossing or
 * touching another, as PostGIS's ST_IsValid; edges and corners within
 * MAX_EDGE_DEGREES and MAX_BOUNDARY_POSITIONS; at most MAX_AREA_KM2), so
 * the app can say so while the area is drawn. Edges are straight in
 * longitude and latitude, as the map draws them and the server tests them.
 */
export function outlineProblem(corners: readonly Corner[]): OutlineProblem | null {
  const ring = distinctCorners(corners);
  const n = ring.length;
  if (n < 3) {
    return { kind: 'tooFewCorners' };
  }
  if (n + 1 > MAX_BOUNDARY_POSITIONS) {
    return { kind: 'tooManyCorners', corners: n };
  }
  const at = (i: number) => ring[i % n]!.at;
  const edge = (i: number): [number, number] => [ring[i % n]!.index, ring[(i + 1) % n]!.index];
  if (ring.every((c) => collinear(at(0), at(1), c.at))) {
    return { kind: 'flat' };
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [a, b, c, d] = [at(i), at(i + 1), at(j), at(j + 1)];
      const adjacent = j === i + 1 || (i === 0 && j === n - 1);
      // Neighbouring edges share a corner; they go wrong only by folding back along each other.
      const crosses = adjacent
        ? j === i + 1
          ? collinear(b, a, d) && (a[0] - b[0]) * (d[0] - b[0]) + (a[1] - b[1]) * (d[1] - b[1]) > 0
          : collinear(a, b, c) && (b[0] - a[0]) * (c[0] - a[0]) + (b[1] - a[1]) * (c[1] - a[1]) > 0
        : meet(a, b, c, d);
      if (crosses) {
        return { kind: 'crossing', edges: [edge(i), edge(j)] };
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const degrees = arcDegrees(at(i), at(i + 1));
    if (degrees > MAX_EDGE_DEGREES) {
      return { kind: 'longEdge', edge: edge(i), degrees };
    }
  }
  const km2 = outlineAreaKm2(corners);
  return km2 > MAX_AREA_KM2 ? { kind: 'tooLarge', km2 } : null;
}

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3, description: '[lng, lat] (GeoJSON order)' });
const Ring = Type.Array(Position, { minItems: 4, description: 'a closed ring: first and last positions equal' });

export const BoundarySchema = Type.Union(
  [
    Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
    Type.Object(
      { type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Ring, { minItems: 1, maxItems: 50 }), { minItems: 1, maxItems: 50 }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'GeoJSON Polygon or MultiPolygon, positions [lng, lat]' },
);
export type Boundary = Static<typeof BoundarySchema>;

export const CreateCommunityBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    slug: Type.Optional(
      Type.String({
        pattern: SLUG_PATTERN,
        minLength: SLUG_MIN,
        maxLength: SLUG_MAX,
        description: 'lower-case letters, digits and dashes, like "crown-heights"; when absent, derived from the name (slugify in server/contract/slug.ts, with -2, -3, … when taken)',
      }),
    ),
    boundary: BoundarySchema,
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, like "America/New_York"' }),
    joinPolicy: StringEnum(JOIN_POLICIES),
  },
  { additionalProperties: false },
);
export type CreateCommunityBody = Static<typeof CreateCommunityBodySchema>;
/** A taken short name's 409 names a free one like it. */
export const SlugTakenProblemSchema = Type.Object(
  { ...ProblemSchema.properties, suggestedSlug: Type.Optional(Type.String({ description: 'a short name like the one asked for that is free now' })) },
  { description: 'RFC 9457 problem details' },
);


export const CommunitySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  slug: Type.String(),
  boundary: Type.Unsafe<Boundary>({ type: 'object', additionalProperties: true, description: 'GeoJSON MultiPolygon' }),
  areaKm2: Type.Number(),
  timezone: Type.String(),
  joinPolicy: StringEnum(JOIN_POLICIES),
  memberCount: Type.Integer(),
  createdAt: DateTime,
  /** The caller's role, when they belong (absent otherwise, and when suspended: `suspended: true`). */
  myRole: Type.Optional(StringEnum(COMMUNITY_ROLES)),
  suspended: Type.Optional(Type.Boolean()),
});
export type Community = Static<typeof CommunitySchema>;

export const MembershipSchema = Type.Object({
  communityId: Uuid,
  user: Type.Object({ id: Uuid, displayName: Type.String() }),
  role: StringEnum(COMMUNITY_ROLES),
  suspended: Type.Boolean(),
  joinedAt: DateTime,
});
export type Membership = Static<typeof MembershipSchema>;

export const JoinBodySchema = Type.Object({ inviteCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false });

export const InviteBodySchema = Type.Object(
  { expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'default: never expires' })) },
  { additionalProperties: false },
);
export const InviteSchema = Type.Object({
  code: Type.String(),
  createdAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()]),
  revokedAt: Type.Union([DateTime, Type.Null()]),
  createdBy: Type.Object({ id: Uuid, displayName: Type.String() }),
});
export type Invite = Static<typeof InviteSchema>;

export const RoleBodySchema = Type.Object({ role: StringEnum(COMMUNITY_ROLES) }, { additionalProperties: false });
export const MemberParamsSchema = Type.Object({ id: Uuid, userId: Uuid });
export const InviteParamsSchema = Type.Object({ id: Uuid, code: Type.String({ minLength: 1, maxLength: 64 }) });

export const TriageItemSchema = Type.Object({
  needId: Uuid,
  title: Type.String(),
  category: Type.String(),
  author: Type.Object({ id: Uuid, displayName: Type.String() }),
  nextStart: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
  ageHours: Type.Integer(),
  /** Helpers: members' open offers of the same days that fit it by every matching rule (what a plan of those days pairs it with). */
  candidates: Type.Integer({
    description: "members' open offers with a window in the next 14 days that could serve it (counted up to 20): category and details, area (the larger radius), times meeting, capacity, blocks, judged at true places (the same helpers plans and coverage count)",
  }),
  candidatesMore: Type.Boolean({ description: 'there may be more than `candidates` (counting stops at 20); `noCandidates` is always exact' }),
  /** No member's offer could serve it: the needs organizers must find help for by hand. */
  noCandidates: Type.Boolean(),
  /** Its author was asked "still needed?" (due within a day, nobody yet). */
  stillNeededAsked: Type.Boolean(),
  /** A helper cancelled it, accepted, less than a day before. */
  helperCancelledLate: Type.Boolean(),
});

export const PlanBodySchema = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    categories: Type.Optional(Type.Array(StringEnum(CATEGORIES), { minItems: 1, uniqueItems: true })),
  },
  { additionalProperties: false },
);
/** One need triage lists, and the helpers it counts, the best first: what an organizer proposes by hand from. */
export const TriageNeedSchema = Type.Object({
  need: TriageItemSchema,
  helpers: Type.Array(
    Type.Object({
      offerId: Uuid,
      title: Type.String(),
      helper: Type.Object({ id: Uuid, displayName: Type.String() }),
      distanceM: Type.Number({ description: 'between the two true places, to 100 m' }),
      startsAt: DateTime,
      endsAt: DateTime,
      /** A live match of this pair already: proposed (waiting for the helper) or accepted. */
      match: Type.Union([Type.Literal('proposed'), Type.Literal('accepted'), Type.Null()]),
    }),
    { description: "the best 60 of the need's helpers (its `candidates`), each with the occasion a proposal made now would be for" },
  ),
});
export const NeedParamsSchema = Type.Object({ id: Uuid, needId: Uuid });
export const NoteBodySchema = Type.Object({ body: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

export const PlanSchema = Type.Object({
  pairs: Type.Array(
    Type.Object({
      needId: Uuid,
      offerId: Uuid,
      distanceM: Type.Number({ description: 'between the two true places, to 100 m' }),
      needTitle: Type.String(),
      offerTitle: Type.String(),
      /** Who would help, by the name they go by. */
      helper: Type.Object({ id: Uuid, displayName: Type.String() }),
      /** The occasion a proposal made now would be for: the first time both are free that is not over. */
      startsAt: DateTime,
      endsAt: DateTime,
    }),
  ),
  served: Type.Integer(),
  totalDistanceM: Type.Number(),
  /** True when proven optimal; false when the search stopped first (needs of several units): see `gap`. */
  exact: Type.Boolean(),
  gap: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
    description:
      "the plan's cost (distance plus the fairness term) is proven at most this fraction above the best possible for as many needs served (0.004: 0.4%); 0 when exact; null when the time ran out before any bound was known",
  }),
  needs: Type.Integer(),
  offers: Type.Integer(),
  edges: Type.Integer(),
});
export const ApplyBodySchema = Type.Object(
  { pairs: Type.Array(Type.Object({ needId: Uuid, offerId: Uuid }, { additionalProperties: true }), { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
export const ApplySchema = Type.Object({
  created: Type.Array(Type.Object({ needId: Uuid, offerId: Uuid, matchId: Uuid })),
  skipped: Type.Array(Type.Object({ needId: Uuid, offerId: Uuid, reason: Type.String() })),
});

export const FlagBodySchema = Type.Object(
  { postId: Type.Optional(Uuid), userId: Type.Optional(Uuid), reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
/** A report as organizers see it: never who filed it (platform moderators alone know: GET /api/moderation/flags). */
export const FlagSchema = Type.Object({
  id: Uuid,
  reason: Type.String(),
  createdAt: DateTime,
  post: Type.Optional(Type.Object({ id: Uuid, title: Type.String(), hidden: Type.Boolean() })),
  user: Type.Optional(Type.Object({ id: Uuid, displayName: Type.String() })),
});
export const HideBodySchema = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
export const SuspendBodySchema = Type.Object({ userId: Uuid, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

export const RosterItemSchema = Type.Object({
  user: Type.Object({ id: Uuid, displayName: Type.String() }),
  offers: Type.Array(Type.Object({ id: Uuid, category: Type.String(), title: Type.String(), nextWindows: Type.Array(Type.String()) })),
  languages: Type.Array(Type.String()),
  acceptedLast30Days: Type.Integer(),
  completed: Type.Integer(),
  cancelledAfterAccepting: Type.Integer(),
});
export const CoverageQuerySchema = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    // A few coarse sizes only: cells of many sizes overlaid would pin a post down.
    cellM: Type.Optional(Type.Union([Type.Literal(500), Type.Literal(1000), Type.Literal(2000), Type.Literal(5000)], { description: 'cell width in metres: 500 (default), 1000, 2000 or 5000' })),
  },
  { additionalProperties: false },
);
const Counts = Type.Object({
  needs: Type.Integer(),
  offers: Type.Integer(),
  unserved: Type.Integer({ description: "of the needs, those no member's offer of the range can serve (as triage and plans count)" }),
});
export const CoverageSchema = Type.Object({
  cellM: Type.Integer(),
  cells: Type.Array(
    Type.Object({
      bbox: Type.Array(Type.Number(), { description: '[west, south, east, north]' }),
      needs: Type.Integer(),
      offers: Type.Integer(),
      /** Needs in the cell no member's offer of the range can serve (wherever the offer is): the sum of `unserved`. */
      gap: Type.Integer(),
      byCategory: Type.Record(Type.String(), Counts),
    }),
  ),
  days: Type.Array(Type.Object({ date: Type.String(), needs: Type.Integer(), offers: Type.Integer(), gap: Type.Integer({ description: "the day's needs no member's offer of the range can serve" }) })),
});

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  actor: Type.Object({ id: Uuid, displayName: Type.String() }),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  subjectName: Type.Optional(Type.String({ description: "the subject's name now: a person's display name, a post's or a match's need's title, the community's name, an invite's code" })),
  before: Type.Union([Type.Unknown(), Type.Null()]),
  after: Type.Union([Type.Unknown(), Type.Null()]),
  createdAt: DateTime,
});
export const AuditQuerySchema = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'entries older than this id (the next page)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

export const ExportQuerySchema = Type.Object(
  {
    tz: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'IANA time zone the file\'s times are written in (default: the community\'s); the CSV names it in its time_zone column',
      }),
    ),
  },
  { additionalProperties: false },
);
