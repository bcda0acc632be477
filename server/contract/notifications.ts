// Notifications: what happened that concerns a person, as the inbox lists it
// and the channels (open pages, Web Push, e-mail) deliver it; a person's
// choices per kind and channel; alerts of new needs near a place.
import Type, { type Static } from 'typebox';
import { CATEGORIES } from '../../db/schema';
import { StringEnum } from './types';

/**
 * Every kind, with whether it goes by e-mail and by push unless the person
 * chose otherwise. The inbox (and open pages) always get every kind.
 */
export const NOTIFICATION_KINDS = {
  /** Someone offered to help with your need, or asked for your offer. */
  'match.proposed': { email: true, push: true },
  'match.accepted': { email: true, push: true },
  'match.declined': { email: true, push: true },
  'match.cancelled': { email: true, push: true },
  'match.completed': { email: false, push: false },
  'message.created': { email: true, push: true },
  /** Your need is due within a day and nobody has offered yet: still needed? */
  still_needed: { email: true, push: true },
  /** A proposal nobody answered in time was withdrawn. */
  proposal_expired: { email: true, push: true },
  /** To a community's organizers: a helper cancelled an accepted match less than a day before. */
  late_cancellation: { email: true, push: true },
  /** A new need of an alert's categories within its radius. */
  need_nearby: { email: true, push: true },
} as const satisfies Record<string, { email: boolean; push: boolean }>;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;
export const NOTIFICATION_KIND_NAMES = Object.keys(NOTIFICATION_KINDS) as NotificationKind[];
export const CHANNELS = ['email', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a notification says beside its kind: the post's title, who acted, a message's first words. */
export const NotificationDataSchema = Type.Object({
  title: Type.Optional(Type.String()),
  actorName: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
});
export type NotificationData = Static<typeof NotificationDataSchema>;

export const NotificationSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: StringEnum(NOTIFICATION_KIND_NAMES),
  postId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  matchId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  communityId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  data: NotificationDataSchema,
  /** A note from a person outside any match (an organizer's, or an answer to one): POST …/reply answers it. */
  replyable: Type.Boolean({ description: 'A note written to you outside any match (an organizer\'s, or an answer to yours): POST /api/me/notifications/{id}/reply answers its writer' }),
  createdAt: Type.String({ format: 'date-time' }),
  readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type Notification = Static<typeof NotificationSchema>;

export const NotificationListSchema = Type.Object({
  items: Type.Array(NotificationSchema),
  /** Unread notifications in all (not only on this page). */
  unread: Type.Integer({ minimum: 0 }),
  /** Pass as `before` for the next (older) page; null: no more. */
  next: Type.Union([Type.String(), Type.Null()]),
});

export const NotificationListQuerySchema = Type.Object(
  {
    before: Type.Optional(Type.String({ maxLength: 100, description: 'the `next` of the page before' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 30 })),
    unread: Type.Optional(Type.Boolean({ description: 'only the unread ones' })),
  },
  { additionalProperties: false },
);

export const MarkReadBodySchema = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 500 })),
    all: Type.Optional(Type.Literal(true, { description: 'every notification of yours, up to now' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UnreadSchema = Type.Object({ unread: Type.Integer({ minimum: 0 }) });

/** A person's choice per kind and channel (defaults filled in). */
export const PreferencesSchema = Type.Object({
  /** E-mails go only to a verified address: until then the `email` choices wait. */
  emailVerified: Type.Boolean(),
  kinds: Type.Array(
    Type.Object({
      kind: StringEnum(NOTIFICATION_KIND_NAMES),
      email: Type.Boolean(),
      push: Type.Boolean(),
    }),
  ),
});
export type Preferences = Static<typeof PreferencesSchema>;

export const PreferenceChangeSchema = Type.Object(
  {
    changes: Type.Array(
      Type.Object(
        {
          kind: StringEnum(NOTIFICATION_KIND_NAMES),
          channel: StringEnum(CHANNELS),
          enabled: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
);

/** The most alerts one person may keep, and the most notifications one alert sends a day. */
export const MAX_ALERTS = 10;
export const MAX_ALERTS_A_DAY = 50;

export const AlertSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  /** The place as its owner gave it: alerts are private to them. */
  center: Type.Object({ lat: Type.Number(), lng: Type.Number() }),
  radiusM: Type.Integer(),
  categories: Type.Array(StringEnum(CATEGORIES)),
  dailyMax: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Alert = Static<typeof AlertSchema>;

export const NewAlertSchema = Type.Object(
  {
    center: Type.Object(
      { lat: Type.Number({ minimum: -90, maximum: 90 }), lng: Type.Number({ minimum: -180, maximum: 180 }) },
      { additionalProperties: false },
    ),
    radiusM: Type.Integer({ minimum: 100, maximum: 50_000, description: 'metres, 100 to 50,000' }),
    categories: Type.Array(StringEnum(CATEGORIES), { minItems: 1, maxItems: CATEGORIES.length, uniqueItems: true }),
    dailyMax: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ALERTS_A_DAY, default: 5, description: 'at most this many notifications a day' })),
  },
  { additionalProperties: false },
);

export const REPLY_MAX = 1000;
export const ReplyBodySchema = Type.Object({ body: Type.String({ minLength: 1, maxLength: REPLY_MAX }) }, { additionalProperties: false });
