import Type, { type Static } from 'typebox';
import { CATEGORIES, POST_KINDS } from '../../db/schema';
import { DateTime, StringEnum, Uuid } from './types';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const DIETARY_TAGS = ['vegetarian', 'vegan', 'halal', 'kosher', 'gluten-free', 'nut-free', 'dairy-free'] as const;
export const TUTORING_MODES = ['in_person', 'remote', 'either'] as const;
/** `hidden`: taken down by an organizer (moderation); stored as cancelled. */
export const POST_STATUSES = ['open', 'matched', 'fulfilled', 'cancelled', 'expired', 'hidden'] as const;
export const MAX_WINDOWS = 20;

export const LatLngSchema = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);

export const WindowSchema = Type.Object({ start: DateTime, end: DateTime }, { additionalProperties: false });

const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: '"HH:MM" (24 h), like "09:30"' });
const LocalDate = Type.String({ format: 'date' });

export const RecurrenceSchema = Type.Object(
  {
    days: Type.Array(StringEnum(WEEKDAYS), { minItems: 1, maxItems: 7, uniqueItems: true }),
    startTime: LocalTime,
    endTime: LocalTime,
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, like "America/New_York"' }),
    from: Type.Optional(LocalDate),
    until: Type.Optional(LocalDate),
  },
  { additionalProperties: false },
);

// Category details. The route accepts any object under `details`; these are
// checked in posts/validate.ts against the post's category, so the errors can
// name the category ("tutoring needs a subject") instead of a failed union.
export const RideDetailsSchema = Type.Object(
  {
    destination: Type.Optional(LatLngSchema),
    wheelchair: Type.Optional(Type.Boolean()),
    maxDetourM: Type.Optional(Type.Integer({ minimum: 0, maximum: 50_000 })),
  },
  { additionalProperties: false },
);
export const MealDetailsSchema = Type.Object(
  {
    dietary: Type.Optional(Type.Array(StringEnum(DIETARY_TAGS), { maxItems: DIETARY_TAGS.length, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export const TutoringDetailsSchema = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 80 }),
    level: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    languages: Type.Optional(
      Type.Array(Type.String({ minLength: 2, maxLength: 35, description: 'a BCP 47 language tag, like "es" or "en-US"' }), {
        maxItems: 10,
        uniqueItems: true,
      }),
    ),
    mode: Type.Optional(StringEnum(TUTORING_MODES)),
  },
  { additionalProperties: false },
);
export const NoDetailsSchema = Type.Object({}, { additionalProperties: false });

export type RideDetails = Static<typeof RideDetailsSchema>;
export type MealDetails = Static<typeof MealDetailsSchema>;
export type TutoringDetails = Static<typeof TutoringDetailsSchema>;
export type Details = RideDetails & MealDetails & Partial<TutoringDetails>;

const DetailsSchema = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'By category — ride: {destination?, wheelchair?, maxDetourM?} (a ride need names its destination); ' +
    'meal: {dietary?: [vegetarian|vegan|halal|kosher|gluten-free|nut-free|dairy-free]}; ' +
    'tutoring: {subject, level?, languages?: [BCP 47], mode?: in_person|remote|either}; other categories: none.',
});

const Title = Type.String({ minLength: 1, maxLength: 120 });
const Description = Type.String({ maxLength: 2000 });
const RadiusM = Type.Integer({ minimum: 100, maximum: 50_000, description: 'metres; default 2000' });
const Capacity = Type.Integer({ minimum: 1, maximum: 1000, description: 'seats, servings or learners; default 1' });
const Windows = Type.Array(WindowSchema, { maxItems: MAX_WINDOWS });

export const CreatePostBodySchema = Type.Object(
  {
    kind: StringEnum(POST_KINDS),
    category: StringEnum(CATEGORIES),
    title: Title,
    description: Type.Optional(Description),
    location: LatLngSchema,
    radiusM: Type.Optional(RadiusM),
    windows: Type.Optional(Windows),
    recurrence: Type.Optional(RecurrenceSchema),
    capacity: Type.Optional(Capacity),
    details: Type.Optional(DetailsSchema),
  },
  { additionalProperties: false },
);
export type CreatePostBody = Static<typeof CreatePostBodySchema>;

/** Any subset of the create fields; `null` clears `description` or `recurrence`. */
export const PatchPostBodySchema = Type.Object(
  {
    kind: Type.Optional(StringEnum(POST_KINDS)),
    category: Type.Optional(StringEnum(CATEGORIES)),
    title: Type.Optional(Title),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    location: Type.Optional(LatLngSchema),
    radiusM: Type.Optional(RadiusM),
    windows: Type.Optional(Windows),
    recurrence: Type.Optional(Type.Union([RecurrenceSchema, Type.Null()])),
    capacity: Type.Optional(Capacity),
    details: Type.Optional(DetailsSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchPostBody = Static<typeof PatchPostBodySchema>;

export const PostSchema = Type.Object({
  id: Uuid,
  kind: StringEnum(POST_KINDS),
  category: StringEnum(CATEGORIES),
  title: Type.String(),
  description: Type.Optional(Type.String()),
  location: LatLngSchema,
  /** 0 when `location` is exact (the viewer is entitled to it), else the fuzz radius. */
  locationPrecisionM: Type.Integer(),
  radiusM: Type.Integer(),
  windows: Type.Array(WindowSchema),
  recurrence: Type.Optional(RecurrenceSchema),
  schedule: Type.Array(WindowSchema),
  capacity: Type.Integer(),
  capacityLeft: Type.Integer(),
  details: Type.Record(Type.String(), Type.Unknown()),
  status: StringEnum(POST_STATUSES),
  author: Type.Object({ id: Uuid, displayName: Type.String() }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Post = Static<typeof PostSchema>;

export const PostReplySchema = Type.Object({ post: PostSchema });

export const ListPostsQuerySchema = Type.Object(
  {
    bbox: Type.String({ description: 'west,south,east,north in degrees, like "-74.0,40.6,-73.9,40.7"' }),
    kind: Type.Optional(StringEnum(POST_KINDS)),
    category: Type.Optional(Type.String({ description: 'one or more categories, comma-separated' })),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    community: Type.Optional({ ...Uuid, description: "only the posts that belong to this community (its members' map filter; members only)" }),
  },
  { additionalProperties: false },
);
export type ListPostsQuery = Static<typeof ListPostsQuerySchema>;

export const SimilarQuerySchema = Type.Object(
  {
    kind: StringEnum(POST_KINDS),
    category: StringEnum(CATEGORIES),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    start: DateTime,
    end: DateTime,
  },
  { additionalProperties: false },
);
