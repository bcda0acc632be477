// Notifications: each change that concerns a person is kept for their inbox
// (never told to the one who made it), with its delivery jobs; read state,
// paging, choices per kind and channel; alerts of new needs near a place,
// decided on public points.
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { destinationPoint, distanceM } from '../../server/geo/geo';
import { postBody, publicPointOf, runFollowUps, signup, type TestUser, useTestApp } from '../helper';
import { TestSocket } from '../live-client';

const ctx = useTestApp();
const HOME = { lat: 40.678213, lng: -73.944187 };
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

let needer: TestUser;
let helper: TestUser;

beforeAll(async () => {
  needer = await signup(ctx.app, 'Nell');
  helper = await signup(ctx.app, 'Hugo');
});

async function call(user: TestUser | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, payload: payload as never });
}

async function create(user: TestUser, overrides: Record<string, unknown>) {
  ctx.clock.advance(1000);
  const res = await call(user, 'POST', '/api/posts', postBody({ windows: [THU], location: HOME, ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  await runFollowUps(ctx.app); // a new need's alerts, told after the reply
  return res.json().post as { id: string; title: string };
}

interface Inbox {
  items: { id: string; kind: string; postId: string | null; matchId: string | null; data: { title?: string; actorName?: string; text?: string }; readAt: string | null }[];
  unread: number;
  next: string | null;
}

async function inbox(user: TestUser, query = ''): Promise<Inbox> {
  const res = await call(user, 'GET', `/api/me/notifications${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function jobsOf(kind: string): Promise<{ key: string | null; payload: Record<string, unknown> }[]> {
  return rowsOf(await ctx.database.db.execute(sql`SELECT key, payload FROM jobs WHERE kind = ${kind} ORDER BY id`));
}

describe('the inbox', () => {
  it('tells the other party of a proposal, a message and an answer; never the one who acted', async () => {
    const need = await create(needer, { kind: 'need', title: 'Soup for two', radiusM: 2000, capacity: 1 });
    const offer = await create(helper, { kind: 'offer', title: 'Lentil soup' });
    const before = (await inbox(needer)).unread;
    const proposed = await call(helper, 'POST', '/api/matches', { needId: need.id, offerId: offer.id, message: 'I can bring it at six' });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const matchId = proposed.json().match.id as string;

    const mine = await inbox(needer);
    expect(mine.unread).toBe(before + 2);
    const [message, proposal] = mine.items;
    expect(proposal).toMatchObject({ kind: 'match.proposed', postId: need.id, matchId, data: { title: 'Soup for two', actorName: 'Hugo' }, readAt: null });
    expect(message).toMatchObject({ kind: 'message.created', matchId, data: { title: 'Soup for two', actorName: 'Hugo', text: 'I can bring it at six' } });
    // The helper made both: nothing in their inbox about them.
    expect((await inbox(helper)).items.filter((n) => n.matchId === matchId)).toEqual([]);

    ctx.clock.advance(1000);
    expect((await call(needer, 'POST', `/api/matches/${matchId}/accept`)).statusCode).toBe(200);
    const theirs = (await inbox(helper)).items.filter((n) => n.matchId === matchId);
    expect(theirs.map((n) => n.kind)).toEqual(['match.accepted']);
    expect(theirs[0]!.data).toMatchObject({ title: 'Soup for two', actorName: 'Nell' });
    expect((await inbox(needer)).items.filter((n) => n.kind === 'match.accepted')).toEqual([]);
  });

  it('marks read by id (only one’s own) or all; pages with a cursor; refuses a made-up cursor', async () => {
    const reader = await signup(ctx.app, 'Rita');
    const other = await signup(ctx.app, 'Otto');
    const need = await create(reader, { kind: 'need', title: 'Ride to the clinic', category: 'ride', details: { destination: { lat: 40.69, lng: -73.95 } }, capacity: 1 });
    const offer = await create(other, { kind: 'offer', title: 'Car on Thursdays', category: 'ride', details: {}, capacity: 3 });
    const m = await call(other, 'POST', '/api/matches', { needId: need.id, offerId: offer.id });
    expect(m.statusCode, m.body).toBe(201);
    for (let i = 0; i < 4; i++) {
      ctx.clock.advance(1000);
      expect((await call(other, 'POST', `/api/matches/${m.json().match.id}/messages`, { body: `Note ${i}` })).statusCode).toBe(201);
    }
    const all = await inbox(reader);
    expect(all.unread).toBe(5);
    expect(all.items.map((n) => n.data.text ?? n.kind)).toEqual(['Note 3', 'Note 2', 'Note 1', 'Note 0', 'match.proposed']);

    const first = await inbox(reader, '?limit=2');
    expect(first.items.map((n) => n.data.text)).toEqual(['Note 3', 'Note 2']);
    const second = await inbox(reader, `?limit=2&before=${encodeURIComponent(first.next!)}`);
    expect(second.items.map((n) => n.data.text)).toEqual(['Note 1', 'Note 0']);
    const third = await inbox(reader, `?limit=2&before=${encodeURIComponent(second.next!)}`);
    expect(third.items.map((n) => n.kind)).toEqual(['match.proposed']);
    expect(third.next).toBeNull();
    const bad = await call(reader, 'GET', '/api/me/notifications?before=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    // Someone else's ids change nothing of theirs.
    const othersId = (await inbox(needer)).items[0]!.id;
    const read = await call(reader, 'POST', '/api/me/notifications/read', { ids: [all.items[0]!.id, othersId] });
    expect(read.json()).toEqual({ unread: 4 });
    expect((await inbox(needer)).items[0]!.readAt).toBeNull();
    expect((await inbox(reader, '?unread=true')).items).toHaveLength(4);
    expect((await call(reader, 'POST', '/api/me/notifications/read', { all: true })).json()).toEqual({ unread: 0 });
    expect((await call(reader, 'POST', '/api/me/notifications/read', {})).statusCode).toBe(400);
    expect((await call(null, 'GET', '/api/me/notifications')).statusCode).toBe(401);
  });
});

describe('channels and choices', () => {
  it('mails only a verified address, one waiting mail job a person however many notifications; choices turn kinds off', async () => {
    const nora = await signup(ctx.app, 'Nora');
    const pat = await signup(ctx.app, 'Pat');
    const need = await create(nora, { kind: 'need', title: 'Groceries', category: 'grocery', details: {}, capacity: 1 });
    const offer = await create(pat, { kind: 'offer', title: 'Shopping run', category: 'grocery', details: {}, capacity: 1 });
    const m = await call(pat, 'POST', '/api/matches', { needId: need.id, offerId: offer.id });
    // Not verified yet: in the inbox, not due by mail.
    const due = async () =>
      rowsOf<{ kind: string; email: string | null }>(await ctx.database.db.execute(sql`SELECT kind, email FROM notifications WHERE user_id = ${nora.id} ORDER BY created_at, id`));
    expect(await due()).toEqual([{ kind: 'match.proposed', email: null }]);
    expect((await jobsOf('email')).filter((j) => j.key === `email:${nora.id}`)).toEqual([]);

    await ctx.database.db.execute(sql`UPDATE users SET email_verified_at = now() WHERE id = ${nora.id}`);
    const prefs = await call(nora, 'PUT', '/api/me/notification-preferences', { changes: [{ kind: 'message.created', channel: 'email', enabled: false }] });
    expect(prefs.statusCode, prefs.body).toBe(200);
    expect(prefs.json().emailVerified).toBe(true);
    expect(prefs.json().kinds.find((k: { kind: string }) => k.kind === 'message.created')).toEqual({ kind: 'message.created', email: false, push: true });
    expect(prefs.json().kinds.find((k: { kind: string }) => k.kind === 'match.completed')).toEqual({ kind: 'match.completed', email: false, push: false });

    ctx.clock.advance(1000);
    await call(pat, 'POST', `/api/matches/${m.json().match.id}/messages`, { body: 'On my way' });
    ctx.clock.advance(1000);
    await call(pat, 'POST', `/api/matches/${m.json().match.id}/cancel`);
    expect(await due()).toEqual([
      { kind: 'match.proposed', email: null },
      { kind: 'message.created', email: null },
      { kind: 'match.cancelled', email: 'due' },
    ]);
    expect((await jobsOf('email')).filter((j) => j.key === `email:${nora.id}`)).toEqual([{ key: `email:${nora.id}`, payload: { userId: nora.id } }]);
    // A change for an unknown kind or channel is a 400 the person can read.
    const bad = await call(nora, 'PUT', '/api/me/notification-preferences', { changes: [{ kind: 'everything', channel: 'email', enabled: false }] });
    expect(bad.statusCode).toBe(400);
  });
});

describe('alerts', () => {
  it('tell a helper of new needs of their categories within the radius of the public point, at most so many a day', async () => {
    const watcher = await signup(ctx.app, 'Wanda');
    const poster = await signup(ctx.app, 'Paul');
    const blocked = await signup(ctx.app, 'Bert');
    const center = destinationPoint(HOME, 90, 3000);
    const made = await call(watcher, 'POST', '/api/me/alerts', { center, radiusM: 1500, categories: ['meal', 'grocery'], dailyMax: 2 });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().alert).toMatchObject({ radiusM: 1500, categories: ['meal', 'grocery'], dailyMax: 2 });
    expect((await call(watcher, 'GET', '/api/me/alerts')).json().items).toHaveLength(1);
    expect((await call(watcher, 'POST', `/api/blocks`, { userId: blocked.id })).statusCode).toBe(201);

    const nearby = async () => (await inbox(watcher)).items.filter((n) => n.kind === 'need_nearby').map((n) => n.data.title);
    const near = destinationPoint(center, 0, 300);
    // An open page hears that its inbox changed (no other event tells of a need near an alert).
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = await TestSocket.open(`ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`, { cookie: watcher.cookie });
    await create(poster, { kind: 'need', title: 'Dinner nearby', location: near, category: 'meal', capacity: 1 });
    expect((await socket.next('inbox')).type).toBe('inbox');
    socket.ws.close();
    await create(poster, { kind: 'need', title: 'Ride nearby', location: near, category: 'ride', details: { destination: HOME }, capacity: 1 });
    await create(poster, { kind: 'offer', title: 'Offer nearby', location: near, category: 'meal' });
    await create(poster, { kind: 'need', title: 'Dinner far away', location: destinationPoint(center, 0, 5000), category: 'meal', capacity: 1 });
    await create(blocked, { kind: 'need', title: 'From someone blocked', location: near, category: 'meal', capacity: 1 });
    await create(watcher, { kind: 'need', title: 'My own', location: near, category: 'meal', capacity: 1 });
    expect(await nearby()).toEqual(['Dinner nearby']);

    // Decided on the public point: a need whose true place is inside the radius but whose public point is not tells nobody,
    // and the other way round.
    let inside: { lat: number; lng: number } | null = null;
    let outside: { lat: number; lng: number } | null = null;
    for (let i = 0; i < 400 && (!inside || !outside); i++) {
      const p = destinationPoint(center, (i * 37) % 360, 1300 + (i % 40) * 10);
      const shown = await publicPointOf(ctx.database, poster.id, p);
      const [trueIn, shownIn] = [distanceM(center, p) <= 1500, distanceM(center, shown) <= 1500 - 5];
      if (trueIn && !(distanceM(center, shown) <= 1500 + 5)) {
        inside ??= p;
      } else if (!trueIn && shownIn) {
        outside ??= p;
      }
    }
    expect(inside && outside).toBeTruthy();
    await create(poster, { kind: 'need', title: 'True place inside', location: inside!, category: 'grocery', details: {}, capacity: 1 });
    await create(poster, { kind: 'need', title: 'Public point inside', location: outside!, category: 'grocery', details: {}, capacity: 1 });
    expect(await nearby()).toEqual(['Public point inside', 'Dinner nearby']);

    // Two a day: the third need of the day tells nothing; the next day it does again.
    await create(poster, { kind: 'need', title: 'Third today', location: near, category: 'meal', capacity: 1 });
    expect(await nearby()).toHaveLength(2);
    ctx.clock.advance(86_400_000);
    await create(poster, { kind: 'need', title: 'Next day', location: near, category: 'meal', capacity: 1 });
    expect((await nearby())[0]).toBe('Next day');
  });

  it('are private, limited in number, and refuse a bad place or radius with a clear 400', async () => {
    const owner = await signup(ctx.app, 'Olga');
    const other = await signup(ctx.app, 'Ivan');
    const body = { center: HOME, radiusM: 1000, categories: ['meal'] };
    const first = await call(owner, 'POST', '/api/me/alerts', body);
    expect(first.json().alert.dailyMax).toBe(5);
    expect((await call(other, 'GET', '/api/me/alerts')).json().items).toEqual([]);
    expect((await call(other, 'DELETE', `/api/me/alerts/${first.json().alert.id}`)).statusCode).toBe(404);
    for (let i = 1; i < 10; i++) {
      expect((await call(owner, 'POST', '/api/me/alerts', body)).statusCode).toBe(201);
    }
    const eleventh = await call(owner, 'POST', '/api/me/alerts', body);
    expect(eleventh.statusCode).toBe(409);
    expect(eleventh.json().detail).toMatch(/Delete one/);
    expect((await call(owner, 'DELETE', `/api/me/alerts/${first.json().alert.id}`)).statusCode).toBe(204);
    for (const bad of [
      { ...body, center: { lat: 91, lng: 0 } },
      { ...body, radiusM: 10 },
      { ...body, categories: [] },
      { ...body, categories: ['meal', 'meal'] },
      { ...body, dailyMax: 0 },
    ]) {
      const res = await call(owner, 'POST', '/api/me/alerts', bad);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call(null, 'POST', '/api/me/alerts', body)).statusCode).toBe(401);
  });
});
