// The authorization matrix (issue 6): every HTTP route the app registers ×
// {anonymous, member, other member, organizer of this community, organizer of
// another community, admin of this community, platform moderator}. For each cell: the exact
// status; for a refused write, that nothing at all was written (a digest of
// every table but sessions is the same before and after); for every answer,
// that no exact place reaches a role not entitled to it (and that it does
// reach the roles the contract promises it to); and /ws per role, live and
// replayed. A route the app registers without a row here fails the coverage
// test, and so does a row for a route it no longer registers.
import { sql } from 'drizzle-orm';
import { createECDH, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { grantModerator } from '../../server/moderation/service';
import { buildTestApp, postBody, runFollowUps, signup, type TestContext } from '../helper';
import { type Frame, TestSocket } from '../live-client';
import { TestGeocoder } from '../geocoder';

const ROLES = ['anonymous', 'member', 'other', 'organizer', 'elsewhere', 'admin', 'moderator'] as const;
type Role = (typeof ROLES)[number];
/**
 * Statuses in ROLES order: anonymous, member, other member, organizer here,
 * organizer elsewhere, admin here, platform moderator (a member of nothing).
 */
type Row7 = [number, number, number, number, number, number, number];
type User = { cookie: string; id: string; email: string };
type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type LatLng = { lat: number; lng: number };

const PASSWORD = 'correct horse battery'; // what test/helper's signup uses

const ring = (w: number, s: number, e: number, n: number) => ({ type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] });
/** C: Crown Heights, invite-only. */
const C_AREA = ring(-73.962, 40.664, -73.92, 40.68);
/** D: a bigger community around C, so C's posts lie in D too but belong to C (the smallest). */
const D_AREA = ring(-73.99, 40.64, -73.9, 40.7);

// Exact places. Public points are 150–400 m off (fixed per post).
const X_M: LatLng = { lat: 40.672347, lng: -73.941583 }; // the member's posts
const X_MD: LatLng = { lat: 40.676519, lng: -73.937861 }; // their rides' destination
const X_H: LatLng = { lat: 40.669871, lng: -73.944629 }; // the helper's offers (a member of C; the member's match party)
const X_N: LatLng = { lat: 40.667913, lng: -73.952357 }; // a non-member's need inside C
const NEUTRAL: LatLng = { lat: 40.75, lng: -73.85 }; // Queens: outside C and D, for posts the roles make themselves
/** Around C's posts, wide enough for public points 400 m off. */
const BBOX = [X_M.lng - 0.02, X_M.lat - 0.02, X_M.lng + 0.02, X_M.lat + 0.02] as const;

type Secret = 'M' | 'H' | 'N';
const SECRETS: Record<Secret, LatLng[]> = { M: [X_M, X_MD], H: [X_H], N: [X_N] };
const SECRET_NAMES: Record<Secret, string> = { M: "the member's post", H: "the helper's post", N: "a non-member's post" };
/**
 * Who may see which exact place: the member's (their own posts; the
 * organizers and admins of C, the member having joined); the helper's (a
 * member of C: C's organizers and admins; the member as the other party of
 * their accepted match); the non-member's: nobody here (organizers see only
 * members' exact places).
 */
const ENTITLED: Record<Secret, readonly Role[]> = {
  M: ['member', 'organizer', 'admin'],
  H: ['member', 'organizer', 'admin'],
  N: [],
};

/**
 * The exact places an answer holds, in any format (JSON, CSV, GeoJSON's
 * [lng, lat], iCalendar's GEO:lat;lng) and any rendering of the numbers:
 * a latitude and a longitude within about a metre of an exact place, close
 * together among the answer's decimal numbers, in either order, signs
 * ignored. A public point is 150 m off or more, so it never matches, though
 * one of its coordinates may share the exact one's digits.
 */
function secretsIn(text: string): Secret[] {
  const xs = (text.match(/\d+\.\d+/g) ?? []).map(Number);
  const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-5;
  const holds = (p: LatLng) => {
    const [lat, lng] = [p.lat, Math.abs(p.lng)];
    for (let i = 0; i < xs.length; i++) {
      for (let j = i + 1; j <= i + 3; j++) {
        if ((near(xs[i], lat) && near(xs[j], lng)) || (near(xs[i], lng) && near(xs[j], lat))) {
          return true;
        }
      }
    }
    return false;
  };
  return (Object.keys(SECRETS) as Secret[]).filter((s) => SECRETS[s].some(holds));
}

let ctx: TestContext;
const users = {} as Record<Role, User | null>;
let member: User; // M: a member of C, author of the posts and party of the matches the rows act on
let helper: User; // H: a member of C, the other party of the member's matches
let admin: User; // A: C's creator
let inviteCode: string; // a standing code to C
let C: { id: string; slug: string };
let D: { id: string };
let openNeed: string; // the member's open ride need
let matchedNeed: string; // the member's ride need, matched with…
let acceptedMatch: string; // …the helper's offer, accepted: both parties see both places
let sharedOffer: string; // the helper's roomy ride offer, for fresh proposals
let nonMemberNeed: string;
let nonMember: User; // N: not a member of C, author of a need inside it
let helperOffer: string; // the offer of the member's accepted match
let flagCount = 0;
let moderator: User; // a platform moderator, a member of no community

let pushes = 0;
/** A browser's PushSubscription JSON: a real P-256 point and 16 auth bytes, at a push service's https address. */
function pushSubscription(name: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { endpoint: `https://push.example.org/send/${name}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
}

async function inject(method: Method, url: string, cookie: string | null, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: cookie ? { cookie } : {}, ...(payload !== undefined ? { payload: payload as never } : {}) });
}

/** A second session of the role's account (the matrix keeps its own): its cookie. */
async function secondSession(role: Role): Promise<string> {
  const res = await inject('POST', '/api/auth/login', null, { email: users[role]!.email, password: PASSWORD });
  const setCookie = res.headers['set-cookie'];
  return (Array.isArray(setCookie) ? setCookie[0]! : setCookie!).split(';')[0]!;
}

async function ok<T = Record<string, unknown>>(user: User, method: Method, url: string, payload?: unknown): Promise<T> {
  const res = await inject(method, url, user.cookie, payload);
  if (res.statusCode >= 300) {
    throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  }
  return (res.body ? res.json() : null) as T;
}

const rideNeed = (title = 'Ride to the clinic') =>
  postBody({ kind: 'need', category: 'ride', title, description: 'Dialysis', location: X_M, capacity: 1, details: { destination: X_MD } });
const rideOffer = (capacity: number) =>
  postBody({ kind: 'offer', category: 'ride', title: 'Rides around Crown Heights', description: 'Weekday evenings', location: X_H, capacity, details: {} });

async function newPost(user: User, body: Record<string, unknown>): Promise<string> {
  const id = (await ok<{ post: { id: string } }>(user, 'POST', '/api/posts', body)).post.id;
  await runFollowUps(ctx.app); // its suggestions, made after the reply
  return id;
}
/** A fresh open ride need by the member (at X_M). */
const memberNeed = () => newPost(member, rideNeed());
/** A fresh match the helper proposed on a fresh need of the member's: the member answers it. */
async function proposedByHelper(): Promise<string> {
  const needId = await memberNeed();
  return (await ok<{ match: { id: string } }>(helper, 'POST', '/api/matches', { needId, offerId: sharedOffer })).match.id;
}
async function acceptedByMember(): Promise<string> {
  const id = await proposedByHelper();
  await ok(member, 'POST', `/api/matches/${id}/accept`);
  return id;
}
/** An accepted match whose occasion began an hour ago: it may be marked done (not before it starts). */
async function acceptedAndStarted(): Promise<string> {
  const id = await acceptedByMember();
  const started = new Date(ctx.clock.now().getTime() - 3_600_000).toISOString();
  await ctx.database.db.execute(sql`UPDATE matches SET starts_at = ${started}::timestamptz WHERE id = ${id}`);
  return id;
}
/** A fresh user who joined C as a plain member. */
async function freshMember(name = 'Fresh'): Promise<User> {
  const u = await signup(ctx.app, name);
  await ok(u, 'POST', `/api/communities/${C.id}/join`, { inviteCode });
  return u;
}

/**
 * The app's tables (all of them, found when the file starts: a table added
 * later is watched too) but sessions (signing in writes one), rate_counters
 * (limits count attempts, refused ones too: that is their point) and
 * PostGIS's spatial_ref_sys.
 */
let tables: string[] = [];
/** One digest per table: a refused request leaves them all as they were. */
async function digest(): Promise<Map<string, string>> {
  const query = tables.map((t) => `SELECT '${t}' AS t, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${t}" x`).join(' UNION ALL ');
  return new Map(rowsOf<{ t: string; h: string }>(await ctx.database.db.execute(sql.raw(query))).map((r) => [r.t, r.h]));
}
function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return tables.filter((t) => before.get(t) !== after.get(t));
}

interface Req {
  url: string;
  payload?: unknown;
  /** Act with this cookie instead of the role's own (null: none). */
  cookie?: string | null;
}

interface Case<R> {
  /** The route as registered: `METHOD /pattern`. */
  route: string;
  variant?: string;
  expect: Row7;
  /**
   * A resource to act on. Made once for the refused roles (who run first and
   * must leave it unchanged), and afresh for each role after a success.
   */
  make?: (role: Role) => Promise<R>;
  /** Make the resource afresh for every role (it depends on who acts). */
  perRole?: boolean;
  req: (r: R, role: Role) => Req;
  /** Roles whose answer must hold these exact places (the contract promises them). */
  mustSee?: [readonly Role[], Secret][];
  /** Roles entitled to more in this answer than ENTITLED says (a calendar token is a credential). */
  alsoEntitled?: Partial<Record<Secret, readonly Role[]>>;
  /** After a success: the change happened. Returns problems. */
  after?: (r: R, role: Role, body: string) => Promise<string[]>;
}

/** Erases R so rows of different resources share one table. */
function row<R>(c: Case<R>): Case<unknown> {
  return c as Case<unknown>;
}

const all = (s: number): Row7 => [s, s, s, s, s, s, s];
const signedIn = (s: number): Row7 => [401, s, s, s, s, s, s];
/** Organizers and admins of C (and what a platform moderator, who organizes nothing, gets). */
const organizers = (s: number, moderator = 403): Row7 => [401, 403, 403, s, 403, s, moderator];
/** Platform moderators only. */
const moderators = (s: number): Row7 => [401, 403, 403, 403, 403, 403, s];
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const check = (cond: boolean, message: string) => (cond ? [] : [message]);
const future = (days: number) => new Date(ctx.clock.now().getTime() + days * 86_400_000).toISOString();

const CASES: Case<unknown>[] = [
  // Operations and documentation: anyone.
  row({ route: 'GET /api/health', expect: all(200), req: () => ({ url: '/api/health' }) }),
  row({ route: 'GET /api/config', expect: all(200), req: () => ({ url: '/api/config' }) }),
  row({ route: 'GET /api/openapi.json', expect: all(200), req: () => ({ url: '/api/openapi.json' }) }),
  row({ route: 'GET /api/docs', expect: all(200), req: () => ({ url: '/api/docs' }) }),
  row({ route: 'GET /api/docs/', expect: all(200), req: () => ({ url: '/api/docs/' }) }),
  row({ route: 'GET /api/docs/static/index.html', expect: all(302), req: () => ({ url: '/api/docs/static/index.html' }) }),
  row({ route: 'GET /api/docs/static/swagger-initializer.js', expect: all(200), req: () => ({ url: '/api/docs/static/swagger-initializer.js' }) }),
  row({ route: 'GET /api/docs/static/*', expect: all(200), req: () => ({ url: '/api/docs/static/swagger-ui.css' }) }),
  row({ route: 'GET /api/docs/json', expect: all(200), req: () => ({ url: '/api/docs/json' }) }),
  row({ route: 'GET /api/docs/yaml', expect: all(200), req: () => ({ url: '/api/docs/yaml' }) }),
  // The live socket's route asked over plain HTTP (no upgrade): @fastify/websocket answers 404. The socket itself is tested below.
  row({ route: 'GET /ws', variant: 'plain HTTP, no upgrade', expect: all(404), req: () => ({ url: '/ws' }) }),

  // Accounts. Signing up and in is for anyone; `anonymous` signs in with the member's address and a wrong password.
  row({
    route: 'POST /api/auth/signup',
    expect: all(201),
    req: (_r, role) => ({ url: '/api/auth/signup', payload: { email: `matrix-${role}-${Math.random().toString(36).slice(2, 10)}@example.org`, password: PASSWORD, displayName: `New ${role}` } }),
  }),
  row({
    route: 'POST /api/auth/login',
    expect: [401, 200, 200, 200, 200, 200, 200],
    req: (_r, role) => ({ url: '/api/auth/login', payload: role === 'anonymous' ? { email: member.email, password: 'not the password' } : { email: users[role]!.email, password: PASSWORD } }),
  }),
  row<string | null>({
    route: 'POST /api/auth/logout',
    expect: signedIn(204),
    perRole: true,
    // A second session of the role's, so the matrix keeps its own.
    make: async (role) => {
      if (role === 'anonymous') {
        return null;
      }
      return secondSession(role);
    },
    req: (cookie) => ({ url: '/api/auth/logout', cookie }),
    after: async (cookie) => check((await inject('GET', '/api/me', cookie)).statusCode === 401, 'the session still works after signing out'),
  }),
  row({ route: 'GET /api/me', expect: signedIn(200), req: () => ({ url: '/api/me' }) }),
  // The account's own password and sessions. A wrong current password is refused, and writes nothing.
  row({
    route: 'POST /api/me/password',
    expect: [401, 403, 403, 403, 403, 403, 403],
    req: () => ({ url: '/api/me/password', payload: { currentPassword: 'not the password', newPassword: 'lamp violin harbor tuesday' } }),
  }),
  row({ route: 'GET /api/me/sessions', expect: signedIn(200), req: () => ({ url: '/api/me/sessions' }) }),
  row<{ id: string; cookie: string } | null>({
    route: 'DELETE /api/me/sessions/:id',
    expect: signedIn(204),
    perRole: true,
    // A second session of the role's, ended by its id from the matrix's own.
    make: async (role) => {
      if (role === 'anonymous') {
        return null;
      }
      const cookie = await secondSession(role);
      const items = JSON.parse((await inject('GET', '/api/me/sessions', cookie)).body).items as { id: string; current: boolean }[];
      return { id: items.find((s) => s.current)!.id, cookie };
    },
    req: (s) => ({ url: `/api/me/sessions/${s?.id ?? 'AAAAAAAAAAAA'}` }),
    after: async (s) => check((await inject('GET', '/api/me', s!.cookie)).statusCode === 401, 'the ended session still works'),
  }),
  // Ends the role's other sessions (the matrix's own stays).
  row({ route: 'POST /api/me/sessions/revoke-others', expect: signedIn(200), req: () => ({ url: '/api/me/sessions/revoke-others' }) }),

  // Posts.
  row({
    route: 'POST /api/posts',
    expect: signedIn(201),
    req: () => ({ url: '/api/posts', payload: postBody({ title: 'Soup for the block', location: NEUTRAL }) }),
  }),
  row({
    route: 'GET /api/posts',
    expect: all(200),
    req: () => ({ url: `/api/posts?bbox=${BBOX.join(',')}&limit=1000` }),
    mustSee: [
      [['member', 'organizer', 'admin'], 'M'],
      [['organizer', 'admin'], 'H'],
    ],
  }),
  row({ route: 'GET /api/me/posts', expect: signedIn(200), req: () => ({ url: '/api/me/posts' }), mustSee: [[['member'], 'M']] }),
  row({
    route: 'GET /api/posts/similar',
    expect: signedIn(200),
    req: () => ({ url: `/api/posts/similar?${new URLSearchParams({ kind: 'need', category: 'ride', lat: '40.6711', lng: '-73.9433', start: '2026-12-02T22:00:00Z', end: '2026-12-03T00:00:00Z' })}` }),
  }),
  row({ route: 'GET /api/posts/:id', variant: "the member's open need", expect: all(200), req: () => ({ url: `/api/posts/${openNeed}` }), mustSee: [[['member', 'organizer', 'admin'], 'M']] }),
  row({ route: 'GET /api/posts/:id', variant: "the helper's offer, in the member's accepted match", expect: all(200), req: () => ({ url: `/api/posts/${helperOffer}` }), mustSee: [[['organizer', 'admin'], 'H']] }),
  // Inside C, but its author never joined: public to C's organizers too.
  row({ route: 'GET /api/posts/:id', variant: "a non-member's need in C", expect: all(200), req: () => ({ url: `/api/posts/${nonMemberNeed}` }) }),
  // Hidden: gone for everyone but its author, C's organizers, and platform moderators (who may bring it back: exactly).
  row<string>({
    route: 'GET /api/posts/:id',
    variant: "the member's hidden need",
    expect: [404, 200, 404, 200, 404, 200, 200],
    alsoEntitled: { M: ['moderator'] },
    make: async () => {
      const id = await memberNeed();
      await ok(admin, 'POST', `/api/posts/${id}/hide`, { reason: 'Asks for money' });
      return id;
    },
    req: (id) => ({ url: `/api/posts/${id}` }),
    mustSee: [[['member', 'organizer', 'admin', 'moderator'], 'M']],
  }),
  row<string>({
    route: 'PATCH /api/posts/:id',
    expect: [401, 200, 403, 403, 403, 403, 403],
    make: memberNeed,
    req: (id) => ({ url: `/api/posts/${id}`, payload: { title: 'Ride to the clinic, edited' } }),
    after: async (id) => check((await ok<{ post: { title: string } }>(member, 'GET', `/api/posts/${id}`)).post.title === 'Ride to the clinic, edited', 'the title did not change'),
  }),
  row<string>({
    route: 'DELETE /api/posts/:id',
    expect: [401, 200, 403, 403, 403, 403, 403],
    make: memberNeed,
    req: (id) => ({ url: `/api/posts/${id}` }),
    after: async (id) => check((await ok<{ post: { status: string } }>(member, 'GET', `/api/posts/${id}`)).post.status === 'cancelled', 'the post is not cancelled'),
  }),
  row({ route: 'GET /api/posts/:id/matches', expect: [401, 200, 403, 403, 403, 403, 403], req: () => ({ url: `/api/posts/${openNeed}/matches` }) }),
  // A platform moderator hides and brings back any post, and is given its exact place in the answer.
  row<string>({
    route: 'POST /api/posts/:id/hide',
    variant: "the member's need",
    expect: organizers(200, 200),
    make: memberNeed,
    alsoEntitled: { M: ['moderator'] },
    mustSee: [[['organizer', 'admin', 'moderator'], 'M']],
    req: (id) => ({ url: `/api/posts/${id}/hide`, payload: { reason: 'Asks for money' } }),
    after: async (id) => check((await inject('GET', `/api/posts/${id}`, null)).statusCode === 404, 'the hidden post is still shown to anyone'),
  }),
  row<string>({
    route: 'POST /api/posts/:id/unhide',
    expect: organizers(200, 200),
    alsoEntitled: { M: ['moderator'] },
    make: async () => {
      const id = await memberNeed();
      await ok(admin, 'POST', `/api/posts/${id}/hide`, { reason: 'Asks for money' });
      return id;
    },
    req: (id) => ({ url: `/api/posts/${id}/unhide` }),
    after: async (id) => {
      const res = await inject('GET', `/api/posts/${id}`, null);
      return check(res.statusCode === 200 && json(res.body).post !== undefined && (json(res.body).post as { status: string }).status === 'open', `the post is not back: ${res.statusCode}`);
    },
  }),

  // Place names (through test/geocoder.ts): the addresses to those entitled to a post's exact places, else
  // street, neighbourhood and town of its public points; the same 404s as the post.
  row({ route: 'GET /api/places/status', expect: all(200), req: () => ({ url: '/api/places/status' }) }),
  row({ route: 'GET /api/places/search', expect: signedIn(200), req: () => ({ url: '/api/places/search?q=1520%20sterling' }) }),
  row({ route: 'GET /api/places/name', expect: signedIn(200), req: () => ({ url: '/api/places/name?lat=40.6711&lng=-73.9433' }) }),
  ...(
    [
      ["the member's open need", () => openNeed, all(200), 'M'],
      ["the helper's offer, in the member's accepted match", () => helperOffer, all(200), 'H'],
      ["a non-member's need in C", () => nonMemberNeed, all(200), 'N'],
    ] as const
  ).map(([variant, id, statuses, secret]) =>
    row({
      route: 'GET /api/posts/:id/place',
      variant,
      expect: statuses,
      req: () => ({ url: `/api/posts/${id()}/place` }),
      after: async (_r, role, body) => check(json(body).exact === ENTITLED[secret].includes(role), `exact is ${String(json(body).exact)}`),
    }),
  ),
  row<string>({
    route: 'GET /api/posts/:id/place',
    variant: "the member's hidden need",
    expect: [404, 200, 404, 200, 404, 200, 200],
    make: async () => {
      const id = await memberNeed();
      await ok(admin, 'POST', `/api/posts/${id}/hide`, { reason: 'Asks for money' });
      return id;
    },
    req: (id) => ({ url: `/api/posts/${id}/place` }),
    after: async (_r, _role, body) => check(json(body).exact === true, 'the address is not given to those who see the hidden post'),
  }),

  // Matches: the member is a party (the need's author), the helper the other.
  row<string>({
    route: 'POST /api/matches',
    expect: [401, 201, 403, 403, 403, 403, 403],
    make: memberNeed,
    req: (needId) => ({ url: '/api/matches', payload: { needId, offerId: sharedOffer } }),
  }),
  row({ route: 'GET /api/matches', expect: signedIn(200), req: () => ({ url: '/api/matches?status=accepted' }), mustSee: [[['member'], 'H']] }),
  row({ route: 'GET /api/matches/:id', expect: [401, 200, 404, 404, 404, 404, 404], req: () => ({ url: `/api/matches/${acceptedMatch}` }), mustSee: [[['member'], 'H']] }),
  ...(['accept', 'decline', 'cancel', 'complete'] as const).map((action) =>
    row<string>({
      route: `POST /api/matches/:id/${action}`,
      expect: [401, 200, 403, 403, 403, 403, 403],
      make: action === 'complete' ? acceptedAndStarted : proposedByHelper,
      req: (id) => ({ url: `/api/matches/${id}/${action}` }),
      after: async (id) => {
        const status = (await ok<{ match: { status: string } }>(member, 'GET', `/api/matches/${id}`)).match.status;
        const want = { accept: 'accepted', decline: 'declined', cancel: 'cancelled', complete: 'completed' }[action];
        return check(status === want, `the match is ${status}, not ${want}`);
      },
    }),
  ),
  row({ route: 'GET /api/matches/:id/messages', expect: [401, 200, 404, 404, 404, 404, 404], req: () => ({ url: `/api/matches/${acceptedMatch}/messages` }) }),
  row({ route: 'POST /api/matches/:id/messages', expect: [401, 201, 404, 404, 404, 404, 404], req: () => ({ url: `/api/matches/${acceptedMatch}/messages`, payload: { body: 'On my way' } }) }),

  // Communities.
  row({
    route: 'POST /api/communities',
    expect: signedIn(201),
    // Far from every post (Staten Island), so it takes no post from C.
    req: () => {
      const w = -74.2 + Math.random() * 0.05;
      return { url: '/api/communities', payload: { name: 'Elsewhere', slug: `m-${Math.random().toString(36).slice(2, 10)}`, boundary: ring(w, 40.55, w + 0.003, 40.553), timezone: 'America/New_York', joinPolicy: 'open' } };
    },
  }),
  row({ route: 'GET /api/communities', expect: all(200), req: () => ({ url: '/api/communities?lat=40.672&lng=-73.94' }) }),
  row({ route: 'GET /api/me/communities', expect: signedIn(200), req: () => ({ url: '/api/me/communities' }) }),
  row({ route: 'GET /api/communities/:id', expect: all(200), req: () => ({ url: `/api/communities/${C.id}` }) }),
  // Invite-only: members answer with their membership, the organizer of D may not walk in.
  row({ route: 'POST /api/communities/:id/join', variant: 'no invite code', expect: [401, 200, 200, 200, 403, 200, 403], req: () => ({ url: `/api/communities/${C.id}/join` }) }),
  row<{ id: string }>({
    route: 'POST /api/communities/:id/leave',
    // Each role leaves a community of its own set up as C is (the member, the other member and the organizer
    // in it, the admin its only admin, the organizer of D and the moderator not in it), so C stays as the other
    // rows need it. A fresh account starts it but for the admin's (one account starts 3 communities a day).
    expect: [401, 204, 204, 204, 204, 409, 204],
    perRole: true,
    make: async (role) => {
      const w = -74.25 + Math.random() * 0.05;
      const creator = role === 'admin' ? admin : await signup(ctx.app, 'Starter');
      const c = (await ok<{ community: { id: string } }>(creator, 'POST', '/api/communities', { name: 'Leaving', slug: `l-${Math.random().toString(36).slice(2, 10)}`, boundary: ring(w, 40.56, w + 0.003, 40.563), timezone: 'America/New_York', joinPolicy: 'invite' })).community;
      const code = (await ok<{ invite: { code: string } }>(creator, 'POST', `/api/communities/${c.id}/invites`)).invite.code;
      for (const joiner of ['member', 'other', 'organizer'] as const) {
        await ok(users[joiner]!, 'POST', `/api/communities/${c.id}/join`, { inviteCode: code });
      }
      await ok(creator, 'PUT', `/api/communities/${c.id}/members/${users.organizer!.id}`, { role: 'organizer' });
      return c;
    },
    req: (c) => ({ url: `/api/communities/${c.id}/leave` }),
    after: async (c, role) => check((await ok<{ community: { myRole?: string } }>(users[role]!, 'GET', `/api/communities/${c.id}`)).community.myRole === undefined, 'still a member'),
  }),
  row({ route: 'GET /api/communities/:id/members', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/members` }) }),
  row<User>({
    route: 'PUT /api/communities/:id/members/:userId',
    expect: [401, 403, 403, 403, 403, 200, 403],
    make: () => freshMember('Promoted'),
    req: (u) => ({ url: `/api/communities/${C.id}/members/${u.id}`, payload: { role: 'organizer' } }),
    after: async (u) => check((await ok<{ community: { myRole?: string } }>(u, 'GET', `/api/communities/${C.id}`)).community.myRole === 'organizer', 'the role did not change'),
  }),
  row({ route: 'POST /api/communities/:id/invites', expect: organizers(201), req: () => ({ url: `/api/communities/${C.id}/invites`, payload: { expiresInDays: 7 } }) }),
  row({ route: 'GET /api/communities/:id/invites', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/invites` }) }),
  row<string>({
    route: 'DELETE /api/communities/:id/invites/:code',
    expect: organizers(204),
    make: async () => (await ok<{ invite: { code: string } }>(admin, 'POST', `/api/communities/${C.id}/invites`)).invite.code,
    req: (code) => ({ url: `/api/communities/${C.id}/invites/${code}` }),
    after: async (code) => {
      const items = (await ok<{ items: { code: string; revokedAt: string | null }[] }>(admin, 'GET', `/api/communities/${C.id}/invites`)).items;
      return check(items.find((i) => i.code === code)?.revokedAt !== null, 'the code is not revoked');
    },
  }),
  row({ route: 'GET /api/communities/:id/triage', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/triage` }) }),
  row({ route: 'GET /api/communities/:id/triage/:needId', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/triage/${openNeed}` }) }),
  row<string>({
    route: 'POST /api/communities/:id/triage/:needId/note',
    expect: organizers(204),
    make: memberNeed,
    req: (needId) => ({ url: `/api/communities/${C.id}/triage/${needId}/note`, payload: { body: 'Is this still needed? I can look for a driver.' } }),
  }),
  row<string>({
    // The member answers an organizer's note: only the note's recipient may (404 for anyone else's id).
    route: 'POST /api/me/notifications/:id/reply',
    expect: [401, 200, 404, 404, 404, 404, 404],
    make: async () => {
      const needId = await memberNeed();
      await ok(users.organizer!, 'POST', `/api/communities/${C.id}/triage/${needId}/note`, { body: 'Is this still needed?' });
      return (await ok<{ items: { id: string; replyable: boolean }[] }>(member, 'GET', '/api/me/notifications')).items.find((n) => n.replyable)!.id;
    },
    req: (id) => ({ url: `/api/me/notifications/${id}/reply`, payload: { body: 'Yes, thank you.' } }),
  }),
  row({
    route: 'POST /api/communities/:id/assignments/plan',
    expect: organizers(200),
    req: () => ({ url: `/api/communities/${C.id}/assignments/plan`, payload: { from: ctx.clock.now().toISOString(), to: future(7) } }),
  }),
  row<string>({
    route: 'POST /api/communities/:id/assignments/apply',
    expect: organizers(200),
    make: memberNeed,
    req: (needId) => ({ url: `/api/communities/${C.id}/assignments/apply`, payload: { pairs: [{ needId, offerId: sharedOffer }] } }),
    after: async (_needId, _role, body) => check((json(body).created as unknown[]).length === 1, `the pair was not proposed: ${body}`),
  }),
  row({
    route: 'POST /api/flags',
    expect: signedIn(201),
    req: () => ({ url: '/api/flags', payload: { postId: openNeed, reason: `Looks like a scam (${++flagCount})` } }),
  }),
  row({ route: 'GET /api/communities/:id/flags', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/flags` }) }),
  row<User>({
    route: 'POST /api/communities/:id/suspensions',
    expect: organizers(204),
    make: () => freshMember('Suspended'),
    req: (u) => ({ url: `/api/communities/${C.id}/suspensions`, payload: { userId: u.id, reason: 'Harassment' } }),
    after: async (u) => check((await ok<{ community: { suspended?: boolean } }>(u, 'GET', `/api/communities/${C.id}`)).community.suspended === true, 'not suspended'),
  }),
  row<User>({
    route: 'DELETE /api/communities/:id/suspensions/:userId',
    expect: organizers(204),
    make: async () => {
      const u = await freshMember('Reinstated');
      await ok(admin, 'POST', `/api/communities/${C.id}/suspensions`, { userId: u.id });
      return u;
    },
    req: (u) => ({ url: `/api/communities/${C.id}/suspensions/${u.id}` }),
    after: async (u) => check((await ok<{ community: { myRole?: string } }>(u, 'GET', `/api/communities/${C.id}`)).community.myRole === 'member', 'still suspended'),
  }),
  ...(['csv', 'geojson'] as const).map((ext) =>
    row({
      route: `GET /api/communities/:id/export.${ext}`,
      expect: organizers(200),
      req: () => ({ url: `/api/communities/${C.id}/export.${ext}` }),
      mustSee: [
        [['organizer', 'admin'], 'M'],
        [['organizer', 'admin'], 'H'],
      ],
    }),
  ),
  row({ route: 'GET /api/communities/:id/roster', expect: organizers(200), req: () => ({ url: `/api/communities/${C.id}/roster` }) }),
  row({
    route: 'GET /api/communities/:id/coverage',
    expect: organizers(200),
    req: () => ({ url: `/api/communities/${C.id}/coverage?${new URLSearchParams({ from: ctx.clock.now().toISOString(), to: future(7) })}` }),
  }),
  row({ route: 'GET /api/communities/:id/audit', expect: [401, 403, 403, 403, 403, 200, 403], req: () => ({ url: `/api/communities/${C.id}/audit` }) }),
  // The organizer of D uses D's tools: D's area holds C's posts, but they belong to C (the smallest), so none
  // of their exact places may come out this way.
  ...(['export.csv', 'export.geojson', 'triage', 'roster'] as const).map((tool) =>
    row({ route: `GET /api/communities/:id/${tool}`, variant: 'of D, around C', expect: [401, 403, 403, 403, 200, 403, 403], req: () => ({ url: `/api/communities/${D.id}/${tool}` }) }),
  ),
  // C's member's need, asked of D: not one of D's (its organizer gets 404, as for any need not theirs to triage).
  row({
    route: 'GET /api/communities/:id/triage/:needId',
    variant: 'of D, around C',
    expect: [401, 403, 403, 403, 404, 403, 403],
    req: () => ({ url: `/api/communities/${D.id}/triage/${openNeed}` }),
  }),
  row<string>({
    route: 'POST /api/communities/:id/triage/:needId/note',
    variant: 'of D, around C',
    expect: [401, 403, 403, 403, 404, 403, 403],
    make: memberNeed,
    req: (needId) => ({ url: `/api/communities/${D.id}/triage/${needId}/note`, payload: { body: 'Hello from next door.' } }),
  }),
  row({
    route: 'GET /api/communities/:id/coverage',
    variant: 'of D, around C',
    expect: [401, 403, 403, 403, 200, 403, 403],
    req: () => ({ url: `/api/communities/${D.id}/coverage?${new URLSearchParams({ from: ctx.clock.now().toISOString(), to: future(7) })}` }),
  }),
  row({
    route: 'POST /api/communities/:id/assignments/plan',
    variant: 'of D, around C',
    expect: [401, 403, 403, 403, 200, 403, 403],
    req: () => ({ url: `/api/communities/${D.id}/assignments/plan`, payload: { from: ctx.clock.now().toISOString(), to: future(7) } }),
  }),

  // Platform moderators (granted from the command line; here by grantModerator, as the CLI does).
  row({
    route: 'GET /api/moderation/flags',
    expect: moderators(200),
    req: () => ({ url: '/api/moderation/flags?limit=200' }),
    // Reports with their reporters, and the exact places of the posts reported (moderators may act on any).
    alsoEntitled: { M: ['moderator'], N: ['moderator'] },
    mustSee: [
      [['moderator'], 'M'],
      [['moderator'], 'N'],
    ],
    after: async (_r, _role, body) => check((json(body).items as { reporter?: { id: string } }[]).some((f) => f.reporter?.id === users.other!.id), 'no reporter shown to the moderator'),
  }),
  row<User>({
    route: 'POST /api/moderation/suspensions',
    expect: moderators(204),
    make: () => signup(ctx.app, 'Troll'),
    req: (u) => ({ url: '/api/moderation/suspensions', payload: { userId: u.id, reason: 'Spam' } }),
    after: async (u) => check((await inject('POST', '/api/auth/login', null, { email: u.email, password: PASSWORD })).statusCode === 403, 'the suspended account still signs in'),
  }),
  row<User>({
    route: 'DELETE /api/moderation/suspensions/:userId',
    expect: moderators(204),
    make: async () => {
      const u = await signup(ctx.app, 'Reformed');
      await ok(moderator, 'POST', '/api/moderation/suspensions', { userId: u.id, reason: 'Spam' });
      return u;
    },
    req: (u) => ({ url: `/api/moderation/suspensions/${u.id}` }),
    after: async (u) => check((await inject('POST', '/api/auth/login', null, { email: u.email, password: PASSWORD })).statusCode === 200, 'the reinstated account cannot sign in'),
  }),
  row({ route: 'GET /api/moderation/audit', expect: moderators(200), req: () => ({ url: '/api/moderation/audit' }) }),

  // Calendar.
  row({ route: 'GET /api/me/calendar', expect: signedIn(200), req: () => ({ url: '/api/me/calendar' }) }),
  row({ route: 'POST /api/me/calendar', expect: signedIn(201), req: () => ({ url: '/api/me/calendar' }) }),
  row({ route: 'DELETE /api/me/calendar', expect: signedIn(204), req: () => ({ url: '/api/me/calendar' }) }),
  row<string>({
    route: 'GET /api/calendar/:file',
    variant: "the member's address",
    // The token is the credential: whoever holds the address reads the member's accepted matches, with their places.
    expect: all(200),
    make: async () => new URL((await ok<{ url: string }>(member, 'POST', '/api/me/calendar')).url).pathname,
    req: (path) => ({ url: path }),
    alsoEntitled: { M: ROLES, H: ROLES },
    mustSee: [[ROLES, 'M']],
  }),
  row({ route: 'GET /api/calendar/:file', variant: 'an address never issued', expect: all(404), req: () => ({ url: `/api/calendar/${'A'.repeat(43)}.ics` }) }),

  // Blocks: each role blocks (or unblocks) a stranger of its own.
  row<string>({
    route: 'POST /api/blocks',
    expect: signedIn(201),
    perRole: true,
    make: async () => (await signup(ctx.app, 'Stranger')).id,
    req: (userId) => ({ url: '/api/blocks', payload: { userId } }),
  }),
  row<string>({
    route: 'DELETE /api/blocks/:userId',
    expect: signedIn(204),
    perRole: true,
    make: async (role) => {
      const stranger = (await signup(ctx.app, 'Stranger')).id;
      if (users[role]) {
        await ok(users[role], 'POST', '/api/blocks', { userId: stranger });
      }
      return stranger;
    },
    req: (userId) => ({ url: `/api/blocks/${userId}` }),
    after: async (userId, role) => {
      const items = (await ok<{ items: { user: { id: string } }[] }>(users[role]!, 'GET', '/api/me/blocks')).items;
      return check(!items.some((i) => i.user.id === userId), 'still blocked');
    },
  }),
  row({ route: 'GET /api/me/blocks', expect: signedIn(200), req: () => ({ url: '/api/me/blocks' }) }),

  // Links mailed to an address: the token is the authority, not the session (a made-up one is a 400 for all).
  row({ route: 'POST /api/auth/verify-email', expect: [400, 400, 400, 400, 400, 400, 400], req: () => ({ url: '/api/auth/verify-email', payload: { token: 'x'.repeat(43) } }) }),
  row({ route: 'POST /api/auth/verify-email/resend', expect: signedIn(202), req: () => ({ url: '/api/auth/verify-email/resend' }) }),
  row({ route: 'POST /api/auth/password-reset', expect: [202, 202, 202, 202, 202, 202, 202], req: () => ({ url: '/api/auth/password-reset', payload: { email: 'someone@example.org' } }) }),
  row({
    route: 'POST /api/auth/password-reset/confirm',
    expect: [400, 400, 400, 400, 400, 400, 400],
    req: () => ({ url: '/api/auth/password-reset/confirm', payload: { token: 'x'.repeat(43), password: 'lamp violin harbor tuesday' } }),
  }),
  row({ route: 'POST /api/auth/email-change/confirm', expect: [400, 400, 400, 400, 400, 400, 400], req: () => ({ url: '/api/auth/email-change/confirm', payload: { token: 'x'.repeat(43) } }) }),
  row({ route: 'POST /api/unsubscribe', expect: [400, 400, 400, 400, 400, 400, 400], req: () => ({ url: '/api/unsubscribe?token=made.up-token' }) }),
  row({ route: 'GET /api/unsubscribe', expect: [400, 400, 400, 400, 400, 400, 400], req: () => ({ url: '/api/unsubscribe?token=made.up-token' }) }),

  // Web Push: the key is public; a browser's subscription is its person's own.
  row({ route: 'GET /api/push/key', expect: [200, 200, 200, 200, 200, 200, 200], req: () => ({ url: '/api/push/key' }) }),
  row({
    route: 'POST /api/me/push-subscriptions',
    expect: signedIn(201),
    perRole: true,
    make: async (role) => role,
    req: (role) => ({ url: '/api/me/push-subscriptions', payload: pushSubscription(`${role}-${++pushes}`) }),
  }),
  row({
    route: 'DELETE /api/me/push-subscriptions',
    expect: signedIn(204),
    req: () => ({ url: '/api/me/push-subscriptions', payload: { endpoint: 'https://push.example.org/send/none' } }),
  }),

  // One's own account, inbox, choices and alerts: anyone signed in, of themselves only.
  row({ route: 'PATCH /api/me', expect: signedIn(200), req: () => ({ url: '/api/me', payload: { locale: 'en' } }) }),
  // A wrong password deletes nothing (deleting with the right one: test/integration/account.test.ts).
  row({ route: 'DELETE /api/me', expect: [401, 403, 403, 403, 403, 403, 403], req: () => ({ url: '/api/me', payload: { password: 'not the password' } }) }),
  // A wrong password moves nothing (moving with the right one: test/integration/email-change.test.ts).
  row({ route: 'POST /api/me/email', expect: [401, 403, 403, 403, 403, 403, 403], req: () => ({ url: '/api/me/email', payload: { email: 'elsewhere@example.org', password: 'not the password' } }) }),
  row({ route: 'GET /api/me/notifications', expect: signedIn(200), req: () => ({ url: '/api/me/notifications' }) }),
  row({ route: 'POST /api/me/notifications/read', expect: signedIn(200), req: () => ({ url: '/api/me/notifications/read', payload: { all: true } }) }),
  row({ route: 'GET /api/me/notification-preferences', expect: signedIn(200), req: () => ({ url: '/api/me/notification-preferences' }) }),
  row({
    route: 'PUT /api/me/notification-preferences',
    expect: signedIn(200),
    req: () => ({ url: '/api/me/notification-preferences', payload: { changes: [{ kind: 'match.completed', channel: 'email', enabled: false }] } }),
  }),
  row({ route: 'GET /api/me/alerts', expect: signedIn(200), req: () => ({ url: '/api/me/alerts' }) }),
  row({
    route: 'POST /api/me/alerts',
    expect: signedIn(201),
    perRole: true,
    // Each role's alerts are cleared first: ten is the most one person keeps.
    make: async (role) => {
      if (users[role]) {
        for (const a of (await ok<{ items: { id: string }[] }>(users[role], 'GET', '/api/me/alerts')).items) {
          await ok(users[role], 'DELETE', `/api/me/alerts/${a.id}`);
        }
      }
      return null;
    },
    req: () => ({ url: '/api/me/alerts', payload: { center: { lat: 40.7, lng: -73.9 }, radiusM: 1000, categories: ['ride'] } }),
  }),
  row<string>({
    route: 'DELETE /api/me/alerts/:id',
    expect: signedIn(204),
    perRole: true,
    // The role's own alert (anonymous: someone's).
    make: async (role) => (await ok<{ alert: { id: string } }>(users[role] ?? member, 'POST', '/api/me/alerts', { center: { lat: 40.7, lng: -73.9 }, radiusM: 1000, categories: ['ride'] })).alert.id,
    req: (id) => ({ url: `/api/me/alerts/${id}` }),
  }),
];

/**
 * `METHOD /path` of every route the app registers, from Fastify's radix tree
 * (each node's text continues its parent's path). Not `commonPrefix: false`:
 * that view drops the `static/` before swagger-ui's wildcard.
 */
function registeredRoutes(): string[] {
  const tree = ctx.app.printRoutes();
  const paths: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) {
      continue;
    }
    const depth = m[1]!.length / 4;
    paths.length = depth;
    const path = (depth > 0 ? paths[depth - 1]! : '') + m[2]!;
    paths.push(path);
    for (const method of m[3]?.split(', ') ?? []) {
      out.push(`${method} ${path}`);
    }
  }
  return [...new Set(out)].sort();
}

let geocoder: TestGeocoder;

beforeAll(async () => {
  geocoder = await TestGeocoder.start();
  // No built web app: its static files would add a route per file, which are not the API's.
  ctx = await buildTestApp({ env: { WEB_ROOT: '/nonexistent', GEOCODER_URL: geocoder.url, GEOCODER_INTERVAL_MS: '0' } });
  tables = rowsOf<{ name: string }>(
    await ctx.database.db.execute(sql`SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('sessions', 'rate_counters', 'spatial_ref_sys') ORDER BY 1`),
  ).map((r) => r.name);
  expect(tables).toEqual(expect.arrayContaining(['users', 'posts', 'post_windows', 'matches', 'messages', 'events', 'communities', 'memberships', 'invites', 'audit_log', 'flags', 'calendar_tokens', 'blocks', 'moderation_log']));
  const [a, g, m, o, e, h, n, dAdmin, mod] = await Promise.all(['Admin', 'Organizer', 'Member', 'Other', 'Elsewhere', 'Helper', 'NonMember', 'D Admin', 'Moderator'].map((x) => signup(ctx.app, x)));
  [admin, member, helper, nonMember, moderator] = [a!, m!, h!, n!, mod!];
  Object.assign(users, { anonymous: null, member: m!, other: o!, organizer: g!, elsewhere: e!, admin: a!, moderator: mod! });
  expect(await grantModerator(ctx.database.db, mod!.email, ctx.clock.now())).toBe(true);

  C = (await ok<{ community: { id: string; slug: string } }>(a!, 'POST', '/api/communities', { name: 'Crown Heights Mutual Aid', slug: 'matrix-c', boundary: C_AREA, timezone: 'America/New_York', joinPolicy: 'invite' })).community;
  inviteCode = (await ok<{ invite: { code: string } }>(a!, 'POST', `/api/communities/${C.id}/invites`)).invite.code;
  for (const u of [g!, m!, o!, h!]) {
    await ok(u, 'POST', `/api/communities/${C.id}/join`, { inviteCode });
  }
  await ok(a!, 'PUT', `/api/communities/${C.id}/members/${g!.id}`, { role: 'organizer' });
  D = (await ok<{ community: { id: string } }>(dAdmin!, 'POST', '/api/communities', { name: 'Central Brooklyn', slug: 'matrix-d', boundary: D_AREA, timezone: 'America/New_York', joinPolicy: 'open' })).community;
  // The member and the helper belong to D too: their posts still belong to C alone (the smallest), so joining
  // D does not show them to D's organizer.
  for (const u of [e!, m!, h!]) {
    await ok(u, 'POST', `/api/communities/${D.id}/join`);
  }
  await ok(dAdmin!, 'PUT', `/api/communities/${D.id}/members/${e!.id}`, { role: 'organizer' });

  helperOffer = await newPost(h!, rideOffer(3));
  matchedNeed = await newPost(m!, rideNeed('Ride to the pharmacy'));
  acceptedMatch = (await ok<{ match: { id: string } }>(h!, 'POST', '/api/matches', { needId: matchedNeed, offerId: helperOffer })).match.id;
  await ok(m!, 'POST', `/api/matches/${acceptedMatch}/accept`);
  sharedOffer = await newPost(h!, rideOffer(1000));
  openNeed = await memberNeed();
  nonMemberNeed = await newPost(n!, postBody({ kind: 'need', category: 'meal', title: 'Soup, please', location: X_N, capacity: 1, details: {} }));
  await ok(o!, 'POST', '/api/flags', { postId: nonMemberNeed, reason: 'Duplicate' });
  await ok(o!, 'POST', '/api/flags', { userId: h!.id, reason: 'Rude' });

  // The detector's premise: it finds each exact place in its author's view of the post, and none in the public one.
  for (const [id, author, secret] of [[openNeed, m!, 'M'], [helperOffer, h!, 'H'], [nonMemberNeed, n!, 'N']] as const) {
    expect(secretsIn((await inject('GET', `/api/posts/${id}`, author.cookie)).body)).toEqual([secret]);
    expect(secretsIn((await inject('GET', `/api/posts/${id}`, null)).body)).toEqual([]);
  }
});

afterAll(async () => {
  await ctx?.app.close();
  await geocoder?.stop();
});

describe('authorization matrix', () => {
  it('has a row for every route the app registers, and no row for a route it does not', () => {
    const registered = registeredRoutes();
    expect(registered.length).toBeGreaterThan(50);
    // The parse is right: Fastify knows every route it yields.
    for (const r of registered) {
      const [method, url] = r.split(' ') as [Method, string];
      expect(ctx.app.hasRoute({ method, url }), r).toBe(true);
    }
    const covered = new Set<string>();
    for (const c of CASES) {
      covered.add(c.route);
      if (c.route.startsWith('GET ')) {
        covered.add(c.route.replace(/^GET /, 'HEAD ')); // every GET row runs HEAD too
      }
    }
    expect([...covered].sort()).toEqual(registered);
  });

  for (const c of CASES) {
    it(`${c.route}${c.variant ? ` (${c.variant})` : ''}`, async () => {
      const method = c.route.split(' ')[0] as Method;
      const want: Record<string, number> = {};
      const got: Record<string, number> = {};
      const problems: string[] = [];
      const expected = (role: Role) => c.expect[ROLES.indexOf(role)]!;
      // Those refused first, on one resource they must leave as it was; then each success on a fresh one.
      const order = [...ROLES.filter((r) => expected(r) >= 400), ...ROLES.filter((r) => expected(r) < 400)];
      let resource: unknown;
      let fresh = false;
      let known: Map<string, string> | null = null; // the digest, while nothing has written since
      for (const role of order) {
        if (!fresh || c.perRole) {
          resource = c.make ? await c.make(role) : undefined;
          fresh = true;
          known = null;
        }
        const req = c.req(resource, role);
        const cookie = req.cookie !== undefined ? req.cookie : (users[role]?.cookie ?? null);
        const before = method === 'GET' ? null : (known ?? (await digest()));
        const res = await inject(method, req.url, cookie, req.payload);
        want[role] = expected(role);
        got[role] = res.statusCode;
        if (res.statusCode >= 500) {
          problems.push(`${role}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        }
        const text = `${JSON.stringify(res.headers)}\n${res.body}`;
        for (const s of secretsIn(text)) {
          if (!ENTITLED[s].includes(role) && !c.alsoEntitled?.[s]?.includes(role)) {
            problems.push(`${role}: LEAK of the exact place of ${SECRET_NAMES[s]}`);
          }
        }
        for (const [roles, s] of c.mustSee ?? []) {
          if (roles.includes(role) && res.statusCode < 300 && !secretsIn(res.body).includes(s)) {
            problems.push(`${role}: no exact place of ${s} though entitled to it`);
          }
        }
        if (res.statusCode >= 400) {
          if (before) {
            known = await digest();
            const changed = changedTables(before, known);
            if (changed.length > 0) {
              problems.push(`${role}: refused with ${res.statusCode} but wrote to ${changed.join(', ')}`);
            }
          }
        } else {
          fresh = false; // used up: the next role gets a fresh one
          known = null;
          if (c.after) {
            problems.push(...(await c.after(resource, role, res.body).catch((err: unknown) => [String(err)])).map((p) => `${role}: ${p}`));
          }
        }
        if (method === 'GET') {
          const head = await inject('HEAD', req.url, cookie);
          want[`HEAD ${role}`] = expected(role);
          got[`HEAD ${role}`] = head.statusCode;
          if (head.body !== '') {
            problems.push(`${role}: HEAD answered with a body`);
          }
        }
      }
      expect({ statuses: got, problems }).toEqual({ statuses: want, problems: [] });
    });
  }
});

describe('/ws per role', () => {
  const sockets: TestSocket[] = [];
  afterAll(() => {
    for (const s of sockets) {
      s.close();
    }
  });

  it("post.updated reaches every role subscribed around the post, live and replayed: a member's exact to its author and C's organizers and admins, public to the rest; a non-member's public to all; match events to the parties only", async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
    const memberPost = await newPost(member, rideNeed('Ride to the library'));
    const open = async (role: Role, since?: number) => {
      const s = await TestSocket.open(url, users[role] ? { cookie: users[role].cookie } : {});
      sockets.push(s);
      s.send({ type: 'subscribe', bbox: BBOX, ...(since !== undefined ? { since } : {}) });
      return { socket: s, seq: (await s.next('subscribed')).seq as number };
    };
    const live = new Map<Role, TestSocket>();
    let since = 0;
    for (const role of ROLES) {
      const { socket, seq } = await open(role);
      live.set(role, socket);
      since = seq;
    }
    await ok(member, 'PATCH', `/api/posts/${memberPost}`, { title: 'Ride to the library, 10:00' });
    await ok(nonMember, 'PATCH', `/api/posts/${nonMemberNeed}`, { title: 'Soup, please, for two' });
    // Private events too: a match of the member's, accepted (both places revealed to both parties), and a message.
    const match = await acceptedByMember();
    await ok(helper, 'POST', `/api/matches/${match}/messages`, { body: 'See you at ten' });
    // Last, an event every socket sees: once it has arrived, everything before it has too.
    await ok(member, 'PATCH', `/api/posts/${memberPost}`, { title: 'Ride to the library, 10:30' });
    await ctx.app.live.wake();
    // And the same events replayed to a socket resuming from before them.
    const replay = new Map<Role, TestSocket>();
    for (const role of ROLES) {
      replay.set(role, (await open(role, since)).socket);
    }

    const posts = [
      { name: "member's post", id: memberPost, at: X_M, exactFor: ['member', 'organizer', 'admin'] as readonly Role[] },
      { name: "non-member's post", id: nonMemberNeed, at: X_N, exactFor: [] as readonly Role[] },
    ];
    const want: Record<string, string> = {};
    const got: Record<string, string> = {};
    const problems: string[] = [];
    const sockets2 = ROLES.flatMap((role) => [{ role, how: 'live', s: live.get(role)! }, { role, how: 'replayed', s: replay.get(role)! }]);
    await Promise.all(
      sockets2.map(async ({ role, how, s }) => {
        // Frames may have come before `subscribed` (a replay) or after: look at them all.
        const arrived = (pred: (f: Frame) => boolean) => s.frames.find(pred) ?? s.waitFor(pred, 5000).catch(() => null);
        await arrived((f) => f.type === 'post.updated' && f.post?.id === memberPost && f.post?.title === 'Ride to the library, 10:30');
        for (const post of posts) {
          const cell = `${role}, ${how}: ${post.name}`;
          want[cell] = post.exactFor.includes(role) ? 'exact' : 'public';
          const frame = s.frames.find((f) => f.type === 'post.updated' && f.post?.id === post.id);
          if (!frame) {
            got[cell] = 'nothing';
          } else {
            const p = frame.post as { location: LatLng; locationPrecisionM: number };
            const exact = p.location.lat === post.at.lat && p.location.lng === post.at.lng && p.locationPrecisionM === 0;
            const publicForm = p.locationPrecisionM > 0 && secretsIn(JSON.stringify(p)).length === 0;
            got[cell] = exact ? 'exact' : publicForm ? 'public' : `inconsistent: ${JSON.stringify(p)}`;
          }
        }
        const cell = `${role}, ${how}: private events`;
        want[cell] = role === 'member' ? 'match.suggested match.proposed match.accepted message.created' : 'none';
        const mine = s.frames.filter((f) => /^(match|message)\./.test(String(f.type)) && (f.match?.id === match || f.matchId === match));
        got[cell] = mine.length === 0 ? 'none' : mine.map((f) => String(f.type)).join(' ');
        for (const f of s.frames) {
          for (const secret of secretsIn(JSON.stringify(f))) {
            if (!ENTITLED[secret].includes(role)) {
              problems.push(`${role}, ${how}: LEAK of the exact place of ${SECRET_NAMES[secret]} in a ${String(f.type)} frame`);
            }
          }
        }
      }),
    );
    expect({ forms: got, problems }).toEqual({ forms: want, problems: [] });
  });
});
