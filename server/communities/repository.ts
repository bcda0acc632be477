// Communities, their memberships, invite codes and audit log, as queries:
// who may do what, and which changes go in one transaction, is the
// services' business (service.ts, moderation.ts).
import { and, count, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { auditLog, communities, type Executor, invites, memberships, rowsOf, users } from '../../db';
import type { GeoJsonArea } from '../../db/geography';
import type { LoggedState } from '../../db/json';
import { covers, type Role } from '../access';

const communityColumns = {
  id: communities.id,
  name: communities.name,
  slug: communities.slug,
  boundary: sql<GeoJsonArea>`ST_AsGeoJSON(${communities.boundary}, 7)::json`,
  areaSqm: communities.areaSqm,
  timezone: communities.timezone,
  joinPolicy: communities.joinPolicy,
  createdAt: communities.createdAt,
  memberCount: sql<number>`(SELECT count(*)::int FROM ${memberships} m WHERE m.community_id = ${communities.id} AND m.suspended_at IS NULL)`,
};

/** A community as read: its boundary as GeoJSON (a string on drivers that do not parse json), and its active members counted. */
export interface CommunityRow {
  id: string;
  name: string;
  slug: string;
  boundary: GeoJsonArea | string;
  areaSqm: number;
  timezone: string;
  joinPolicy: (typeof communities.$inferSelect)['joinPolicy'];
  createdAt: Date;
  memberCount: number;
}

/** What PostGIS makes of a drawn boundary (`ST_IsValid`, `ST_IsValidReason`). */
export interface BoundaryShape {
  valid: boolean;
  reason: string;
}

/** A GeoJSON area as a planar geometry in WGS 84, as communities store and test boundaries. */
function fromGeoJson(geojson: string): SQL {
  return sql`ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326)`;
}

/** A text column as a uuid when it holds one, else NULL (audit subjects are ids or codes). */
function uuidOrNull(text: SQL): SQL {
  return sql`(CASE WHEN ${text} ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN ${text}::uuid END)`;
}

export const communitiesRepo = {
  /** Validity of a GeoJSON area (PostGIS may throw on some shapes instead of answering: callers catch). */
  async shapeOf(db: Executor, geojson: string): Promise<BoundaryShape> {
    const [shape] = rowsOf<BoundaryShape>(
      await db.execute(sql`SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason FROM (SELECT ${fromGeoJson(geojson)} AS g) s`),
    );
    return shape!;
  },

  /** Area of a GeoJSON area on the sphere, in km². */
  async areaKm2(db: Executor, geojson: string): Promise<number> {
    const [size] = rowsOf<{ km2: number }>(await db.execute(sql`SELECT ST_Area(${fromGeoJson(geojson)}::geography) / 1e6 AS km2`));
    return Number(size!.km2);
  },

  async insert(
    db: Executor,
    values: { name: string; slug: string; boundary: GeoJsonArea; geojson: string; timezone: string; joinPolicy: CommunityRow['joinPolicy']; createdBy: string },
  ): Promise<string> {
    const { geojson, ...row } = values;
    const [inserted] = await db
      .insert(communities)
      .values({ ...row, areaSqm: sql`ST_Area(${fromGeoJson(geojson)}::geography)` })
      .returning({ id: communities.id });
    return inserted!.id;
  },

  async find(db: Executor, id: string): Promise<CommunityRow | undefined> {
    const [row] = await db.select(communityColumns).from(communities).where(eq(communities.id, id));
    return row;
  },

  /** Communities whose boundary holds the point, or the member's, or all; smallest first, at most 100. */
  async list(db: Executor, options: { at?: { lat: number; lng: number } | undefined; memberId?: string | undefined }): Promise<CommunityRow[]> {
    const where = options.at
      ? covers(sql`${communities.boundary}`, sql`ST_SetSRID(ST_MakePoint(${options.at.lng}, ${options.at.lat}), 4326)`)
      : options.memberId
        ? sql`${communities.id} IN (SELECT community_id FROM ${memberships} WHERE user_id = ${options.memberId})`
        : sql`true`;
    return db.select(communityColumns).from(communities).where(where).orderBy(communities.areaSqm, communities.id).limit(100);
  },

  /** The short names taken among `base` and `base-…` (a short name holds no LIKE wildcard: SLUG_PATTERN). */
  async slugsLike(db: Executor, base: string): Promise<Set<string>> {
    const rows = await db
      .select({ slug: communities.slug })
      .from(communities)
      .where(sql`${communities.slug} = ${base} OR ${communities.slug} LIKE ${`${base}-%`}`);
    return new Set(rows.map((r) => r.slug));
  },

  async joinPolicy(db: Executor, id: string): Promise<CommunityRow['joinPolicy'] | undefined> {
    const [row] = await db.select({ joinPolicy: communities.joinPolicy }).from(communities).where(eq(communities.id, id));
    return row?.joinPolicy;
  },

  async slug(db: Executor, id: string): Promise<string | undefined> {
    const [row] = await db.select({ slug: communities.slug }).from(communities).where(eq(communities.id, id));
    return row?.slug;
  },

  /** The latitude of the boundary's centroid (planar) and the community's zone. */
  async middle(db: Executor, id: string): Promise<{ lat: number; timezone: string } | undefined> {
    const [row] = await db
      .select({ lat: sql<number>`ST_Y(ST_Centroid(${communities.boundary}::geometry))`, timezone: communities.timezone })
      .from(communities)
      .where(eq(communities.id, id));
    return row && { lat: Number(row.lat), timezone: row.timezone };
  },
};

/** A membership with the member's name. */
export interface MemberRow {
  userId: string;
  displayName: string;
  role: Role;
  suspendedAt: Date | null;
  createdAt: Date;
}

const memberColumns = {
  userId: memberships.userId,
  role: memberships.role,
  suspendedAt: memberships.suspendedAt,
  createdAt: memberships.createdAt,
  displayName: users.displayName,
};

export const membershipsRepo = {
  async insert(db: Executor, values: { communityId: string; userId: string; role: Role }, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const query = db.insert(memberships).values(values);
    await (options.ifAbsent ? query.onConflictDoNothing() : query);
  },

  async find(db: Executor, communityId: string, userId: string): Promise<MemberRow | undefined> {
    const [row] = await db
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
    return row;
  },

  /** The user's memberships, every community. */
  async ofUser(db: Executor, userId: string): Promise<{ communityId: string; role: Role; suspendedAt: Date | null }[]> {
    return db
      .select({ communityId: memberships.communityId, role: memberships.role, suspendedAt: memberships.suspendedAt })
      .from(memberships)
      .where(eq(memberships.userId, userId));
  },

  /** A community's members, admins first then by name, at most 5,000. */
  async list(db: Executor, communityId: string): Promise<MemberRow[]> {
    return db
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.communityId, communityId))
      .orderBy(desc(memberships.role), users.displayName)
      .limit(5000);
  },

  /** Admins not suspended. */
  async activeAdmins(db: Executor, communityId: string): Promise<number> {
    const [{ admins }] = (await db
      .select({ admins: count() })
      .from(memberships)
      .where(and(eq(memberships.communityId, communityId), eq(memberships.role, 'admin'), sql`${memberships.suspendedAt} IS NULL`))) as [{ admins: number }];
    return Number(admins);
  },

  async update(db: Executor, communityId: string, userId: string, values: { role?: Role; suspendedAt?: Date | null }): Promise<void> {
    await db.update(memberships).set(values).where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
  },

  async delete(db: Executor, communityId: string, userId: string): Promise<void> {
    await db.delete(memberships).where(and(eq(memberships.communityId, communityId), eq(memberships.userId, userId)));
  },
};

/** An invite code with who made it. */
export interface InviteRow {
  code: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  creatorId: string;
  creatorName: string;
}

const inviteColumns = {
  code: invites.code,
  createdAt: invites.createdAt,
  expiresAt: invites.expiresAt,
  revokedAt: invites.revokedAt,
  creatorId: invites.createdBy,
  creatorName: users.displayName,
};

export const invitesRepo = {
  async insert(db: Executor, values: { code: string; communityId: string; createdBy: string; createdAt: Date; expiresAt: Date | null }): Promise<void> {
    await db.insert(invites).values(values);
  },

  async find(db: Executor, code: string): Promise<InviteRow | undefined> {
    const [row] = await db.select(inviteColumns).from(invites).innerJoin(users, eq(users.id, invites.createdBy)).where(eq(invites.code, code));
    return row;
  },

  /** Whether the code lets one join the community at `now` (not revoked, not expired). */
  async works(db: Executor, communityId: string, code: string, now: Date): Promise<boolean> {
    const [invite] = await db
      .select({ code: invites.code })
      .from(invites)
      .where(
        and(
          eq(invites.communityId, communityId),
          eq(invites.code, code),
          sql`${invites.revokedAt} IS NULL`,
          sql`(${invites.expiresAt} IS NULL OR ${invites.expiresAt} > ${now.toISOString()}::timestamptz)`,
        ),
      );
    return invite !== undefined;
  },

  /** The community's codes, newest first, at most 200. */
  async list(db: Executor, communityId: string): Promise<InviteRow[]> {
    return db
      .select(inviteColumns)
      .from(invites)
      .innerJoin(users, eq(users.id, invites.createdBy))
      .where(eq(invites.communityId, communityId))
      .orderBy(desc(invites.createdAt))
      .limit(200);
  },

  /** A code of the community, locked, with when it was revoked. */
  async lock(db: Executor, communityId: string, code: string): Promise<{ revokedAt: Date | null } | undefined> {
    const [row] = await db
      .select({ revokedAt: invites.revokedAt })
      .from(invites)
      .where(and(eq(invites.communityId, communityId), eq(invites.code, code)))
      .for('update');
    return row;
  },

  async revoke(db: Executor, code: string, now: Date): Promise<void> {
    await db.update(invites).set({ revokedAt: now }).where(eq(invites.code, code));
  },
};

export interface AuditEntry {
  communityId: string;
  actorId: string;
  action: string;
  subjectType: string;
  subjectId: string;
  before?: LoggedState | null;
  after?: LoggedState | null;
}

/** An audit entry as read, with the actor's name and, when it still exists, the subject's. */
export interface AuditRow {
  id: number;
  actorId: string;
  actorName: string;
  action: string;
  subjectType: string;
  subjectId: string;
  subjectName: string | null;
  before: LoggedState | null;
  after: LoggedState | null;
  createdAt: Date;
}

export const auditRepo = {
  async append(db: Executor, entry: AuditEntry): Promise<void> {
    await db.insert(auditLog).values({ ...entry, before: entry.before ?? null, after: entry.after ?? null });
  },

  /** The community's entries older than `before` (an id), newest first, one more than `limit`. */
  async page(db: Executor, communityId: string, before: number | undefined, limit: number): Promise<AuditRow[]> {
    return db
      .select({
        id: auditLog.id,
        actorId: auditLog.actorId,
        actorName: users.displayName,
        action: auditLog.action,
        subjectType: auditLog.subjectType,
        subjectId: auditLog.subjectId,
        before: auditLog.before,
        after: auditLog.after,
        createdAt: auditLog.createdAt,
        // What the entry is about, by name as of now (it may be gone: a person deleted, a post removed).
        subjectName: sql<string | null>`CASE ${auditLog.subjectType}
        WHEN 'user' THEN (SELECT su.display_name FROM users su WHERE su.id = ${uuidOrNull(sql`${auditLog.subjectId}`)})
        WHEN 'post' THEN (SELECT sp.title FROM posts sp WHERE sp.id = ${uuidOrNull(sql`${auditLog.subjectId}`)})
        WHEN 'match' THEN (SELECT sn.title FROM matches sm JOIN posts sn ON sn.id = sm.need_id WHERE sm.id = ${uuidOrNull(sql`${auditLog.subjectId}`)})
        WHEN 'community' THEN (SELECT sc.name FROM communities sc WHERE sc.id = ${uuidOrNull(sql`${auditLog.subjectId}`)})
        WHEN 'invite' THEN ${auditLog.subjectId} END`,
      })
      .from(auditLog)
      .innerJoin(users, eq(users.id, auditLog.actorId))
      .where(and(eq(auditLog.communityId, communityId), before ? lt(auditLog.id, before) : sql`true`))
      .orderBy(desc(auditLog.id))
      .limit(limit + 1);
  },
};
