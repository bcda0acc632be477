// Communities, their members and roles, invite codes and the audit log.
// Every organizer action writes its audit entry in the same transaction as
// the change, so the log never misses one and never holds one that did not
// happen.
import { randomInt } from 'node:crypto';
import { type DB, type Executor, sqlState } from '../../db';
import type { GeoJsonArea } from '../../db/geography';
import { conflict, forbidden, HttpProblem, invalid, notFound } from '../http/problem';
import { isValidTimeZone } from '../posts/windows';
import { enforce } from '../limits/counter';
import { type Actor, lockCommunity, membershipOf, type Role, requireRole } from '../access';
import { arcDegrees, type Community, type Corner, type CreateCommunityBody, type Invite, type Membership, MAX_AREA_KM2, MAX_BOUNDARY_POSITIONS, MAX_EDGE_DEGREES, outlineProblem } from '../contract/communities';
import { freeSlug, SLUG_FALLBACK, slugify } from '../contract/slug';
import { type AuditEntry, auditRepo, communitiesRepo, type CommunityRow, type InviteRow, invitesRepo, membershipsRepo } from './repository';

export type AuditInput = AuditEntry;

/** Appends to the audit log (in the caller's transaction). */
export async function audit(db: Executor, entry: AuditInput): Promise<void> {
  await auditRepo.append(db, entry);
}

/** How many communities one account may start in COMMUNITY_CREATE_LIMIT's window: drawing areas must not be a cheap weapon. */
export const COMMUNITY_CREATE_LIMIT = { name: 'community.create', max: 3, windowMs: 24 * 3_600_000 } as const;

/**
 * What is wrong with one ring in words a person drawing it can act on
 * (corners counted from 1, as the app lists them), or null; the same rule
 * the app applies while the area is drawn (outlineProblem).
 */
function ringShapeProblem(ring: number[][]): string | null {
  const problem = outlineProblem(ring.map(([lng, lat]) => [lng, lat] as Corner));
  const edge = ([from, to]: [number, number]) => `the edge from corner ${from + 1} to corner ${to + 1}`;
  switch (problem?.kind) {
    case 'tooFewCorners':
      return 'needs at least 3 different corners to enclose an area';
    case 'flat':
      return 'encloses no area: its corners lie on one line';
    case 'crossing':
      return `crosses itself: ${edge(problem.edges[0])} crosses or touches ${edge(problem.edges[1])}; move a corner so that no two edges meet`;
    default:
      // Long edges, too many corners and the size are checked for the whole boundary.
      return null;
  }
}

/**
 * Shape problems a JSON schema cannot say, found before PostGIS measures
 * anything (it fails on some shapes instead of answering: an edge between
 * antipodal points, "antipodal edge detected", has no one shortest path):
 * ranges of positions, closed rings, edges no longer than MAX_EDGE_DEGREES,
 * no ring given twice, and the vertex cap.
 */
function boundaryProblems(boundary: GeoJsonArea): { path: string; message: string }[] {
  const polygons = (boundary.type === 'Polygon' ? [boundary.coordinates] : boundary.coordinates) as number[][][][];
  const problems: { path: string; message: string }[] = [];
  let positions = 0;
  const seen = new Map<string, string>();
  polygons.forEach((rings, p) => {
    rings.forEach((ring, r) => {
      const path = boundary.type === 'Polygon' ? `/boundary/coordinates/${r}` : `/boundary/coordinates/${p}/${r}`;
      positions += ring.length;
      const bad = ring.findIndex(([lng, lat]) => !(Math.abs(lng!) <= 180 && Math.abs(lat!) <= 90));
      if (bad >= 0) {
        problems.push({ path: `${path}/${bad}`, message: 'must be [lng, lat] with lng in −180…180 and lat in −90…90' });
        return;
      }
      const [first, last] = [ring[0]!, ring[ring.length - 1]!];
      if (first[0] !== last[0] || first[1] !== last[1]) {
        problems.push({ path, message: 'must be closed: its last position equal to its first' });
      }
      // Edges are read along great circles: a long one runs far from the line drawn on a flat map, and one
      // between antipodal points (the world box's pole-to-pole sides) has no single path at all.
      const long = ring.findIndex((a, i) => i + 1 < ring.length && arcDegrees(a, ring[i + 1]!) > MAX_EDGE_DEGREES);
      if (long >= 0) {
        const arc = Math.round(arcDegrees(ring[long]!, ring[long + 1]!));
        problems.push({ path: `${path}/${long}`, message: `the edge from here to the next position spans ${arc}° of the globe; edges must span at most ${MAX_EDGE_DEGREES}° (add positions between)` });
      }
      if (long < 0 && first[0] === last[0] && first[1] === last[1]) {
        const shape = ringShapeProblem(ring);
        if (shape) {
          problems.push({ path, message: shape });
        }
      }
      const key = JSON.stringify(ring.map(([lng, lat]) => [lng, lat]));
      const twin = seen.get(key);
      if (twin !== undefined) {
        problems.push({ path, message: `repeats the ring at ${twin}` });
      } else {
        seen.set(key, path);
      }
    });
  });
  if (positions > MAX_BOUNDARY_POSITIONS) {
    problems.push({ path: '/boundary', message: `must have at most ${MAX_BOUNDARY_POSITIONS} vertices in all its rings (it has ${positions}); simplify the outline` });
  }
  return problems;
}

/** PostGIS's ST_IsValidReason in plainer words, keeping where (its "[lng lat]"), for shapes the ring checks above let through. */
function invalidReason(reason: string): string {
  const words: [RegExp, string][] = [
    [/^Ring Self-intersection/i, 'a ring touches itself'],
    [/^Self-intersection/i, 'its outlines cross or touch each other'],
    [/^Hole lies outside shell/i, 'a hole lies outside its outline'],
    [/^Nested shells/i, 'one polygon lies inside another (give them as one, or as an outline with a hole)'],
    [/^Nested holes/i, 'one hole lies inside another'],
    [/^Interior is disconnected/i, 'its holes cut the area in pieces'],
    [/^Too few points/i, 'a ring has too few different corners'],
  ];
  const match = words.find(([pattern]) => pattern.test(reason));
  const where = reason.match(/\[(-?[\d.]+) (-?[\d.]+)\]/);
  return match ? `${match[1]}${where ? ` near ${where[2]}, ${where[1]} (lat, lng)` : ''}` : reason;
}

function communityView(row: CommunityRow, mine?: { role: Role; suspendedAt: Date | null } | null): Community {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    boundary: (typeof row.boundary === 'string' ? JSON.parse(row.boundary) : row.boundary) as Community['boundary'],
    areaKm2: Math.round(row.areaSqm / 10_000) / 100,
    timezone: row.timezone,
    joinPolicy: row.joinPolicy,
    memberCount: row.memberCount,
    createdAt: row.createdAt.toISOString(),
    ...(mine ? (mine.suspendedAt ? { suspended: true } : { myRole: mine.role }) : {}),
  };
}

/**
 * Runs a query that reads a boundary the checks above passed; should PostGIS
 * still refuse the shape (a geometry error, SQLSTATE XX000 or 22023), that
 * is a 400 naming its words, not a 500.
 */
async function shapeQuery<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    const state = sqlState(error);
    if (state === 'XX000' || state === '22023' || state === '22000') {
      throw invalid([{ path: '/boundary', message: `is not a usable area: ${(error as Error).message}`, code: 'area.invalid' }]);
    }
    throw error;
  }
}

/** 409: the short name is taken; the problem names a free one like it (`suggestedSlug`). */
class SlugTaken extends HttpProblem {
  constructor(
    slug: string,
    readonly suggestedSlug: string,
  ) {
    super(409, `A community with the short name "${slug}" already exists; "${suggestedSlug}" is free.`, [{ path: '/slug', message: `is taken; "${suggestedSlug}" is free`, code: 'slug.taken' }], 'slug.taken');
  }
  override toProblem() {
    return { ...super.toProblem(), suggestedSlug: this.suggestedSlug };
  }
}

export async function createCommunity(db: DB, actor: Actor, body: CreateCommunityBody, now: Date): Promise<Community> {
  const name = body.name.trim();
  const errors = [
    ...(name === '' ? [{ path: '/name', message: 'must not be blank', code: 'blank' }] : []),
    ...(isValidTimeZone(body.timezone) ? [] : [{ path: '/timezone', message: 'must be an IANA time zone, like "America/New_York"', code: 'time_zone' }]),
    ...boundaryProblems(body.boundary as GeoJsonArea),
  ];
  if (errors.length > 0) {
    throw invalid(errors);
  }
  const geojson = JSON.stringify(body.boundary);
  // What PostGIS thinks of the shape, validity first: a self-crossing outline cannot hold posts, and an
  // invalid one is never measured (ST_Area of 50 copies of one ring fails with "area < 0").
  const shape = await shapeQuery(() => communitiesRepo.shapeOf(db, geojson));
  if (!shape.valid) {
    throw invalid([{ path: '/boundary', message: `is not a valid area: ${invalidReason(shape.reason)}`, code: 'area.invalid' }]);
  }
  const km2 = await shapeQuery(() => communitiesRepo.areaKm2(db, geojson));
  if (!(km2 > 0) || km2 > MAX_AREA_KM2) {
    throw invalid([{ path: '/boundary', message: `must cover more than 0 and at most ${MAX_AREA_KM2} km² (this covers ${Math.round(km2)} km²)`, code: 'area.size', limit: MAX_AREA_KM2 }]);
  }
  // Without a short name the name gives one, made free with -2, -3, … (the person chose none, so any free one
  // will do); a short name asked for and taken is a 409 that names a free one like it.
  const base = body.slug ?? (slugify(name) || SLUG_FALLBACK);
  const slug = body.slug ?? freeSlug(base, await communitiesRepo.slugsLike(db, base));
  try {
    const id = await db.transaction(async (tx) => {
      // Counted with the community it allows: a refused or failed creation is not counted.
      await enforce(tx, COMMUNITY_CREATE_LIMIT, actor.id, now, `You have started ${COMMUNITY_CREATE_LIMIT.max} communities in the last day, the most one account may.`);
      const communityId = await communitiesRepo.insert(tx, {
        name,
        slug,
        boundary: body.boundary as GeoJsonArea,
        geojson,
        timezone: body.timezone,
        joinPolicy: body.joinPolicy,
        createdBy: actor.id,
      });
      await membershipsRepo.insert(tx, { communityId, userId: actor.id, role: 'admin' });
      await audit(tx, {
        communityId,
        actorId: actor.id,
        action: 'community.create',
        subjectType: 'community',
        subjectId: communityId,
        after: { name, slug, timezone: body.timezone, joinPolicy: body.joinPolicy },
      });
      return communityId;
    });
    return await getCommunity(db, id, actor.id);
  } catch (error) {
    if (sqlState(error) === '23505') {
      throw new SlugTaken(slug, freeSlug(base, await communitiesRepo.slugsLike(db, base)));
    }
    throw error;
  }
}

export async function getCommunity(db: Executor, id: string, userId?: string): Promise<Community> {
  const row = await communitiesRepo.find(db, id);
  if (!row) {
    throw notFound('No community with this id.', 'community.not_found');
  }
  return communityView(row, userId ? await membershipOf(db, id, userId) : null);
}

/** Communities whose boundary holds the point, smallest first; or the caller's own. */
export async function listCommunities(db: Executor, options: { at?: { lat: number; lng: number }; memberId?: string; userId?: string }): Promise<Community[]> {
  const rows = await communitiesRepo.list(db, options);
  const mine = new Map<string, { role: Role; suspendedAt: Date | null }>();
  if (options.userId && rows.length > 0) {
    for (const m of await membershipsRepo.ofUser(db, options.userId)) {
      mine.set(m.communityId, m);
    }
  }
  return rows.map((r) => communityView(r, mine.get(r.id)));
}

async function membershipView(db: Executor, communityId: string, userId: string): Promise<Membership> {
  const row = await membershipsRepo.find(db, communityId, userId);
  return { communityId, user: { id: userId, displayName: row!.displayName }, role: row!.role, suspended: row!.suspendedAt !== null, joinedAt: row!.createdAt.toISOString() };
}

/** Joins as a member (201), or answers the membership one already has (200). */
export async function joinCommunity(db: DB, actor: Actor, communityId: string, inviteCode: string | undefined, now: Date): Promise<{ created: boolean; membership: Membership }> {
  const policy = await communitiesRepo.joinPolicy(db, communityId);
  if (!policy) {
    throw notFound('No community with this id.', 'community.not_found');
  }
  const existing = await membershipOf(db, communityId, actor.id);
  if (existing?.suspendedAt) {
    throw forbidden("You are suspended from this community; ask one of its organizers.", 'community.suspended');
  }
  if (existing) {
    return { created: false, membership: await membershipView(db, communityId, actor.id) };
  }
  if (policy === 'invite') {
    if (!inviteCode) {
      throw forbidden('This community is joined by invitation: ask an organizer for a code.', 'community.invite_only');
    }
    if (!(await invitesRepo.works(db, communityId, inviteCode.trim().toUpperCase(), now))) {
      throw new HttpProblem(403, 'This invite code does not work here (mistyped, revoked or expired). Ask an organizer for a new one.', [
        { path: '/inviteCode', message: 'is not a valid code for this community', code: 'invite.invalid' },
      ], 'invite.invalid');
    }
  }
  await membershipsRepo.insert(db, { communityId, userId: actor.id, role: 'member' }, { ifAbsent: true });
  return { created: true, membership: await membershipView(db, communityId, actor.id) };
}

/**
 * Leaves a community: joining was the consent its organizers' view of one's
 * exact places rests on, and leaving withdraws it (at once, for new reads
 * and live events). Leaving twice is harmless. The last admin hands over
 * first; a suspended member stays on the roll, so a suspension cannot be
 * shed by leaving and joining again (their places are already hidden from
 * the organizers).
 */
export async function leaveCommunity(db: DB, actor: Actor, communityId: string): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await lockCommunity(tx, communityId))) {
      throw notFound('No community with this id.', 'community.not_found');
    }
    const current = await membershipOf(tx, communityId, actor.id);
    if (!current) {
      return;
    }
    if (current.suspendedAt) {
      throw conflict("You are suspended from this community, so you stay on its list; its organizers already no longer see your posts' exact places. Ask one of them to lift the suspension.", 'community.suspended');
    }
    if (current.role === 'admin' && (await membershipsRepo.activeAdmins(tx, communityId)) <= 1) {
      throw conflict('You are the only admin of this community; make someone else admin first.', 'community.last_admin');
    }
    await membershipsRepo.delete(tx, communityId, actor.id);
    await audit(tx, { communityId, actorId: actor.id, action: 'member.leave', subjectType: 'user', subjectId: actor.id, before: { role: current.role }, after: null });
  });
}

/** Unambiguous letters and digits (no 0/O, 1/I/L): codes are read aloud and typed on phones. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

function inviteCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) {
    code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  }
  return code;
}

function inviteView(r: InviteRow): Invite {
  return {
    code: r.code,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt?.toISOString() ?? null,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    createdBy: { id: r.creatorId, displayName: r.creatorName },
  };
}

export async function createInvite(db: DB, actor: Actor, communityId: string, expiresInDays: number | undefined, now: Date): Promise<Invite> {
  await requireRole(db, communityId, actor, 'organizer');
  const code = inviteCode();
  const expiresAt = expiresInDays ? new Date(now.getTime() + expiresInDays * 86_400_000) : null;
  await db.transaction(async (tx) => {
    await invitesRepo.insert(tx, { code, communityId, createdBy: actor.id, createdAt: now, expiresAt });
    await audit(tx, { communityId, actorId: actor.id, action: 'invite.create', subjectType: 'invite', subjectId: code, after: { expiresAt: expiresAt?.toISOString() ?? null } });
  });
  return inviteView((await invitesRepo.find(db, code))!);
}

export async function listInvites(db: DB, actor: Actor, communityId: string): Promise<Invite[]> {
  await requireRole(db, communityId, actor, 'organizer');
  const rows = await invitesRepo.list(db, communityId);
  return rows.map(inviteView);
}

/** Revokes a code (idempotent: revoking a revoked code changes nothing and logs nothing). */
export async function revokeInvite(db: DB, actor: Actor, communityId: string, code: string, now: Date): Promise<void> {
  await requireRole(db, communityId, actor, 'organizer');
  await db.transaction(async (tx) => {
    const row = await invitesRepo.lock(tx, communityId, code.toUpperCase());
    if (!row) {
      throw notFound('No invite with this code in this community.');
    }
    if (row.revokedAt) {
      return;
    }
    await invitesRepo.revoke(tx, code.toUpperCase(), now);
    await audit(tx, { communityId, actorId: actor.id, action: 'invite.revoke', subjectType: 'invite', subjectId: code.toUpperCase(), before: { revokedAt: null }, after: { revokedAt: now.toISOString() } });
  });
}

/** An admin sets a member's role; the last admin cannot step down (someone must manage roles). */
export async function setRole(db: DB, actor: Actor, communityId: string, userId: string, role: Role): Promise<Membership> {
  await requireRole(db, communityId, actor, 'admin');
  await db.transaction(async (tx) => {
    // Role changes and suspensions are serialized per community, so two admins cannot demote each other at
    // once, and nobody is made admin while being suspended. The actor's own role is read again under the lock.
    await lockCommunity(tx, communityId);
    await requireRole(tx, communityId, actor, 'admin');
    const current = await membershipOf(tx, communityId, userId);
    if (!current) {
      throw notFound('This person is not a member of the community; they join first.');
    }
    if (current.role === role) {
      return;
    }
    if (current.suspendedAt && role !== 'member') {
      throw conflict('This member is suspended; lift the suspension before giving them a role.', [{ path: '/role', message: 'a suspended member can only be a member' }]);
    }
    if (current.role === 'admin') {
      if ((await membershipsRepo.activeAdmins(tx, communityId)) <= 1) {
        throw conflict('This is the only admin of the community; make someone else admin first.', 'community.last_admin');
      }
    }
    await membershipsRepo.update(tx, communityId, userId, { role });
    await audit(tx, { communityId, actorId: actor.id, action: 'member.role', subjectType: 'user', subjectId: userId, before: { role: current.role }, after: { role } });
  });
  return membershipView(db, communityId, userId);
}

export async function listMembers(db: DB, actor: Actor, communityId: string): Promise<Membership[]> {
  await requireRole(db, communityId, actor, 'organizer');
  const rows = await membershipsRepo.list(db, communityId);
  return rows.map((r) => ({ communityId, user: { id: r.userId, displayName: r.displayName }, role: r.role, suspended: r.suspendedAt !== null, joinedAt: r.createdAt.toISOString() }));
}

export async function readAudit(db: DB, actor: Actor, communityId: string, before: number | undefined, limit: number) {
  await requireRole(db, communityId, actor, 'admin');
  const rows = await auditRepo.page(db, communityId, before, limit);
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      actor: { id: r.actorId, displayName: r.actorName },
      action: r.action,
      subjectType: r.subjectType,
      subjectId: r.subjectId,
      ...(r.subjectName !== null ? { subjectName: r.subjectName } : {}),
      before: r.before,
      after: r.after,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}
