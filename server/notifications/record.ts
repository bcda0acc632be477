// Notifications are written with the change they tell of, in its
// transaction (the outbox's flush calls here), together with their delivery
// jobs: a push job for each of the person's browsers that wants this kind,
// and the person's next mail where they want it by e-mail and their address
// is verified. A channel that fails later never loses the notification: it
// is in the inbox already.
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, notifications, rowsOf } from '../../db';
import { notBlocked } from '../access';
import { NOTIFICATION_KINDS, type NotificationData, type NotificationKind } from '../contract/notifications';
import { JOBS_CHANNEL } from '../queue/queue';

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  postId?: string | null;
  matchId?: string | null;
  communityId?: string | null;
  /** Who acted: their display name goes into the data as `actorName`. */
  actorId?: string | null;
  /** `replyTo`: who wrote a note outside any match, whom its recipient may answer (replies.ts); never shown. */
  data: NotificationData & { replyTo?: string };
}

/** A new need the alerts may tell of, at its public point. */
export interface NewNeed {
  id: string;
  authorId: string;
  category: string;
  title: string;
  /** Its public point: alerts are decided on it, never on the exact place. */
  lat: number;
  lng: number;
}

/** Job kinds the channels handle. */
export const PUSH_JOB = 'push';
export const EMAIL_JOB = 'email';
/** The key of a person's next mail: notifications due by e-mail wait for it together. */
export const emailJobKey = (userId: string) => `email:${userId}`;

const DEFAULTS = JSON.stringify(NOTIFICATION_KINDS);

/**
 * Inserts the notifications `source` yields (columns user_id, kind, post_id,
 * match_id, community_id, actor_id, data) and their delivery jobs, in one
 * statement; returns who was notified.
 */
async function insert(tx: Executor, now: Date, source: SQL): Promise<string[]> {
  const at = now.toISOString();
  const [row] = rowsOf<{ users: string | null }>(
    await tx.execute(sql`
      WITH src AS (${source}),
      n AS (
        INSERT INTO ${notifications} (user_id, kind, post_id, match_id, community_id, data, created_at, email)
        SELECT src.user_id, src.kind, src.post_id, src.match_id, src.community_id,
               CASE WHEN actor.display_name IS NULL THEN src.data ELSE src.data || jsonb_build_object('actorName', actor.display_name) END,
               ${at}::timestamptz,
               CASE WHEN u.email_verified_at IS NOT NULL
                     AND coalesce(pe.enabled, (${DEFAULTS}::jsonb -> src.kind ->> 'email')::boolean) THEN 'due' END
        FROM src
        JOIN users u ON u.id = src.user_id
        LEFT JOIN users actor ON actor.id = src.actor_id
        LEFT JOIN notification_prefs pe ON pe.user_id = src.user_id AND pe.kind = src.kind AND pe.channel = 'email'
        RETURNING id, user_id, kind, email),
      push AS (
        INSERT INTO jobs (kind, payload, run_at, created_at)
        SELECT ${PUSH_JOB}, jsonb_build_object('notificationId', n.id, 'subscriptionId', s.id), ${at}::timestamptz, ${at}::timestamptz
        FROM n
        JOIN push_subscriptions s ON s.user_id = n.user_id
        LEFT JOIN notification_prefs pp ON pp.user_id = n.user_id AND pp.kind = n.kind AND pp.channel = 'push'
        WHERE coalesce(pp.enabled, (${DEFAULTS}::jsonb -> n.kind ->> 'push')::boolean)
        RETURNING 1),
      mail AS (
        INSERT INTO jobs (kind, key, payload, run_at, created_at)
        SELECT DISTINCT ${EMAIL_JOB}, 'email:' || n.user_id, jsonb_build_object('userId', n.user_id), ${at}::timestamptz, ${at}::timestamptz
        FROM n WHERE n.email = 'due'
        ON CONFLICT (key) WHERE failed_at IS NULL DO NOTHING
        RETURNING 1)
      SELECT (SELECT string_agg(DISTINCT n.user_id::text, ',') FROM n) AS users,
             CASE WHEN (SELECT count(*) FROM push) + (SELECT count(*) FROM mail) > 0 THEN pg_notify(${JOBS_CHANNEL}, '') END AS woken`),
  );
  return row?.users ? row.users.split(',') : [];
}

/** Writes these notifications and their delivery jobs in the caller's transaction; returns who was notified. */
export async function recordNotifications(tx: Executor, now: Date, items: NewNotification[]): Promise<string[]> {
  if (items.length === 0) {
    return [];
  }
  const rows = items.map((i) => ({
    user_id: i.userId,
    kind: i.kind,
    post_id: i.postId ?? null,
    match_id: i.matchId ?? null,
    community_id: i.communityId ?? null,
    actor_id: i.actorId ?? null,
    data: i.data,
  }));
  return insert(
    tx,
    now,
    sql`SELECT x.user_id, x.kind, x.post_id, x.match_id, x.community_id, x.actor_id, x.data
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          AS x(user_id uuid, kind text, post_id uuid, match_id uuid, community_id uuid, actor_id uuid, data jsonb)`,
  );
}

/**
 * Tells the helpers whose alerts a new need falls in: its category is one of
 * the alert's, its public point within the radius, its author neither them
 * nor blocked either way, and the alert under its daily number. One
 * notification a person and need, however many of their alerts it meets,
 * and however often this runs for the need. Returns who was told.
 */
export async function recordNeedAlerts(tx: Executor, now: Date, needs: NewNeed[]): Promise<string[]> {
  if (needs.length === 0) {
    return [];
  }
  const rows = needs.map((n) => ({ id: n.id, author_id: n.authorId, category: n.category, title: n.title, lat: n.lat, lng: n.lng }));
  const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
  return insert(
    tx,
    now,
    sql`SELECT DISTINCT ON (a.user_id, p.id)
               a.user_id, 'need_nearby'::text AS kind, p.id AS post_id, NULL::uuid AS match_id, NULL::uuid AS community_id,
               NULL::uuid AS actor_id, jsonb_build_object('title', p.title, 'alertId', a.id) AS data
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS p(id uuid, author_id uuid, category text, title text, lat float8, lng float8)
        JOIN alerts a ON ST_DWithin(a.center, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326)::geography, a.radius_m)
                     AND p.category::post_category = ANY(a.categories)
                     AND a.user_id <> p.author_id
        JOIN users u ON u.id = a.user_id AND u.suspended_at IS NULL
        WHERE ${notBlocked(sql`a.user_id`, sql`p.author_id`)}
          -- Told once a person and need: the job telling them may run again (at least once).
          AND NOT EXISTS (SELECT 1 FROM notifications told WHERE told.user_id = a.user_id AND told.kind = 'need_nearby' AND told.post_id = p.id)
          AND (SELECT count(*) FROM notifications sent
               WHERE sent.user_id = a.user_id AND sent.kind = 'need_nearby' AND sent.data ->> 'alertId' = a.id::text
                 AND sent.created_at > ${dayAgo}::timestamptz) < a.daily_max
        ORDER BY a.user_id, p.id, a.created_at`,
  );
}
