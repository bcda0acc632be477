// The privacy invariant for candidates (README, "Privacy"): whether someone
// else's post is a candidate, its distance and the answer to a proposal are
// decided by its public point, never its true place; and a post cannot be
// moved often enough to probe around a neighbour. The attack harness
// (attack.test.ts) plays a whole attacker; these pin each rule down with
// points placed on either side of the line where true and public differ.
import { describe, expect, it } from 'vitest';
import { destinationPoint, distanceM, type LatLng } from '../../server/geo/geo';
import { useTestApp, postBody, publicPointOf, runFollowUps, signup, type TestUser } from '../helper';

const ctx = useTestApp();

const TRUE_PLACE = { lat: 40.674512, lng: -73.948871 };
const RADIUS = 1000;
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };


function call(user: TestUser | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload === undefined ? {} : { payload: payload as never }) });
}

async function create(user: TestUser, overrides: Record<string, unknown>) {
  ctx.clock.advance(1000);
  const res = await call(user, 'POST', '/api/posts', postBody({ category: 'errand', details: {}, capacity: 1, windows: [THU], ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  await runFollowUps(ctx.app); // its suggestions, made after the reply
  return res.json().post as { id: string; location: LatLng };
}

/** Initial bearing from a to b, degrees (flat approximation: the points are a few hundred metres apart). */
function bearing(a: LatLng, b: LatLng): number {
  const dy = b.lat - a.lat;
  const dx = (b.lng - a.lng) * Math.cos((a.lat * Math.PI) / 180);
  return ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
}

const round6 = (p: LatLng) => ({ lat: Number(p.lat.toFixed(6)), lng: Number(p.lng.toFixed(6)) });

describe('candidates are decided by public points', () => {
  it('a post within reach of the true place but not of the public one is no candidate, and the other way round', async () => {
    const victim = await signup(ctx.app, 'Victim');
    const prober = await signup(ctx.app, 'Prober');
    const need = await create(victim, { kind: 'need', location: TRUE_PLACE, radiusM: RADIUS });
    const shown = (await call(prober, 'GET', `/api/posts/${need.id}`)).json().post.location as LatLng;
    const offset = distanceM(TRUE_PLACE, shown);
    expect(offset).toBeGreaterThanOrEqual(149);
    const toward = bearing(TRUE_PLACE, shown);

    // Behind the true place, seen from the public point: within reach of the truth, out of reach of what is shown.
    const behind = round6(destinationPoint(TRUE_PLACE, (toward + 180) % 360, RADIUS - 50));
    expect(distanceM(behind, TRUE_PLACE)).toBeLessThan(RADIUS);
    expect(distanceM(behind, shown)).toBeGreaterThan(RADIUS + 50);
    // Past the public point: out of reach of the truth, within reach of what is shown.
    const beyond = round6(destinationPoint(TRUE_PLACE, toward, RADIUS + 50));
    expect(distanceM(beyond, TRUE_PLACE)).toBeGreaterThan(RADIUS);
    expect(distanceM(beyond, shown)).toBeLessThan(RADIUS - 50);

    const candidatesOf = async (offerId: string) =>
      (await call(prober, 'GET', `/api/posts/${offerId}/matches?limit=50`)).json().items as { post: { id: string; location: LatLng }; distanceM: number; reasons: string[] }[];

    const back = await create(prober, { kind: 'offer', location: behind, radiusM: 100 });
    expect((await candidatesOf(back.id)).map((c) => c.post.id)).not.toContain(need.id);
    // A proposal is judged the same way: its 422 says only what the map says.
    const refused = await call(prober, 'POST', '/api/matches', { needId: need.id, offerId: back.id });
    expect(refused.statusCode, refused.body).toBe(422);

    const front = await create(prober, { kind: 'offer', location: beyond, radiusM: 100 });
    const seen = (await candidatesOf(front.id)).find((c) => c.post.id === need.id);
    expect(seen).toBeDefined();
    expect(seen!.post.location).toEqual(shown);
    const d = distanceM(beyond, shown);
    expect(seen!.distanceM).toBe(Math.round(d / 100) * 100);
    expect(seen!.reasons[0]).toBe(Math.round(d / 100) === 0 ? 'under 100 m away' : `${Math.round(d / 100) / 10} km away`);
    const accepted = await call(prober, 'POST', '/api/matches', { needId: need.id, offerId: front.id });
    expect(accepted.statusCode, accepted.body).toBe(201);
  });

  it('suggestions, told to both sides, are decided by both public points', async () => {
    const asker = await signup(ctx.app, 'Asker');
    const helper = await signup(ctx.app, 'Helper');
    const need = await create(asker, { kind: 'need', location: TRUE_PLACE, radiusM: RADIUS });
    const needShown = await publicPointOf(ctx.database, asker.id, TRUE_PLACE);
    // Offers placed around the need; each is suggested exactly when the two public points are within reach.
    const outcomes: boolean[] = [];
    for (const [i, m] of [600, 900, 1100, 1300, 1500].entries()) {
      const at = round6(destinationPoint(TRUE_PLACE, i * 72, m));
      const offer = await create(helper, { kind: 'offer', location: at, radiusM: 100, title: `Errand ${i}` });
      const offerShown = await publicPointOf(ctx.database, helper.id, at);
      const suggested = (await call(helper, 'GET', '/api/matches?status=suggested&limit=50')).json().items.some(
        (x: { needId: string; offerId: string }) => x.needId === need.id && x.offerId === offer.id,
      );
      const gap = distanceM(needShown, offerShown);
      if (Math.abs(gap - RADIUS) > 20) {
        expect(suggested, `offer ${i}: public points ${gap.toFixed(0)} m apart`).toBe(gap <= RADIUS);
      }
      outcomes.push(suggested);
    }
    expect(outcomes.length).toBe(5);
  });
});

describe('moving a post', () => {
  it('is allowed 4 times an hour per post; the 5th move is 429 with Retry-After and changes nothing; other edits go on', async () => {
    const mover = await signup(ctx.app, 'Mover');
    const post = await create(mover, { kind: 'offer', location: TRUE_PLACE, radiusM: 500 });
    const placements = [0, 1, 2, 3].map((i) => round6(destinationPoint(TRUE_PLACE, 90 * i, 300)));
    for (const location of placements) {
      const moved = await call(mover, 'PATCH', `/api/posts/${post.id}`, { location });
      expect(moved.statusCode, moved.body).toBe(200);
    }
    const fifth = await call(mover, 'PATCH', `/api/posts/${post.id}`, { location: TRUE_PLACE, title: 'Moved again' });
    expect(fifth.statusCode).toBe(429);
    expect(fifth.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(fifth.headers['retry-after'])).toBeGreaterThan(0);
    expect(fifth.json().detail).toMatch(/moved too often.*Try again in/);
    const after = (await call(mover, 'GET', `/api/posts/${post.id}`)).json().post;
    expect(after.location).toEqual(placements[3]);
    expect(after.title).not.toBe('Moved again');
    // Edits that do not move it are not counted.
    expect((await call(mover, 'PATCH', `/api/posts/${post.id}`, { title: 'Still here' })).statusCode).toBe(200);
    // A ride's destination is a place too.
    const ride = await create(mover, { kind: 'offer', category: 'ride', location: TRUE_PLACE, radiusM: 3000, details: {} });
    for (let i = 0; i < 4; i++) {
      const moved = await call(mover, 'PATCH', `/api/posts/${ride.id}`, { details: { destination: round6(destinationPoint(TRUE_PLACE, 10 * i, 4000)) } });
      expect(moved.statusCode, moved.body).toBe(200);
    }
    expect((await call(mover, 'PATCH', `/api/posts/${ride.id}`, { details: { destination: TRUE_PLACE } })).statusCode).toBe(429);
    // An hour on, it may move again.
    ctx.clock.advance(3_600_000);
    expect((await call(mover, 'PATCH', `/api/posts/${post.id}`, { location: TRUE_PLACE })).statusCode).toBe(200);
  });

  it('one person moves their posts at most 20 times an hour in all', async () => {
    const mover = await signup(ctx.app, 'Busy mover');
    const posts = [];
    for (let i = 0; i < 6; i++) {
      posts.push(await create(mover, { kind: 'offer', location: TRUE_PLACE, radiusM: 500, title: `Offer ${i}` }));
    }
    let ok = 0;
    let refused = 0;
    for (let round = 0; round < 4; round++) {
      for (const [i, post] of posts.entries()) {
        const res = await call(mover, 'PATCH', `/api/posts/${post.id}`, { location: round6(destinationPoint(TRUE_PLACE, 60 * i, 100 + 100 * round)) });
        if (res.statusCode === 200) {
          ok++;
        } else {
          expect(res.statusCode).toBe(429);
          expect(res.json().detail).toMatch(/You have moved your posts too often/);
          refused++;
        }
      }
    }
    expect(ok).toBe(20);
    expect(refused).toBe(4);
  });
});
