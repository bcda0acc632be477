// Authority is earned (issue 12): organizer powers cover active members
// only, and a block either way takes a member out of an organizer's tools;
// reporters are known to platform moderators alone, and nobody sees reports
// about themselves; platform moderators (granted from the command line)
// hide any post, read every report, suspend accounts platform-wide, and every
// such act is in the moderation log; starting communities is limited.
import { sql } from 'drizzle-orm';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rowsOf } from '../../db';
import { COMMUNITY_CREATE_LIMIT } from '../../server/communities/service';
import { runAdmin } from '../../server/moderation/cli';
import { grantModerator } from '../../server/moderation/service';
import { buildTestApp, cloneTestDatabase, openTestDatabase, postBody, signup, type TestContext } from '../helper';
import { TestSocket } from '../live-client';
import { MAX_BOUNDARY_POSITIONS } from '../../server/contract/communities';

type User = { cookie: string; id: string; email: string };
type LatLng = { lat: number; lng: number };
const PASSWORD = 'correct horse battery'; // what test/helper's signup uses
const run = promisify(execFile);

let ctx: TestContext;
/** This file's database URL on PostgreSQL (the CLI, run as a process, opens it); null on the embedded one. */
let databaseUrl: string | null = null;

async function call(user: User | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload !== undefined ? { payload: payload as never } : {}) });
}

async function ok<T = Record<string, unknown>>(user: User, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<T> {
  const res = await call(user, method, url, payload);
  if (res.statusCode >= 300) {
    throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  }
  return (res.body ? res.json() : null) as T;
}

const square = (q: LatLng, d: number) => ({ type: 'Polygon', coordinates: [[[q.lng - d, q.lat - d], [q.lng + d, q.lat - d], [q.lng + d, q.lat + d], [q.lng - d, q.lat + d], [q.lng - d, q.lat - d]]] });

async function community(admin: User, boundary: unknown): Promise<string> {
  return (await ok<{ community: { id: string } }>(admin, 'POST', '/api/communities', { name: 'Block association', slug: `a-${Math.random().toString(36).slice(2, 10)}`, boundary, timezone: 'America/New_York', joinPolicy: 'open' })).community.id;
}

async function post(user: User, overrides: Record<string, unknown>): Promise<string> {
  return (await ok<{ post: { id: string } }>(user, 'POST', '/api/posts', postBody(overrides))).post.id;
}

/** Everything an organizer's row-level tools say about the community, as text (JSON, CSV, GeoJSON). */
async function organizerViews(organizer: User, id: string) {
  const now = ctx.clock.now();
  const to = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  const views = {
    triage: await call(organizer, 'GET', `/api/communities/${id}/triage`),
    csv: await call(organizer, 'GET', `/api/communities/${id}/export.csv`),
    geojson: await call(organizer, 'GET', `/api/communities/${id}/export.geojson`),
    flags: await call(organizer, 'GET', `/api/communities/${id}/flags`),
    roster: await call(organizer, 'GET', `/api/communities/${id}/roster`),
    plan: await call(organizer, 'POST', `/api/communities/${id}/assignments/plan`, { from: now.toISOString(), to }),
  };
  for (const [name, res] of Object.entries(views)) {
    expect(res.statusCode, `${name}: ${res.body}`).toBe(200);
  }
  return views;
}

/** Which of the ids (posts, people) any of the organizer's row-level tools names. */
async function namedIn(organizer: User, id: string, ids: string[]): Promise<string[]> {
  const views = await organizerViews(organizer, id);
  const text = Object.values(views).map((r) => r.body).join('\n');
  return ids.filter((x) => text.includes(x));
}

async function coverageCounts(organizer: User, id: string): Promise<{ needs: number; offers: number }> {
  const now = ctx.clock.now();
  const res = await call(organizer, 'GET', `/api/communities/${id}/coverage?${new URLSearchParams({ from: now.toISOString(), to: new Date(now.getTime() + 7 * 86_400_000).toISOString() })}`);
  expect(res.statusCode, res.body).toBe(200);
  const cells = res.json().cells as { needs: number; offers: number }[];
  return { needs: cells.reduce((s, c) => s + c.needs, 0), offers: cells.reduce((s, c) => s + c.offers, 0) };
}

async function logEntries(): Promise<{ actor_id: string | null; action: string; subject_id: string; after: unknown }[]> {
  return rowsOf(await ctx.database.db.execute(sql`SELECT actor_id, action, subject_id, after FROM moderation_log ORDER BY id`));
}

beforeAll(async () => {
  databaseUrl = await cloneTestDatabase();
  const database: Database = databaseUrl ? await openDatabase({ databaseUrl, max: 5 }) : await openTestDatabase();
  ctx = await buildTestApp({ database });
});
afterAll(async () => {
  await ctx?.app.close();
});

describe('organizer powers cover active members only', () => {
  it('a community drawn over a non-member: 403 on hide, no row in exports, triage, reports, roster or plans; counted in coverage at its public point only', async () => {
    const [victim, drawer, reporter, joiner] = await Promise.all(['Victim', 'Drawer', 'Reporter', 'Joiner'].map((n) => signup(ctx.app, n)));
    const at = { lat: 40.7301, lng: -73.9512 };
    const need = await post(victim!, { kind: 'need', capacity: 1, title: 'Groceries for my mother', location: at });
    const offer = await post(victim!, { kind: 'offer', title: 'Spare soup', location: { lat: at.lat + 0.001, lng: at.lng } });
    const shown = (await ok<{ post: { location: LatLng } }>(drawer!, 'GET', `/api/posts/${need}`)).post.location;
    // Around both the true place and the public point (a few hundred metres off): whichever counted, the post is inside.
    const id = await community(drawer!, square(at, 0.01));
    const mine = await post(joiner!, { kind: 'offer', title: 'Member soup', location: { lat: at.lat - 0.001, lng: at.lng } });
    await ok(joiner!, 'POST', `/api/communities/${id}/join`);
    await ok(reporter!, 'POST', '/api/flags', { postId: need, reason: 'Looks odd' });
    await ok(reporter!, 'POST', '/api/flags', { userId: victim!.id, reason: 'Rude' });

    expect(await namedIn(drawer!, id, [need, offer, victim!.id])).toEqual([]);
    // The member's post is there (the tools work), the non-member's are not.
    expect(await namedIn(drawer!, id, [mine])).toEqual([mine]);
    for (const action of ['hide', 'unhide'] as const) {
      const res = await call(drawer!, 'POST', `/api/posts/${need}/${action}`, action === 'hide' ? { reason: 'Mine now' } : undefined);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await ok<{ post: { status: string } }>(victim!, 'GET', `/api/posts/${need}`)).post.status).toBe('open');
    // A plan may not propose for them either.
    const applied = await ok<{ created: unknown[]; skipped: { reason: string }[] }>(drawer!, 'POST', `/api/communities/${id}/assignments/apply`, { pairs: [{ needId: need, offerId: mine }] });
    expect(applied.created).toEqual([]);
    // Coverage counts the non-member's posts (aggregates, from public points): the need and both offers.
    expect(await coverageCounts(drawer!, id)).toEqual({ needs: 1, offers: 2 });
    // A tiny community around the true place (the public point outside it) counts nothing of theirs.
    const tiny = await community(drawer!, square(at, 0.0003));
    expect(await namedIn(drawer!, tiny, [need, offer, victim!.id])).toEqual([]);
    expect((await coverageCounts(drawer!, tiny)).needs).toBe(0);
    expect(shown).not.toEqual(at);

    // Once the victim joins, the community's organizers act on their posts: each in the smallest community
    // holding its true place, so the need (inside the tiny one too) only once they join that one as well.
    await ok(victim!, 'POST', `/api/communities/${id}/join`);
    expect(await namedIn(drawer!, id, [need, offer])).toEqual([offer]);
    await ok(victim!, 'POST', `/api/communities/${tiny}/join`);
    expect(await namedIn(drawer!, tiny, [need, offer])).toEqual([need]);
  });

  it('a block either way takes the member and their posts out of every tool of that organizer, counts too; other organizers keep them', async () => {
    const [admin, other, blocker, blocked, reporter] = await Promise.all(['Admin', 'Other organizer', 'Blocker', 'Blocked', 'Reporter'].map((n) => signup(ctx.app, n)));
    const at = { lat: 40.6501, lng: -73.9496 }; // Flatbush
    const id = await community(admin!, square(at, 0.01));
    for (const u of [other!, blocker!, blocked!]) {
      await ok(u, 'POST', `/api/communities/${id}/join`);
    }
    await ok(admin!, 'PUT', `/api/communities/${id}/members/${other!.id}`, { role: 'organizer' });
    const posts: Record<string, string[]> = { blocker: [], blocked: [] };
    for (const [name, u] of [['blocker', blocker!], ['blocked', blocked!]] as const) {
      posts[name]!.push(await post(u, { kind: 'need', capacity: 1, title: `Need of ${name}`, location: at }));
      posts[name]!.push(await post(u, { kind: 'offer', title: `Offer of ${name}`, location: { lat: at.lat + 0.001, lng: at.lng } }));
      await ok(reporter!, 'POST', '/api/flags', { postId: posts[name]![0], reason: 'Suspicious' });
      await ok(reporter!, 'POST', '/api/flags', { userId: u.id, reason: 'Rude' });
    }
    const everything = [...posts.blocker!, ...posts.blocked!, blocker!.id, blocked!.id];
    expect((await namedIn(admin!, id, everything)).sort()).toEqual([...everything].sort());
    expect(await coverageCounts(admin!, id)).toEqual({ needs: 2, offers: 2 });
    // A third member's need, which both members' offers could serve: triage counts them.
    const third = await signup(ctx.app, 'Third');
    await ok(third, 'POST', `/api/communities/${id}/join`);
    const thirdNeed = await post(third, { kind: 'need', capacity: 1, title: 'Need of a third', location: at, details: {} });
    const countFor = async (organizer: User) =>
      (await ok<{ items: { needId: string; candidates: number }[] }>(organizer, 'GET', `/api/communities/${id}/triage`)).items.find((n) => n.needId === thirdNeed)!.candidates;
    expect(await countFor(admin!)).toBe(2);

    // The member blocks the admin; the admin blocks the other member.
    await ok(blocker!, 'POST', '/api/blocks', { userId: admin!.id });
    await ok(admin!, 'POST', '/api/blocks', { userId: blocked!.id });
    expect(await namedIn(admin!, id, everything)).toEqual([]);
    expect(await coverageCounts(admin!, id)).toEqual({ needs: 1, offers: 0 }); // the third member's need
    // Triage counts leave out the offers of people blocked with this organizer, either way; not for the other one.
    expect(await countFor(admin!)).toBe(0);
    expect(await countFor(other!)).toBe(2);
    for (const p of [posts.blocker![0]!, posts.blocked![0]!]) {
      expect((await call(admin!, 'POST', `/api/posts/${p}/hide`, { reason: 'No' })).statusCode).toBe(403);
    }
    const applied = await ok<{ created: unknown[] }>(admin!, 'POST', `/api/communities/${id}/assignments/apply`, { pairs: [{ needId: posts.blocker![0], offerId: posts.blocked![1] }] });
    expect(applied.created).toEqual([]);
    // The other organizer, not blocked, still has them all.
    expect((await namedIn(other!, id, everything)).sort()).toEqual([...everything].sort());
  });
});

describe('reporters stay anonymous to everyone but platform moderators', () => {
  it("organizers see a report, its reason and its subject, never who filed it (JSON, CSV, GeoJSON); nobody sees reports about themselves; moderators see the reporter", async () => {
    const [admin, organizer, member, reporter, mod] = await Promise.all(['Admin', 'Organizer', 'Member', 'Whistle Blower', 'Mod'].map((n) => signup(ctx.app, n)));
    const at = { lat: 40.6895, lng: -73.9712 }; // Fort Greene
    const id = await community(admin!, square(at, 0.01));
    for (const u of [organizer!, member!, reporter!]) {
      await ok(u, 'POST', `/api/communities/${id}/join`);
    }
    await ok(admin!, 'PUT', `/api/communities/${id}/members/${organizer!.id}`, { role: 'organizer' });
    const memberPost = await post(member!, { kind: 'need', capacity: 1, title: 'Help moving', location: at });
    const organizerPost = await post(organizer!, { kind: 'offer', title: 'Organizer soup', location: at });
    await ok(reporter!, 'POST', '/api/flags', { postId: memberPost, reason: 'Asks for money' });
    await ok(reporter!, 'POST', '/api/flags', { userId: member!.id, reason: 'Rude in messages' });
    await ok(reporter!, 'POST', '/api/flags', { postId: organizerPost, reason: 'Spoiled soup' });
    await ok(reporter!, 'POST', '/api/flags', { userId: organizer!.id, reason: 'Bossy' });

    const reporterTraces = [reporter!.id, 'Whistle Blower', reporter!.email];
    for (const viewer of [admin!, organizer!]) {
      const views = await organizerViews(viewer, id);
      for (const [name, res] of Object.entries(views)) {
        for (const trace of reporterTraces) {
          expect(res.body, `${name} names the reporter`).not.toContain(trace);
        }
      }
      const flags = views.flags.json().items as { reason: string; reporter?: unknown; post?: { id: string }; user?: { id: string } }[];
      expect(flags.every((f) => f.reporter === undefined)).toBe(true);
      const reasons = flags.map((f) => f.reason).sort();
      // The organizer never sees the reports about themselves or their own post; the admin sees all four.
      expect(reasons).toEqual(viewer === admin ? ['Asks for money', 'Bossy', 'Rude in messages', 'Spoiled soup'] : ['Asks for money', 'Rude in messages']);
    }
    // The member sees no report at all (not an organizer), least of all about themselves.
    expect((await call(member!, 'GET', `/api/communities/${id}/flags`)).statusCode).toBe(403);

    await grantModerator(ctx.database.db, mod!.email, ctx.clock.now());
    const seen = await ok<{ items: { reason: string; reporter: { id: string; displayName: string }; post?: { id: string; location: LatLng } }[] }>(mod!, 'GET', '/api/moderation/flags?limit=200');
    const aboutMember = seen.items.find((f) => f.post?.id === memberPost)!;
    expect(aboutMember.reporter).toEqual({ id: reporter!.id, displayName: 'Whistle Blower' });
    expect(aboutMember.post!.location).toEqual(at); // moderators may act on any post: its exact place
  });
});

describe('platform moderators', () => {
  it('are granted, listed and revoked from the command line (its function, and once as a process); an unknown address is a clear exit 1', async () => {
    const [alice, bob] = [await signup(ctx.app, 'Alice'), await signup(ctx.app, 'Bob')];
    const now = ctx.clock.now();
    expect(await runAdmin(ctx.database.db, ['grant-moderator', alice.email.toUpperCase()], now)).toEqual({ code: 0, out: [`${alice.email.toUpperCase()} is now a platform moderator.`], err: [] });
    expect((await runAdmin(ctx.database.db, ['grant-moderator', alice.email], now)).out).toEqual([`${alice.email} was a platform moderator already.`]);
    expect((await call(alice, 'GET', '/api/moderation/audit')).statusCode).toBe(200);
    expect((await call(bob, 'GET', '/api/moderation/audit')).statusCode).toBe(403);
    const listed = await runAdmin(ctx.database.db, ['list-moderators'], now);
    expect(listed.code).toBe(0);
    expect(listed.out.some((l) => l.startsWith(`${alice.email}\tAlice\tsince `))).toBe(true);
    expect(await runAdmin(ctx.database.db, ['grant-moderator', 'nobody@example.org'], now)).toEqual({ code: 1, out: [], err: ['No account has the e-mail address nobody@example.org.'] });
    expect((await runAdmin(ctx.database.db, ['grant-moderator'], now)).code).toBe(2);
    expect((await runAdmin(ctx.database.db, ['make-me-king', alice.email], now)).code).toBe(2);
    expect((await runAdmin(ctx.database.db, ['revoke-moderator', alice.email], now)).out).toEqual([`${alice.email} is no longer a platform moderator.`]);
    // Revoking takes effect on the next request.
    expect((await call(alice, 'GET', '/api/moderation/audit')).statusCode).toBe(403);
    const log = (await logEntries()).filter((e) => e.subject_id === alice.id);
    expect(log.map((e) => [e.actor_id, e.action])).toEqual([
      [null, 'moderator.grant'],
      [null, 'moderator.revoke'],
    ]);

    if (databaseUrl) {
      // As an operator runs it: `npm run admin -- grant-moderator EMAIL` is this command.
      const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'server/moderation/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: databaseUrl!, LOG_LEVEL: 'silent' } });
      const granted = await cli(['grant-moderator', bob.email]);
      expect(granted.stdout.trim()).toBe(`${bob.email} is now a platform moderator.`);
      expect((await call(bob, 'GET', '/api/moderation/audit')).statusCode).toBe(200);
      await expect(cli(['revoke-moderator', 'nobody@example.org'])).rejects.toMatchObject({ code: 1, stderr: 'No account has the e-mail address nobody@example.org.\n' });
    } else {
      // The embedded database: the command opens DATA_DIR's as the server does (a fresh one here, migrated on open).
      const dir = mkdtempSync(join(tmpdir(), 'aidmap-admin-'));
      try {
        const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'server/moderation/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: '', DATA_DIR: dir } });
        await expect(cli(['grant-moderator', 'nobody@example.org'])).rejects.toMatchObject({ code: 1, stderr: 'No account has the e-mail address nobody@example.org.\n' });
        expect((await cli(['list-moderators'])).stdout.trim()).toBe('No platform moderators.');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 180_000);

  it("hide and bring back anyone's post (no community needed), read every report paged; each act is in the moderation log, which only moderators read", async () => {
    const [mod, author, reporter, plain] = await Promise.all(['Mod', 'Author', 'Reporter', 'Plain'].map((n) => signup(ctx.app, n)));
    await grantModerator(ctx.database.db, mod!.email, ctx.clock.now());
    const at = { lat: 40.58, lng: -73.96 }; // Coney Island: in no community
    const p = await post(author!, { kind: 'need', capacity: 1, title: 'Need a ride', location: at });
    await ok(reporter!, 'POST', '/api/flags', { postId: p, reason: 'Scam' });
    await ok(reporter!, 'POST', '/api/flags', { userId: author!.id, reason: 'Spam' });

    expect((await call(plain!, 'POST', `/api/posts/${p}/hide`, { reason: 'No' })).statusCode).toBe(403);
    const hidden = await ok<{ post: { status: string; location: LatLng } }>(mod!, 'POST', `/api/posts/${p}/hide`, { reason: 'Scam, reported' });
    expect(hidden.post).toMatchObject({ status: 'hidden', location: at });
    expect((await call(null, 'GET', `/api/posts/${p}`)).statusCode).toBe(404);
    expect((await ok<{ post: { status: string } }>(mod!, 'POST', `/api/posts/${p}/unhide`)).post.status).toBe('open');

    // Paged, newest first.
    const first = await ok<{ items: { id: string; reason: string }[]; nextCursor: string | null }>(mod!, 'GET', '/api/moderation/flags?limit=1');
    expect(first.items.map((f) => f.reason)).toEqual(['Spam']);
    const second = await ok<{ items: { id: string; reason: string; user?: unknown }[]; nextCursor: string | null }>(mod!, 'GET', `/api/moderation/flags?limit=1&before=${first.nextCursor}`);
    expect(second.items.map((f) => f.reason)).toEqual(['Scam']);

    for (const [u, status] of [[plain!, 403], [null, 401]] as const) {
      for (const url of ['/api/moderation/flags', '/api/moderation/audit']) {
        const res = await call(u, 'GET', url);
        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
    const audit = await ok<{ items: { actor: { id: string } | null; action: string; subjectId: string; after: Record<string, unknown> }[] }>(mod!, 'GET', '/api/moderation/audit?limit=200');
    const mine = audit.items.filter((e) => e.subjectId === p);
    expect(mine.map((e) => [e.actor?.id, e.action])).toEqual([
      [mod!.id, 'post.unhide'],
      [mod!.id, 'post.hide'],
    ]);
    expect(mine[1]!.after).toEqual({ status: 'hidden', reason: 'Scam, reported' });
  });

  it('suspend accounts platform-wide: sessions end (sockets too), sign-in is a clear 403, open posts leave listings; lifting it brings all back; both are logged', async () => {
    const [mod, troll, neighbor] = await Promise.all(['Mod', 'Troll', 'Neighbor'].map((n) => signup(ctx.app, n)));
    await grantModerator(ctx.database.db, mod!.email, ctx.clock.now());
    const at = { lat: 40.6, lng: -73.99 }; // Bensonhurst
    const p = await post(troll!, { kind: 'offer', title: 'Free stuff', location: at });
    const listed = async () => ((await ok<{ items: { id: string }[] }>(neighbor!, 'GET', `/api/posts?bbox=${[at.lng - 0.02, at.lat - 0.02, at.lng + 0.02, at.lat + 0.02].join(',')}&limit=1000`)).items).some((x) => x.id === p);
    expect(await listed()).toBe(true);
    if (!ctx.app.server.listening) {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const socket = await TestSocket.open(`ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`, { cookie: troll!.cookie });
    // A neighbour's map in view of the post.
    const map = await TestSocket.open(`ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`, { cookie: neighbor!.cookie });
    map.send({ type: 'subscribe', bbox: [at.lng - 0.02, at.lat - 0.02, at.lng + 0.02, at.lat + 0.02] });
    await map.next('subscribed');

    expect((await call(neighbor!, 'POST', '/api/moderation/suspensions', { userId: troll!.id, reason: 'Spam' })).statusCode).toBe(403);
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: mod!.id, reason: 'Me' })).statusCode).toBe(403);
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: '00000000-0000-4000-8000-000000000000', reason: 'Nobody' })).statusCode).toBe(404);
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: troll!.id })).statusCode).toBe(400);
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: troll!.id, reason: 'Spam everywhere' })).statusCode).toBe(204);
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: troll!.id, reason: 'Again' })).statusCode).toBe(204); // harmless twice

    expect((await socket.closeEvent()).code).toBe(4001);
    // The map drops the post at once, not at its next change.
    const dropped = await map.next('post.updated');
    expect(dropped.post).toMatchObject({ id: p, status: 'hidden' });
    // A neighbour's map gets the public point, as for any post event.
    expect(dropped.post.location).not.toEqual(at);
    expect(dropped.post.locationPrecisionM).toBeGreaterThan(0);
    expect((await call(troll!, 'GET', '/api/me')).statusCode).toBe(401);
    const login = await call(null, 'POST', '/api/auth/login', { email: troll!.email, password: PASSWORD });
    expect(login.statusCode).toBe(403);
    expect(login.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(login.json().detail).toMatch(/suspended/);
    expect(login.headers['set-cookie']).toBeUndefined();
    // A wrong password learns nothing of the suspension.
    expect((await call(null, 'POST', '/api/auth/login', { email: troll!.email, password: 'not it at all' })).statusCode).toBe(401);
    expect(await listed()).toBe(false);
    // Nor is it found by id (but by moderators, exactly), a candidate, or a similar post.
    expect((await call(neighbor!, 'GET', `/api/posts/${p}`)).statusCode).toBe(404);
    expect((await call(null, 'GET', `/api/posts/${p}`)).statusCode).toBe(404);
    expect((await ok<{ post: { location: LatLng } }>(mod!, 'GET', `/api/posts/${p}`)).post.location).toEqual(at);
    const need = await post(neighbor!, { kind: 'need', capacity: 1, title: 'Need stuff', location: at, details: {} });
    const candidates = async () => (await ok<{ items: { post: { id: string } }[] }>(neighbor!, 'GET', `/api/posts/${need}/matches`)).items.map((c) => c.post.id);
    expect(await candidates()).not.toContain(p);
    const similar = async () =>
      (
        await ok<{ items: { post: { id: string } }[] }>(
          neighbor!,
          'GET',
          `/api/posts/similar?${new URLSearchParams({ kind: 'offer', category: 'meal', lat: String(at.lat), lng: String(at.lng), start: '2026-12-02T17:00:00-05:00', end: '2026-12-02T19:00:00-05:00' })}`,
        )
      ).items.map((c) => c.post.id);
    expect(await similar()).not.toContain(p);
    // Moderators are not suspended over HTTP (revoke from the command line first).
    const other = await signup(ctx.app, 'Other mod');
    await grantModerator(ctx.database.db, other.email, ctx.clock.now());
    expect((await call(mod!, 'POST', '/api/moderation/suspensions', { userId: other.id, reason: 'Rival' })).statusCode).toBe(403);

    expect((await call(neighbor!, 'DELETE', `/api/moderation/suspensions/${troll!.id}`)).statusCode).toBe(403);
    expect((await call(mod!, 'DELETE', `/api/moderation/suspensions/${troll!.id}`)).statusCode).toBe(204);
    const back = (await map.next('post.updated')).post;
    expect(back).toMatchObject({ id: p, status: 'open' });
    expect(back.location).not.toEqual(at);
    expect((await call(mod!, 'DELETE', `/api/moderation/suspensions/${troll!.id}`)).statusCode).toBe(204);
    expect((await call(null, 'POST', '/api/auth/login', { email: troll!.email, password: PASSWORD })).statusCode).toBe(200);
    expect(await listed()).toBe(true);
    expect((await call(neighbor!, 'GET', `/api/posts/${p}`)).statusCode).toBe(200);
    expect(await candidates()).toContain(p);
    expect(await similar()).toContain(p);

    const log = (await logEntries()).filter((e) => e.subject_id === troll!.id);
    expect(log.map((e) => [e.actor_id, e.action])).toEqual([
      [mod!.id, 'user.suspend'],
      [mod!.id, 'user.unsuspend'],
    ]);
    expect(log[0]!.after).toEqual({ suspended: true, reason: 'Spam everywhere' });
    map.ws.close();
  });
});

describe('starting communities is limited', () => {
  it(`${COMMUNITY_CREATE_LIMIT.max} a day per account, then 429 with Retry-After; refused shapes are not counted`, async () => {
    const founder = await signup(ctx.app, 'Founder');
    const at = { lat: 40.62, lng: -74.03 }; // Bay Ridge
    const body = (i: number, boundary: unknown = square({ lat: at.lat + i * 0.01, lng: at.lng }, 0.002)) => ({ name: `Area ${i}`, slug: `lim-${i}-${Math.random().toString(36).slice(2, 8)}`, boundary, timezone: 'America/New_York', joinPolicy: 'open' });
    // A bad shape first: refused before the count.
    expect((await call(founder, 'POST', '/api/communities', body(0, { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] }))).statusCode).toBe(400);
    for (let i = 1; i <= COMMUNITY_CREATE_LIMIT.max; i++) {
      expect((await call(founder, 'POST', '/api/communities', body(i))).statusCode).toBe(201);
    }
    const refused = await call(founder, 'POST', '/api/communities', body(9));
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().detail).toMatch(/You have started 3 communities/);
    expect((await ok<{ items: unknown[] }>(founder, 'GET', '/api/me/communities')).items).toHaveLength(COMMUNITY_CREATE_LIMIT.max);
    // Someone else is not held up by it, and the founder may again the next day.
    expect((await call(await signup(ctx.app, 'Other founder'), 'POST', '/api/communities', body(10))).statusCode).toBe(201);
    ctx.clock.advance(COMMUNITY_CREATE_LIMIT.windowMs);
    expect((await call(founder, 'POST', '/api/communities', body(11))).statusCode).toBe(201);
  });

  it('boundaries: at most 1,000 vertices in all rings; shapes PostGIS cannot measure (the world box, 50 copies of one ring) are a 400 naming the problem, never a 500', async () => {
    const u = await signup(ctx.app, 'Drawer');
    const create = (boundary: unknown) => call(u, 'POST', '/api/communities', { name: 'Shape', slug: `shape-${Math.random().toString(36).slice(2, 8)}`, boundary, timezone: 'America/New_York', joinPolicy: 'open' });
    // A circle of 1,001 vertices (1,000 distinct and the closing one) in one ring; and the cap spread over many rings.
    const circle = (n: number, c: LatLng, r: number) => [...Array.from({ length: n - 1 }, (_, i) => [c.lng + r * Math.cos((2 * Math.PI * i) / (n - 1)), c.lat + r * Math.sin((2 * Math.PI * i) / (n - 1))]), [c.lng + r, c.lat]];
    const big = await create({ type: 'Polygon', coordinates: [circle(MAX_BOUNDARY_POSITIONS + 1, { lat: 40.7, lng: -73.9 }, 0.01)] });
    expect(big.statusCode).toBe(400);
    expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(big.json().errors).toContainEqual(expect.objectContaining({ path: '/boundary', message: `must have at most 1000 vertices in all its rings (it has 1001); simplify the outline` }));
    const many = await create({ type: 'MultiPolygon', coordinates: Array.from({ length: 21 }, (_, i) => [circle(50, { lat: 40.5 + i * 0.03, lng: -73.9 }, 0.01)]) });
    expect(many.statusCode).toBe(400);
    expect(JSON.stringify(many.json().errors)).toContain('it has 1050');

    const world = await create({ type: 'Polygon', coordinates: [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]] });
    expect(world.statusCode, world.body).toBe(400);
    expect(world.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(world.json().errors).toContainEqual(expect.objectContaining({ path: '/boundary/coordinates/0/1', message: 'the edge from here to the next position spans 180° of the globe; edges must span at most 10° (add positions between)' }));

    const ring = square({ lat: 40.7, lng: -73.9 }, 0.002).coordinates[0];
    const copies = await create({ type: 'Polygon', coordinates: Array.from({ length: 50 }, () => ring) });
    expect(copies.statusCode, copies.body).toBe(400);
    expect(copies.json().errors).toContainEqual(expect.objectContaining({ path: '/boundary/coordinates/1', message: 'repeats the ring at /boundary/coordinates/0' }));
    // The same copies as 50 polygons of a MultiPolygon.
    const multi = await create({ type: 'MultiPolygon', coordinates: Array.from({ length: 50 }, () => [ring]) });
    expect(multi.statusCode, multi.body).toBe(400);
    // Rings that differ but overlap: PostGIS's own validity check, before any area is measured.
    const overlapping = await create({ type: 'Polygon', coordinates: [ring, square({ lat: 40.7, lng: -73.9 }, 0.001).coordinates[0], square({ lat: 40.7, lng: -73.9 }, 0.0015).coordinates[0]] });
    expect(overlapping.statusCode, overlapping.body).toBe(400);
    expect(JSON.stringify(overlapping.json().errors)).toMatch(/is not a valid area/);
    // None of them was made, nor counted against the limit: a good one still goes through.
    expect((await create(square({ lat: 40.7, lng: -73.9 }, 0.002))).statusCode).toBe(201);
  });
});
