// The inbox, the choices per kind and channel, and the alerts, as stored.
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { alerts, type Executor, notificationPrefs, notifications, rowsOf, users, uuidArray } from '../../db';
import type { Alert, Channel, Notification, NotificationKind } from '../contract/notifications';

type NotificationRow = typeof notifications.$inferSelect;

export function notificationView(row: NotificationRow): Notification {
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    postId: row.postId,
    matchId: row.matchId,
    communityId: row.communityId,
    data: { title: row.data.title, actorName: row.data.actorName, text: row.data.text },
    replyable: typeof row.data.replyTo === 'string',
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

export const inboxRepo = {
  /** A page of the person's notifications, newest first, older than the cursor's. */
  async page(db: Executor, userId: string, options: { before?: number; limit: number; unreadOnly: boolean }): Promise<NotificationRow[]> {
    const { before } = options;
    return db
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.userId, userId),
          options.unreadOnly ? isNull(notifications.readAt) : undefined,
          before === undefined ? undefined : lt(notifications.seq, before),
        ),
      )
      .orderBy(desc(notifications.seq))
      .limit(options.limit);
  },

  async unread(db: Executor, userId: string): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
    return Number(row?.n ?? 0);
  },

  /** Marks these (or, ids null, all) of the person's notifications read; others' ids are ignored. */
  async markRead(db: Executor, userId: string, ids: string[] | null, now: Date): Promise<void> {
    await db.execute(sql`
      UPDATE ${notifications} SET read_at = ${now.toISOString()}::timestamptz
      WHERE user_id = ${userId} AND read_at IS NULL
        AND (${ids === null} OR id = ANY(${uuidArray(ids ?? [])}))
        AND created_at <= ${now.toISOString()}::timestamptz`);
  },
};

export const prefsRepo = {
  async of(db: Executor, userId: string): Promise<{ kind: string; channel: string; enabled: boolean }[]> {
    return db
      .select({ kind: notificationPrefs.kind, channel: notificationPrefs.channel, enabled: notificationPrefs.enabled })
      .from(notificationPrefs)
      .where(eq(notificationPrefs.userId, userId));
  },

  async set(db: Executor, userId: string, changes: { kind: NotificationKind; channel: Channel; enabled: boolean }[]): Promise<void> {
    await db
      .insert(notificationPrefs)
      .values(changes.map((c) => ({ userId, ...c })))
      .onConflictDoUpdate({ target: [notificationPrefs.userId, notificationPrefs.kind, notificationPrefs.channel], set: { enabled: sql`excluded.enabled` } });
  },

  async emailVerified(db: Executor, userId: string): Promise<boolean> {
    const [row] = await db.select({ at: users.emailVerifiedAt }).from(users).where(eq(users.id, userId));
    return row?.at !== null && row?.at !== undefined;
  },
};

interface AlertRow {
  id: string;
  lat: number;
  lng: number;
  radiusM: number;
  categories: string[] | string;
  dailyMax: number;
  createdAt: Date | string;
}

function alertView(row: AlertRow): Alert {
  const categories = typeof row.categories === 'string' ? row.categories.replace(/^\{|\}$/g, '').split(',').filter(Boolean) : row.categories;
  return {
    id: row.id,
    center: { lat: Number(row.lat), lng: Number(row.lng) },
    radiusM: Number(row.radiusM),
    categories: categories as Alert['categories'],
    dailyMax: Number(row.dailyMax),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

const alertColumns = sql`id, ST_Y(center::geometry) AS lat, ST_X(center::geometry) AS lng, radius_m AS "radiusM", categories::text[] AS categories,
  daily_max AS "dailyMax", created_at AS "createdAt"`;

export const alertsRepo = {
  /** Holds the person's row to the commit: their alerts are counted and added one request at a time. */
  async lockOwner(db: Executor, userId: string): Promise<void> {
    await db.execute(sql`SELECT 1 FROM ${users} WHERE id = ${userId} FOR UPDATE`);
  },

  async list(db: Executor, userId: string): Promise<Alert[]> {
    return rowsOf<AlertRow>(await db.execute(sql`SELECT ${alertColumns} FROM ${alerts} WHERE user_id = ${userId} ORDER BY created_at, id`)).map(alertView);
  },

  async count(db: Executor, userId: string): Promise<number> {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(alerts).where(eq(alerts.userId, userId));
    return Number(row?.n ?? 0);
  },

  async insert(db: Executor, userId: string, a: { lat: number; lng: number; radiusM: number; categories: string[]; dailyMax: number }, now: Date): Promise<Alert> {
    const [row] = rowsOf<AlertRow>(
      await db.execute(sql`
        INSERT INTO ${alerts} (user_id, center, radius_m, categories, daily_max, created_at)
        VALUES (${userId}, ST_SetSRID(ST_MakePoint(${a.lng}, ${a.lat}), 4326)::geography, ${a.radiusM},
                ${`{${a.categories.join(',')}}`}::post_category[], ${a.dailyMax}, ${now.toISOString()}::timestamptz)
        RETURNING ${alertColumns}`),
    );
    return alertView(row!);
  },

  async remove(db: Executor, userId: string, id: string): Promise<boolean> {
    const gone = await db
      .delete(alerts)
      .where(and(eq(alerts.id, id), eq(alerts.userId, userId)))
      .returning({ id: alerts.id });
    return gone.length > 0;
  },
};
