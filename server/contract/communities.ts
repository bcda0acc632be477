import Type, { type Static } from 'typebox';
import { CATEGORIES, COMMUNITY_ROLES, JOIN_POLICIES } from '../../db/schema';
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
    slug: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', minLength: 2, maxLength: 60, description: 'lower-case letters, digits and dashes, like "crown-heights"' }),
    boundary: BoundarySchema,
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, like "America/New_York"' }),
    joinPolicy: StringEnum(JOIN_POLICIES),
  },
  { additionalProperties: false },
);
export type CreateCommunityBody = Static<typeof CreateCommunityBodySchema>;

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
  /** Offers that could serve it, among the nearest the matching engine reads. */
  candidates: Type.Integer({ description: 'offers that could serve it, counted among the nearest 20 (see candidatesMore)' }),
  candidatesMore: Type.Boolean({ description: 'there may be more than `candidates` (only the nearest were judged); `noCandidates` is always exact' }),
  /** Nothing in reach could serve it: the needs organizers must find help for by hand. */
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
export const PlanSchema = Type.Object({
  pairs: Type.Array(Type.Object({ needId: Uuid, offerId: Uuid, distanceM: Type.Number() })),
  served: Type.Integer(),
  totalDistanceM: Type.Number(),
  /** True when proven optimal; false when the time bound ran out first (needs of several units). */
  exact: Type.Boolean(),
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
const Counts = Type.Object({ needs: Type.Integer(), offers: Type.Integer() });
export const CoverageSchema = Type.Object({
  cellM: Type.Integer(),
  cells: Type.Array(
    Type.Object({
      bbox: Type.Array(Type.Number(), { description: '[west, south, east, north]' }),
      needs: Type.Integer(),
      offers: Type.Integer(),
      /** Needs no offer of their category in the cell could cover. */
      gap: Type.Integer(),
      byCategory: Type.Record(Type.String(), Counts),
    }),
  ),
  days: Type.Array(Type.Object({ date: Type.String(), needs: Type.Integer(), offers: Type.Integer(), gap: Type.Integer() })),
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
