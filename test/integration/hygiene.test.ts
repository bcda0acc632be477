// Hygiene: posts like the one being written (duplicates), blocking, stale
// posts and proposals, late cancellations.
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sweep } from '../../server/hygiene/sweep';
import { useTestApp, postBody, signup, type TestUser } from '../helper';
import { TestSocket } from '../live-client';

const ctx = useTestApp();


let listening: string | null = null;
/** The app's /ws address (listening once for the file). */
async function wsUrl(): Promise<string> {
  if (!listening) {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    listening = `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
  }
  return listening;
}

async function post(user: TestUser, body: Record<string, unknown>) {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: user.cookie }, payload: postBody(body) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post as { id: string; location: { lat: number; lng: number } };
}

describe('similar posts while writing one', () => {
  it('same kind and category, near, meeting in time; the writer’s own first; distances from public points only', async () => {
    const [me, neighbor, far] = [await signup(ctx.app, 'Me'), await signup(ctx.app, 'Neighbor'), await signup(ctx.app, 'Far')];
    const at = { lat: 40.6782, lng: -73.9442 };
    const thu = [{ start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' }];
    const fri = [{ start: '2026-12-04T17:00:00-05:00', end: '2026-12-04T19:00:00-05:00' }];
    const need = { kind: 'need', capacity: 1, windows: thu };
    const theirs = await post(neighbor, { ...need, title: 'Dinner for my mother', location: { lat: 40.679, lng: -73.945 } });
    const mine = await post(me, { ...need, title: 'Dinner, Thursday', location: { lat: 40.6785, lng: -73.9445 } });
    await post(neighbor, { ...need, title: 'Friday dinner', windows: fri, location: at }); // another day
    await post(neighbor, { title: 'Soup to share', windows: thu, location: at }); // an offer
    await post(neighbor, { ...need, category: 'grocery', title: 'Groceries', details: {}, location: at }); // another category
    await post(far, { ...need, title: 'Dinner in the Bronx', location: { lat: 40.85, lng: -73.87 } }); // far

    const q = new URLSearchParams({ kind: 'need', category: 'meal', lat: String(at.lat), lng: String(at.lng), start: '2026-12-03T18:00:00-05:00', end: '2026-12-03T20:00:00-05:00' });
    const res = await ctx.app.inject({ method: 'GET', url: `/api/posts/similar?${q}`, headers: { cookie: me.cookie } });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { post: { id: string; location: { lat: number; lng: number }; locationPrecisionM: number }; distanceM: number; mine: boolean }[];
    expect(items.map((i) => i.post.id)).toEqual([mine.id, theirs.id]);
    expect(items[0]).toMatchObject({ mine: true, post: { locationPrecisionM: 0 } });
    expect(items[1]!.mine).toBe(false);
    // The neighbor's post comes in public form; its distance is a multiple of 100 m from the public point.
    expect(items[1]!.post.locationPrecisionM).toBeGreaterThan(0);
    expect(items[1]!.post.location).not.toEqual(theirs.location);
    expect(items[1]!.distanceM % 100).toBe(0);

    const bad = await ctx.app.inject({ method: 'GET', url: `/api/posts/similar?${new URLSearchParams({ ...Object.fromEntries(q), end: '2026-12-03T17:00:00-05:00' })}`, headers: { cookie: me.cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('/end');
    expect((await ctx.app.inject({ method: 'GET', url: `/api/posts/similar?${new URLSearchParams({ ...Object.fromEntries(q), category: 'spaceships' })}`, headers: { cookie: me.cookie } })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/posts/similar?${q}` })).statusCode).toBe(401);
  });
});

describe('blocking', () => {
  it('neither sees the other’s posts (listings, the post, candidates, similar); they cannot be matched; live matches between them end; unblocking restores it', async () => {
    const [ann, bob, cat] = [await signup(ctx.app, 'Ann'), await signup(ctx.app, 'Bob'), await signup(ctx.app, 'Cat')];
    const at = { lat: 40.6482, lng: -73.9642 };
    const thu = [{ start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' }];
    const need = await post(ann, { kind: 'need', capacity: 1, title: 'Dinner for Ann', windows: thu, location: at });
    const bobs = await post(bob, { title: 'Bob’s soup', windows: thu, location: { lat: 40.6485, lng: -73.9645 } });
    const cats = await post(cat, { title: 'Cat’s soup', windows: thu, location: { lat: 40.6486, lng: -73.9641 } });
    const inject = (u: TestUser, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
      ctx.app.inject({ method, url, headers: { cookie: u.cookie }, ...(payload ? { payload: payload as never } : {}) });
    const proposed = await inject(ann, 'POST', '/api/matches', { needId: need.id, offerId: bobs.id });
    expect(proposed.statusCode).toBe(201);

    expect((await inject(ann, 'POST', '/api/blocks', { userId: bob.id })).statusCode).toBe(201);
    expect((await inject(ann, 'POST', '/api/blocks', { userId: bob.id })).statusCode).toBe(200);
    expect((await inject(ann, 'POST', '/api/blocks', { userId: ann.id })).statusCode).toBe(400);
    expect((await inject(ann, 'POST', '/api/blocks', { userId: '00000000-0000-4000-8000-000000000001' })).statusCode).toBe(404);
    expect((await inject(ann, 'GET', '/api/me/blocks')).json().items.map((b: { user: { id: string } }) => b.user.id)).toEqual([bob.id]);
    // The proposal between them is cancelled.
    expect((await inject(bob, 'GET', `/api/matches/${proposed.json().match.id}`)).json().match.status).toBe('cancelled');

    const box = '/api/posts?bbox=-73.98,40.63,-73.95,40.67'; // wide enough for public points 400 m off
    const ids = async (u: TestUser) => (await inject(u, 'GET', box)).json().items.map((p: { id: string }) => p.id);
    expect(await ids(ann)).not.toContain(bobs.id);
    expect(await ids(ann)).toContain(cats.id);
    expect(await ids(bob)).not.toContain(need.id); // both ways
    expect(await ids(cat)).toEqual(expect.arrayContaining([need.id, bobs.id]));
    expect((await inject(ann, 'GET', `/api/posts/${bobs.id}`)).statusCode).toBe(404);
    expect((await inject(bob, 'GET', `/api/posts/${need.id}`)).statusCode).toBe(404);
    const candidates = (await inject(ann, 'GET', `/api/posts/${need.id}/matches`)).json().items.map((c: { post: { id: string } }) => c.post.id);
    expect(candidates).toContain(cats.id);
    expect(candidates).not.toContain(bobs.id);
    const similar = new URLSearchParams({ kind: 'offer', category: 'meal', lat: String(at.lat), lng: String(at.lng), start: thu[0]!.start, end: thu[0]!.end });
    expect((await inject(ann, 'GET', `/api/posts/similar?${similar}`)).json().items.map((i: { post: { id: string } }) => i.post.id)).not.toContain(bobs.id);
    const again = await inject(bob, 'POST', '/api/matches', { needId: need.id, offerId: bobs.id });
    expect(again.statusCode).toBe(403);
    expect(again.json().detail).toMatch(/blocked/);

    // Live too: Bob's map does not hear of Ann's new posts; Cat's does (blocks load as a socket opens, and reload when one changes).
    const url = await wsUrl();
    const [bobMap, catMap] = [await TestSocket.open(url, { cookie: bob.cookie }), await TestSocket.open(url, { cookie: cat.cookie })];
    for (const s of [bobMap, catMap]) {
      s.send({ type: 'subscribe', bbox: [-73.98, 40.63, -73.95, 40.67] });
      await s.next('subscribed');
    }
    const fresh = await post(ann, { kind: 'need', capacity: 1, title: 'Another dinner for Ann', windows: thu, location: at });
    expect((await catMap.next('post.created')).post.id).toBe(fresh.id);
    const marker = await post(cat, { title: 'Cat’s bread', windows: thu, location: at }); // after Ann's, to both
    expect((await bobMap.next('post.created')).post.id).toBe(marker.id); // Ann's never came first

    expect((await inject(ann, 'DELETE', `/api/blocks/${bob.id}`)).statusCode).toBe(204);
    // Unblocked: Bob's open socket hears of Ann's posts again.
    await new Promise((r) => setTimeout(r, 1000)); // the reload follows the NOTIFY
    const after = await post(ann, { kind: 'need', capacity: 1, title: 'Dinner, unblocked', windows: thu, location: at });
    expect((await bobMap.next('post.created')).post.id).toBe(after.id);
    bobMap.close();
    catMap.close();
    expect(await ids(ann)).toContain(bobs.id);
    const reproposed = await inject(bob, 'POST', '/api/matches', { needId: need.id, offerId: bobs.id });
    expect(reproposed.statusCode).toBe(201);
    // A block that lands after a proposal (here written straight to the table, as a race would leave it): nobody accepts across it.
    await ctx.database.db.execute(sql`INSERT INTO blocks (blocker_id, blocked_id) VALUES (${ann.id}, ${bob.id})`);
    expect((await inject(ann, 'POST', `/api/matches/${reproposed.json().match.id}/accept`)).statusCode).toBe(403);
  });
});

describe('stale posts and proposals, late cancellations', () => {
  it('asks "still needed?" once, a day before; withdraws unanswered proposals and suggests others; tells organizers of a late cancellation', async () => {
    const url = await wsUrl();
    const [ann, bob, cat, org] = [await signup(ctx.app, 'Ann'), await signup(ctx.app, 'Bob'), await signup(ctx.app, 'Cat'), await signup(ctx.app, 'Org')];
    const now = ctx.clock.now().getTime();
    const win = (hours: number) => {
      const start = new Date(now + hours * 3_600_000);
      return [{ start: start.toISOString(), end: new Date(start.getTime() + 2 * 3_600_000).toISOString() }];
    };
    const at = { lat: 40.6282, lng: -74.0242 }; // Bay Ridge, away from the other tests
    const soon = await post(ann, { kind: 'need', capacity: 1, title: 'Soup tonight', windows: win(20), location: at });
    const later = await post(ann, { kind: 'need', capacity: 1, title: 'Soup on Friday', windows: win(30), location: at });
    const annSocket = await TestSocket.open(url, { cookie: ann.cookie });
    const bobSocket = await TestSocket.open(url, { cookie: bob.cookie });

    expect(await sweep(ctx.database.db, ctx.clock.now())).toEqual({ asked: 1, withdrawn: 0 });
    expect((await annSocket.next('notice')).notice).toEqual({ kind: 'still_needed', postId: soon.id, title: 'Soup tonight' });
    expect(await sweep(ctx.database.db, ctx.clock.now())).toEqual({ asked: 0, withdrawn: 0 }); // once
    // A title edit does not ask again; moving it to another day does, a day before the new time.
    expect((await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${soon.id}`, headers: { cookie: ann.cookie }, payload: { title: 'Soup tonight, please' } })).statusCode).toBe(200);
    expect(await sweep(ctx.database.db, ctx.clock.now())).toEqual({ asked: 0, withdrawn: 0 });
    expect((await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${soon.id}`, headers: { cookie: ann.cookie }, payload: { windows: win(60) } })).statusCode).toBe(200);
    expect(await sweep(ctx.database.db, ctx.clock.now())).toEqual({ asked: 0, withdrawn: 0 });
    ctx.clock.advance(7 * 3_600_000);
    expect((await sweep(ctx.database.db, ctx.clock.now()))!.asked).toBe(1);
    expect((await annSocket.next('notice')).notice.postId).toBe(later.id);
    // Moved again, to within a day: asked again.
    expect((await ctx.app.inject({ method: 'PATCH', url: `/api/posts/${soon.id}`, headers: { cookie: ann.cookie }, payload: { windows: win(10) } })).statusCode).toBe(200);
    expect((await sweep(ctx.database.db, ctx.clock.now()))!.asked).toBe(1);
    expect((await annSocket.next('notice')).notice).toEqual({ kind: 'still_needed', postId: soon.id, title: 'Soup tonight, please' });

    // Two offers; Ann proposes to Bob's; nobody answers for 13 hours.
    const bobs = await post(bob, { title: 'Bob’s soup', windows: win(30), location: at });
    const cats = await post(cat, { title: 'Cat’s soup', windows: win(30), location: at });
    const proposal = (await ctx.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: ann.cookie }, payload: { needId: later.id, offerId: bobs.id } })).json().match;
    ctx.clock.advance(13 * 3_600_000);
    // (The blocking test's proposal, as old, goes too.)
    expect((await sweep(ctx.database.db, ctx.clock.now()))!.withdrawn).toBeGreaterThanOrEqual(1);
    for (const s of [annSocket, bobSocket]) {
      // Withdrawn by the server, not by its proposer: nobody is named as having acted (the app says "withdrawn").
      expect((await s.waitFor((f) => f.type === 'match.cancelled' && f.match.id === proposal.id)).match).toMatchObject({ status: 'cancelled', actedBy: null });
      expect((await s.next('notice')).notice).toMatchObject({ kind: 'proposal_expired', postId: later.id, matchId: proposal.id });
    }
    const suggested = (await ctx.app.inject({ method: 'GET', url: '/api/matches?status=suggested', headers: { cookie: ann.cookie } })).json().items as { need: { id: string }; offer: { id: string } }[];
    const forLater = suggested.filter((m) => m.need.id === later.id).map((m) => m.offer.id);
    expect(forLater).toContain(cats.id);
    expect(forLater).not.toContain(bobs.id); // not suggested again

    // A community around here; Cat accepts, then drops out with hours to go: the organizers hear of it.
    const ring = { type: 'Polygon', coordinates: [[[-74.03, 40.62], [-74.02, 40.62], [-74.02, 40.635], [-74.03, 40.635], [-74.03, 40.62]]] };
    const c = (await ctx.app.inject({ method: 'POST', url: '/api/communities', headers: { cookie: org.cookie }, payload: { name: 'Bay Ridge', slug: 'bay-ridge-hygiene', boundary: ring, timezone: 'America/New_York', joinPolicy: 'open' } })).json().community;
    // Ann joins: her need is the community's by its true place (a non-member's would go by its public point, up to 400 m off).
    expect((await ctx.app.inject({ method: 'POST', url: `/api/communities/${c.id}/join`, headers: { cookie: ann.cookie } })).statusCode).toBe(201);
    const orgSocket = await TestSocket.open(url, { cookie: org.cookie });
    const m = (await ctx.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: ann.cookie }, payload: { needId: later.id, offerId: cats.id } })).json().match;
    expect((await ctx.app.inject({ method: 'POST', url: `/api/matches/${m.id}/accept`, headers: { cookie: cat.cookie } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url: `/api/matches/${m.id}/cancel`, headers: { cookie: cat.cookie } })).statusCode).toBe(200);
    expect((await orgSocket.next('notice')).notice).toEqual({ kind: 'late_cancellation', postId: later.id, matchId: m.id, communityId: c.id, title: 'Soup on Friday' });
    const triage = (await ctx.app.inject({ method: 'GET', url: `/api/communities/${c.id}/triage`, headers: { cookie: org.cookie } })).json().items as { needId: string; helperCancelledLate: boolean; stillNeededAsked: boolean }[];
    expect(triage.find((t) => t.needId === later.id)).toMatchObject({ helperCancelledLate: true, stillNeededAsked: true });
    for (const s of [annSocket, bobSocket, orgSocket]) {
      s.close();
    }
  });
});
