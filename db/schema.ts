import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  check,
  customType,
  index,
  integer,
  json,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { geographyArea, geographyPoint, tstzmultirange, tstzrange } from './geography';
import type { EventPayload, LoggedState, NotificationData, PostDetails, StoredPushKeys, StoredRecurrence, StoredWindow, StoredWindowList } from './json';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType() {
    return 'bytea';
  },
});

export const POST_KINDS = ['need', 'offer'] as const;
export const CATEGORIES = [
  'ride',
  'meal',
  'tutoring',
  'grocery',
  'errand',
  'childcare',
  'repair',
  'lending',
  'companionship',
  'other',
] as const;
/** Stored statuses. `expired` is derived on read from `endsAt` and the clock. */
export const STORED_POST_STATUSES = ['open', 'matched', 'fulfilled', 'cancelled'] as const;

export const MATCH_STATUSES = ['suggested', 'proposed', 'accepted', 'declined', 'cancelled', 'completed'] as const;
/** Statuses that hold a pair: at most one such match per need–offer pair. */
export const LIVE_MATCH_STATUSES = ['suggested', 'proposed', 'accepted'] as const;

export const COMMUNITY_ROLES = ['member', 'organizer', 'admin'] as const;
export const JOIN_POLICIES = ['open', 'invite'] as const;

export const postKind = pgEnum('post_kind', POST_KINDS);
export const communityRole = pgEnum('community_role', COMMUNITY_ROLES);
export const joinPolicy = pgEnum('join_policy', JOIN_POLICIES);
export const matchStatus = pgEnum('match_status', MATCH_STATUSES);
export const postCategory = pgEnum('post_category', CATEGORIES);
export const postStatus = pgEnum('post_status', STORED_POST_STATUSES);

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
/** A person the row belongs to: it goes when their account goes. */
const person = () =>
  uuid()
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' });

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Normalised (trimmed, lower-cased) so one address is one account. */
    email: text().notNull(),
    passwordHash: text().notNull(),
    displayName: text().notNull(),
    createdAt: createdAt(),
    /** A platform moderator since then (granted and revoked from the command line only: `npm run admin`); null: not one. */
    moderatorSince: timestamp({ withTimezone: true }),
    /** Suspended platform-wide by a moderator: cannot sign in, and their open posts leave listings and candidate lists. */
    suspendedAt: timestamp({ withTimezone: true }),
    /** The address was shown to be theirs (a link mailed to it was opened); until then nothing else is mailed to it. */
    emailVerifiedAt: timestamp({ withTimezone: true }),
    /** The language mails are written in (`en`, `es`), as the person last chose it in the app. */
    locale: text().notNull().default('en'),
    /** The person deleted their account: the row stays, nameless and unable to sign in, so others' threads keep their messages. */
    deletedAt: timestamp({ withTimezone: true }),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie's random token: a leaked table does not sign anyone in. */
    tokenHash: bytea().primaryKey(),
    userId: person(),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** Last request seen on this session (written at most every few minutes): idle sessions end. */
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The browser's User-Agent when it signed in, so a person can tell their sessions apart. */
    userAgent: text(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Idempotency-Key claims (server/http/idempotency.ts): what a key made, recorded in the same transaction. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: person(),
    key: text().notNull(),
    /** `post`, `match` or `message`: the kind of resource the key made. */
    scope: text().notNull(),
    /** SHA-256 of the request body: the same key with another body is refused. */
    fingerprint: text().notNull(),
    resourceId: uuid().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Fixed-window hit counters shared by every process (server/limits): how
 * often a key (an action and who did it, or what it was done to) was hit in
 * the window starting at `windowStart`. Rows of past windows are pruned.
 */
export const rateCounters = pgTable(
  'rate_counters',
  {
    key: text().notNull(),
    windowStart: timestamp({ withTimezone: true }).notNull(),
    hits: integer().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index('rate_counters_expires_idx').on(t.expiresAt)],
);

/** Server-side secrets shared by every process (e.g. the key public locations are derived with). */
export const secrets = pgTable('secrets', {
  name: text().primaryKey(),
  value: bytea().notNull(),
  createdAt: createdAt(),
});

export const posts = pgTable(
  'posts',
  {
    id: uuid().primaryKey().defaultRandom(),
    authorId: person(),
    kind: postKind().notNull(),
    category: postCategory().notNull(),
    title: text().notNull(),
    description: text(),
    /** The true point: only the author (and later parties/organizers) ever see it. */
    location: geographyPoint().notNull(),
    /** `location` moved by its derived offset (geo.derivedOffset): what everyone else sees, and what bbox filters use. */
    publicLocation: geographyPoint().notNull(),
    locationPrecisionM: integer().notNull(),
    radiusM: integer().notNull(),
    /** A ride's destination, exact and public, kept as columns for GiST indexes. */
    destination: geographyPoint(),
    publicDestination: geographyPoint(),
    capacity: integer().notNull(),
    capacityLeft: integer().notNull(),
    /** Category details as given, without the destination (held in the columns above). */
    details: jsonb().$type<PostDetails>().notNull().default({}),
    /** One-off windows exactly as given. */
    windows: jsonb().$type<StoredWindow[]>().notNull().default([]),
    /** The weekly rule as given, or null. */
    recurrence: jsonb().$type<StoredRecurrence>(),
    status: postStatus().notNull().default('open'),
    /** End of the last window ever (null: a rule without `until` never runs out). */
    endsAt: timestamp({ withTimezone: true }),
    /** Start of the rule's `from` day in its zone: the schedule horizon is 8 weeks from max(now, this). */
    recurrenceFromAt: timestamp({ withTimezone: true }),
    /** post_windows holds the rule's occurrences up to here; extended as time passes. */
    windowsUntil: timestamp({ withTimezone: true }),
    /** range_agg of the post's post_windows (postsRepo keeps it in step): the time key of posts_match_gix. */
    schedule: tstzmultirange().notNull().default(sql`'{}'::tstzmultirange`),
    /**
     * The hours of the week (UTC, 0–167, counted from a Thursday) its windows
     * touch. A GiST key on `schedule` is one bounding range, which for a
     * weekly rule spans weeks and prunes nothing; a 168-bit signature of the
     * hours prunes weekly posts that never meet in the index's leaves.
     */
    weekHours: integer().array().notNull().default(sql`'{}'::int[]`),
    /**
     * The post's post_windows as `[[startEpochS, endEpochS, recurring], …]` in
     * order (postsRepo keeps it in step with them, as `schedule`; pruning
     * leaves ended ones until the next change). Candidates read a row's
     * upcoming windows here, in the row the index walk already reads, rather
     * than with a probe of post_windows per row.
     */
    storedWindows: json().$type<StoredWindowList>().notNull().default([]),
    /** Hidden by an organizer (moderation): stored as cancelled, shown as `hidden`, out of every listing and candidate list. */
    hiddenAt: timestamp({ withTimezone: true }),
    hiddenBy: uuid().references(() => users.id),
    /** A need asked "still needed?" (24 hours before its first window, no helper yet): asked once. */
    stillNeededAskedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Candidates (matching/candidates.ts): one GiST over the equality keys
    // (btree_gist), the public point and the schedule, for open posts only, so
    // a KNN scan sees only posts of the right kind and category that meet in time.
    // Candidates are found by public points (the privacy invariant: a viewer
    // not entitled to a post's true place learns nothing computed from it).
    // (intarray's gist__intbig_ops with a 24-byte signature: one bit per hour of the week, exact at the leaves.)
    index('posts_match_gix')
      .using('gist', t.category, t.kind, t.publicLocation, t.schedule, sql`${t.weekHours} gist__intbig_ops (siglen = 24)`)
      .where(sql`${t.status} = 'open'`),
    // The largest radius among open posts of a kind and category: the outer bound of any reach.
    index('posts_open_radius_idx').on(t.kind, t.category, t.radiusM).where(sql`${t.status} = 'open'`),
    index('posts_destination_gix').using('gist', t.destination),
    // Listings compare the public point with a lat/lng box; as geometry the
    // box edges are parallels and meridians, as on the map.
    index('posts_public_location_gix').using('gist', sql`(${t.publicLocation}::geometry)`),
    // Which community a true place lies in (server/access/places.ts, covers): planar, as drawn on the map.
    index('posts_location_geom_gix').using('gist', sql`(${t.location}::geometry)`),
    index('posts_public_destination_gix').using('gist', t.publicDestination),
    index('posts_created_idx').on(t.createdAt.desc(), t.id.desc()),
    index('posts_author_idx').on(t.authorId),
    index('posts_windows_until_idx').on(t.windowsUntil),
    check('posts_capacity_check', sql`${t.capacity} >= 1 AND ${t.capacityLeft} >= 0 AND ${t.capacityLeft} <= ${t.capacity}`),
    check('posts_radius_check', sql`${t.radiusM} BETWEEN 100 AND 50000`),
  ],
);

/** The concrete windows of each post's schedule, for overlap queries (`&&`). */
export const postWindows = pgTable(
  'post_windows',
  {
    postId: uuid()
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    during: tstzrange().notNull(),
    /** An occurrence of the weekly rule (bounded by the 8-week horizon) rather than a one-off. */
    recurring: boolean().notNull(),
  },
  (t) => [
    index('post_windows_during_gix').using('gist', t.during),
    // The migration adds INCLUDE (recurring), which drizzle cannot express: a
    // post's schedule is then read by an index-only scan (candidates.ts).
    uniqueIndex('post_windows_post_during_key').on(t.postId, t.during),
  ],
);

export const matches = pgTable(
  'matches',
  {
    id: uuid().primaryKey().defaultRandom(),
    needId: uuid()
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    offerId: uuid()
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    status: matchStatus().notNull(),
    /** The offer's author, for the fairness term (matches each helper accepted lately). */
    helperId: person(),
    /** Who proposed (null while only the server suggested it). */
    proposedBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    /** Capacity taken from the offer while accepted (the need's capacity at acceptance). */
    amount: integer().notNull().default(0),
    /** The server's score when it suggested the pair. */
    score: real(),
    acceptedAt: timestamp({ withTimezone: true }),
    /** The helper cancelled it, accepted, less than 24 hours before it was due: organizers are told. */
    cancelledLate: boolean().notNull().default(false),
    /**
     * The occasion it is for: the first overlap of the two posts' windows not
     * over when it was proposed. Fixed then (a proposal is for one occasion; a
     * window added later does not move it); null while only suggested.
     */
    startsAt: timestamp({ withTimezone: true }),
    endsAt: timestamp({ withTimezone: true }),
    /** Who made its latest change (proposed, answered, withdrew, cancelled, completed it); null: the server. */
    actedBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('matches_live_pair_key')
      .on(t.needId, t.offerId)
      .where(sql`${t.status} IN ('suggested', 'proposed', 'accepted')`),
    index('matches_need_idx').on(t.needId),
    index('matches_offer_idx').on(t.offerId),
    index('matches_helper_accepted_idx')
      .on(t.helperId, t.acceptedAt)
      .where(sql`${t.status} IN ('accepted', 'completed')`),
    // The hygiene sweep's proposals nobody answered, oldest first (bench:organize: a full scan of 832k matches each minute without it).
    index('matches_proposed_updated_idx')
      .on(t.updatedAt)
      .where(sql`${t.status} = 'proposed'`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    matchId: uuid()
      .notNull()
      .references(() => matches.id, { onDelete: 'cascade' }),
    authorId: person(),
    body: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('messages_match_idx').on(t.matchId, t.createdAt)],
);

/**
 * The outbox of live events (server/live): appended in the same transaction
 * as the change, in commit order (one advisory lock orders the appends), read
 * by every process by `seq` and fanned out to its sockets. Kept 48 hours for
 * clients that reconnect and resume.
 */
export const events = pgTable(
  'events',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    type: text().notNull(),
    /** Post events: the post's public point, routed by subscription boxes (and the point it had, if it moved). */
    lat: doublePrecision(),
    lng: doublePrecision(),
    prevLat: doublePrecision(),
    prevLng: doublePrecision(),
    kind: postKind(),
    category: postCategory(),
    /** Post events: the author, whose sockets get `authorData` (the exact form) instead of `data`. */
    authorId: uuid(),
    /** Private events (matches, messages): only these users; `data` maps each one to their form. */
    audience: uuid().array(),
    data: jsonb().$type<EventPayload>().notNull(),
    authorData: jsonb().$type<EventPayload>(),
    /**
     * Post events: the organizers and admins entitled, when the event was
     * written, to the exact form (`authorData`) of this post: those of its
     * community when its author is an active member there.
     */
    organizers: uuid().array(),
    createdAt: createdAt(),
  },
  (t) => [index('events_created_idx').on(t.createdAt)],
);

/**
 * A mutual-aid group over an area. A post inside the boundary belongs to it
 * (the smallest one when boundaries nest), whenever it was made: membership
 * of posts is computed from places, not stored.
 */
export const communities = pgTable(
  'communities',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    /** Lower-case letters, digits and dashes; unique. */
    slug: text().notNull(),
    boundary: geographyArea().notNull(),
    /** Square metres of the boundary, kept so "the smallest containing one" is an ORDER BY. */
    areaSqm: doublePrecision().notNull(),
    /** IANA zone the community's days are counted in (coverage by day, triage). */
    timezone: text().notNull(),
    joinPolicy: joinPolicy().notNull(),
    createdBy: uuid()
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
  },
  // Boundaries are tested as drawn on the map, in longitude and latitude (server/access/places.ts, covers).
  (t) => [uniqueIndex('communities_slug_key').on(t.slug), index('communities_boundary_geom_gix').using('gist', sql`(${t.boundary}::geometry)`)],
);

export const memberships = pgTable(
  'memberships',
  {
    communityId: uuid()
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    userId: person(),
    role: communityRole().notNull(),
    /** Suspended by an organizer: no member rights, cannot rejoin until lifted. */
    suspendedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.communityId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** Codes organizers hand out to join an invite-only community; revoked, not deleted. */
export const invites = pgTable(
  'invites',
  {
    code: text().primaryKey(),
    communityId: uuid()
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    createdBy: uuid()
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    expiresAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('invites_community_idx').on(t.communityId, t.createdAt)],
);

/**
 * Every organizer action, append-only: a trigger (migration 0005) refuses
 * UPDATE and DELETE, so not even a bug in the API can rewrite history.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    communityId: uuid()
      .notNull()
      .references(() => communities.id, { onDelete: 'cascade' }),
    actorId: uuid()
      .notNull()
      .references(() => users.id),
    /** What was done: `community.create`, `invite.create`, `invite.revoke`, `member.role`, … */
    action: text().notNull(),
    subjectType: text().notNull(),
    subjectId: text().notNull(),
    before: jsonb().$type<LoggedState>(),
    after: jsonb().$type<LoggedState>(),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_community_idx').on(t.communityId, t.id)],
);

/** A report by someone signed in: a post or a person, with why. Organizers see those in their community. */
export const flags = pgTable(
  'flags',
  {
    id: uuid().primaryKey().defaultRandom(),
    reporterId: person(),
    postId: uuid().references(() => posts.id, { onDelete: 'cascade' }),
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    reason: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check('flags_one_target', sql`(${t.postId} IS NULL) <> (${t.userId} IS NULL)`),
    // One report per person and target: reporting again changes nothing.
    uniqueIndex('flags_reporter_post_key').on(t.reporterId, t.postId).where(sql`${t.postId} IS NOT NULL`),
    uniqueIndex('flags_reporter_user_key').on(t.reporterId, t.userId).where(sql`${t.userId} IS NOT NULL`),
    index('flags_post_idx').on(t.postId),
    index('flags_user_idx').on(t.userId),
  ],
);

/** A private calendar address per user (iCalendar feed of their accepted matches); the token is stored hashed. */
export const calendarTokens = pgTable(
  'calendar_tokens',
  {
    userId: uuid()
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: bytea().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('calendar_tokens_hash_key').on(t.tokenHash)],
);

/** One person blocking another: neither sees the other's posts, and they cannot be matched. */
export const blocks = pgTable(
  'blocks',
  {
    blockerId: person(),
    blockedId: person(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.blockerId, t.blockedId] }), index('blocks_blocked_idx').on(t.blockedId, t.blockerId)],
);

/**
 * What platform moderators did (and the command line's grants), append-only:
 * hiding and bringing back posts, suspending and reinstating accounts,
 * granting and revoking the role. `actorId` null: done from the command line.
 */
export const moderationLog = pgTable(
  'moderation_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    actorId: uuid().references(() => users.id),
    /** `post.hide`, `post.unhide`, `user.suspend`, `user.unsuspend`, `moderator.grant`, `moderator.revoke` */
    action: text().notNull(),
    subjectType: text().notNull(),
    subjectId: text().notNull(),
    before: jsonb().$type<LoggedState>(),
    after: jsonb().$type<LoggedState>(),
    createdAt: createdAt(),
  },
);

/**
 * What happened that concerns a person (server/notifications): kept for their
 * inbox with read state, and delivered by the channels they want. Written in
 * the transaction of the change, with the delivery jobs.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Order of writing: the inbox lists by it, newest first (several of one change share their created_at). */
    seq: bigserial({ mode: 'number' }).notNull(),
    userId: person(),
    /** server/contract/notifications.ts, NOTIFICATION_KINDS. */
    kind: text().notNull(),
    postId: uuid().references(() => posts.id, { onDelete: 'set null' }),
    matchId: uuid().references(() => matches.id, { onDelete: 'set null' }),
    communityId: uuid().references(() => communities.id, { onDelete: 'set null' }),
    /** What the inbox and the channels say: the post's title, who acted, a message's first words. */
    data: jsonb().$type<NotificationData>().notNull(),
    createdAt: createdAt(),
    readAt: timestamp({ withTimezone: true }),
    /** By e-mail: `due` (the next mail of the person takes it), `sent`; null: not by e-mail. */
    email: text(),
    /** When the mail that carried it went (a person's last mail decides when the next may go). */
    emailedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.seq.desc()),
    index('notifications_unread_idx').on(t.userId).where(sql`read_at IS NULL`),
    index('notifications_email_due_idx').on(t.userId).where(sql`email = 'due'`),
  ],
);

/**
 * Work done after a commit, with retries (server/queue): claimed with FOR
 * UPDATE SKIP LOCKED so that of several processes exactly one runs a job;
 * a claim is a lease, so the work of a process that died runs again.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    /** Which handler runs it (`email`, `push`, …). */
    kind: text().notNull(),
    /** At most one job waiting per key (a person's next mail): enqueueing a second one joins the first. */
    key: text(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    runAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    attempts: integer().notNull().default(0),
    /** Claimed by a process until then; after it, another may claim it. */
    lockedUntil: timestamp({ withTimezone: true }),
    lastError: text(),
    /** Given up after the last attempt (kept for the operator to read). */
    failedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('jobs_due_idx').on(t.runAt).where(sql`failed_at IS NULL`),
    uniqueIndex('jobs_key_key').on(t.key).where(sql`failed_at IS NULL`),
  ],
);

/** A browser that takes Web Push for a person (the PushSubscription it gave). */
export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: person(),
    /** The push service's address for this browser: unique, a browser re-subscribing replaces its row. */
    endpoint: text().notNull(),
    keys: jsonb().$type<StoredPushKeys>().notNull(),
    userAgent: text(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('push_subscriptions_endpoint_key').on(t.endpoint), index('push_subscriptions_user_idx').on(t.userId)],
);

/** A person's choice for one kind of notification on one channel, where it differs from the default. */
export const notificationPrefs = pgTable(
  'notification_prefs',
  {
    userId: person(),
    kind: text().notNull(),
    /** `email` or `push` (the inbox and open pages always get everything). */
    channel: text().notNull(),
    enabled: boolean().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.channel] })],
);

/** A helper asks to hear of new needs of these categories within a radius of a place, at most so many a day. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: person(),
    center: geographyPoint().notNull(),
    radiusM: integer().notNull(),
    categories: postCategory().array().notNull(),
    dailyMax: integer().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('alerts_user_idx').on(t.userId), index('alerts_center_idx').using('gist', t.center)],
);

/**
 * Single-use links mailed to a person: verifying an address (`verify`, for
 * the address in `email`) or resetting a password (`reset`). Only the hash of
 * the token is kept, as for sessions.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    tokenHash: bytea().primaryKey(),
    userId: person(),
    purpose: text().notNull(),
    email: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('account_tokens_user_idx').on(t.userId, t.purpose)],
);
