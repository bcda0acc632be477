import { beforeAll, describe, expect, it } from 'vitest';
import { destinationPoint, distanceM, type LatLng } from '../../server/geo/geo';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db';
import { useTestApp, postBody, publicPointOf, runFollowUps, signup, type TestUser } from '../helper';

const ctx = useTestApp();
let needer: TestUser;
let helpers: TestUser[];
let stranger: TestUser;

const HOME = { lat: 40.678213, lng: -73.944187 };
const at = (bearing: number, m: number) => {
  const p = destinationPoint(HOME, bearing, m);
  return { lat: Number(p.lat.toFixed(6)), lng: Number(p.lng.toFixed(6)) };
};
// Thursday 2026-12-03, 17:00–19:00 New York.
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

beforeAll(async () => {
  needer = await signup(ctx.app, 'Needer');
  helpers = [];
  for (let i = 0; i < 6; i++) {
    helpers.push(await signup(ctx.app, `Helper ${i}`));
  }
  stranger = await signup(ctx.app, 'Stranger');
});

async function create(user: TestUser, overrides: Record<string, unknown>) {
  ctx.clock.advance(1000);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: user.cookie }, payload: postBody(overrides) });
  expect(res.statusCode, res.body).toBe(201);
  await runFollowUps(ctx.app); // its suggestions, made after the reply
  return res.json().post as { id: string; location: { lat: number; lng: number } };
}

async function call(user: TestUser | null, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, payload: payload as never });
}

const meal = (overrides: Record<string, unknown> = {}) => ({
  kind: 'offer',
  category: 'meal',
  windows: [THU],
  capacity: 4,
  details: { dietary: ['vegetarian', 'nut-free'] },
  ...overrides,
});

describe('candidates', () => {
  it('returns exactly the offers that fit, best first, with reasons; from the offer side the need', async () => {
    const need = await create(needer, {
      kind: 'need',
      category: 'meal',
      location: HOME,
      radiusM: 2000,
      windows: [THU],
      capacity: 2,
      details: { dietary: ['vegetarian'] },
    });
    const [h0, h1, h2, h3, h4, h5] = helpers as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    const near = await create(h0, meal({ location: at(0, 300) }));
    const farther = await create(h1, meal({ location: at(90, 1200) }));
    const partial = await create(h2, meal({ location: at(180, 400), windows: [{ start: '2026-12-03T18:20:00-05:00', end: '2026-12-03T20:00:00-05:00' }] }));
    // Excluded, one reason each:
    await create(h3, meal({ location: at(0, 2600), radiusM: 2000 })); // too far
    await create(h3, meal({ location: at(0, 200), windows: [{ start: '2026-12-04T17:00:00-05:00', end: '2026-12-04T19:00:00-05:00' }] })); // wrong day
    await create(h3, meal({ location: at(0, 200), capacity: 1 })); // too small
    await create(h4, meal({ location: at(0, 200), details: { dietary: ['halal'] } })); // wrong diet
    await create(h4, { kind: 'offer', category: 'grocery', location: at(0, 200), windows: [THU], capacity: 1, details: {} }); // other category
    const cancelled = await create(h4, meal({ location: at(0, 200) }));
    await call(h4, 'POST', `/api/posts/${cancelled.id}`).then(() =>
      ctx.app.inject({ method: 'DELETE', url: `/api/posts/${cancelled.id}`, headers: { cookie: h4.cookie } }),
    );
    await create(needer, meal({ location: at(0, 100) })); // own post
    const taken = await create(h5, meal({ location: at(0, 150), capacity: 2 })); // matched below
    const otherNeed = await create(stranger, { kind: 'need', category: 'meal', location: at(0, 160), windows: [THU], capacity: 2, details: {} });
    const proposal = await call(h5, 'POST', '/api/matches', { needId: otherNeed.id, offerId: taken.id });
    expect(proposal.statusCode, proposal.body).toBe(201);
    expect((await call(stranger, 'POST', `/api/matches/${proposal.json().match.id}/accept`)).statusCode).toBe(200);

    const res = await call(needer, 'GET', `/api/posts/${need.id}/matches`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { post: { id: string; location: LatLng }; score: number; distanceM: number; overlap: unknown[]; reasons: string[]; why: unknown[] }[];
    // Judged at their public points (150–400 m off): the excluded ones are out whatever their offsets.
    expect(new Set(items.map((i) => i.post.id))).toEqual(new Set([near.id, farther.id, partial.id]));
    const scores = items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => Math.round(s * 10) / 10 === s)).toBe(true); // tenths
    // Distances and reasons say what the map shows: from my true place to their public point.
    const nearItem = items.find((i) => i.post.id === near.id)!;
    const shownAt = (await call(stranger, 'GET', `/api/posts/${near.id}`)).json().post.location;
    expect(nearItem.post.location).toEqual(shownAt);
    const d = distanceM(HOME, shownAt);
    expect(nearItem.distanceM).toBe(Math.round(d / 100) * 100);
    expect(items.find((i) => i.post.id === farther.id)!.distanceM).toBe(Math.round(distanceM(HOME, (await call(stranger, 'GET', `/api/posts/${farther.id}`)).json().post.location) / 100) * 100);
    expect(nearItem.overlap).toEqual([{ start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' }]);
    expect(nearItem.reasons).toEqual([Math.round(d / 100) === 0 ? 'under 100 m away' : `${Math.round(d / 100) / 10} km away`, 'free Thu 17:00–19:00, you need 17:00–19:00', 'covers vegetarian']);
    // The same reasons as codes, for the app to write in its reader's language and clock.
    const thu = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };
    expect(nearItem.why).toEqual([{ code: 'distance', m: Math.round(d / 100) * 100 }, { code: 'free', theirs: thu, yours: thu }, { code: 'covers', dietary: ['vegetarian'] }]);
    // Candidates are shown in public form.
    expect(JSON.stringify(items)).not.toContain(String(at(0, 300).lat));

    const fromOffer = await call(h0, 'GET', `/api/posts/${near.id}/matches`);
    expect(fromOffer.json().items.map((i: { post: { id: string } }) => i.post.id)).toEqual([need.id]);
    expect(fromOffer.json().items[0].reasons[1]).toBe('needs Thu 17:00–19:00, you are free 17:00–19:00');
    expect(fromOffer.json().items[0].why[1]).toEqual({ code: 'needs', theirs: thu, yours: thu });

    // Only the author may ask; 404 for unknown posts.
    expect((await call(stranger, 'GET', `/api/posts/${need.id}/matches`)).statusCode).toBe(403);
    expect((await call(null, 'GET', `/api/posts/${need.id}/matches`)).statusCode).toBe(401);
    expect((await call(needer, 'GET', '/api/posts/00000000-0000-4000-8000-000000000000/matches')).statusCode).toBe(404);

    // The server suggested the best ones to both sides when the posts were made.
    const suggested = await call(h0, 'GET', '/api/matches?status=suggested');
    expect(suggested.json().items.some((m: { needId: string; offerId: string }) => m.needId === need.id && m.offerId === near.id)).toBe(true);
  });

  it('remote tutoring meets across 900 km; in person it does not', async () => {
    const far = destinationPoint(HOME, 30, 900_000);
    const need = await create(needer, {
      kind: 'need',
      category: 'tutoring',
      capacity: 1,
      location: HOME,
      windows: [THU],
      details: { subject: 'Chemistry', languages: ['es'], mode: 'remote' },
    });
    const remote = await create(helpers[0]!, {
      kind: 'offer',
      category: 'tutoring',
      capacity: 1,
      location: far,
      windows: [THU],
      details: { subject: ' chemistry', languages: ['es-419'], mode: 'either' },
    });
    await create(helpers[1]!, {
      kind: 'offer',
      category: 'tutoring',
      capacity: 1,
      location: far,
      windows: [THU],
      details: { subject: 'Chemistry', mode: 'in_person' },
    });
    const items = (await call(needer, 'GET', `/api/posts/${need.id}/matches`)).json().items;
    expect(items.map((i: { post: { id: string } }) => i.post.id)).toEqual([remote.id]);
    expect(items[0].reasons).toEqual(expect.arrayContaining(['remote, so distance does not matter', 'speaks Spanish']));
    expect(items[0].why).toEqual(expect.arrayContaining([{ code: 'remote' }, { code: 'speaks', languages: ['es'] }]));
    expect(items[0].distanceM % 100).toBe(0);
  });
});

describe('candidates: reach, schedules and fairness', () => {
  const companionship = (overrides: Record<string, unknown>) => ({
    kind: 'offer',
    category: 'companionship',
    capacity: 1,
    windows: [THU],
    details: {},
    ...overrides,
  });

  it("reach is the larger radius: an offer 9 km away with a 10 km radius meets a 1 km need; a 2 km one does not", async () => {
    const [a, b] = [await signup(ctx.app, 'Wide'), await signup(ctx.app, 'Narrow')];
    const need = await create(needer, companionship({ kind: 'need', location: HOME, radiusM: 1000 }));
    const wide = await create(a, companionship({ location: at(270, 9000), radiusM: 10_000 }));
    await create(b, companionship({ location: at(270, 1500), radiusM: 1000 }));
    const items = (await call(needer, 'GET', `/api/posts/${need.id}/matches`)).json().items;
    expect(items.map((i: { post: { id: string } }) => i.post.id)).toEqual([wide.id]);
    expect(Math.abs(items[0].distanceM - 9000)).toBeLessThanOrEqual(400); // to its public point
  });

  it('a wider reach is found across the antimeridian and far north too', async () => {
    // Taveuni, Fiji, either side of 180°, and Tromsø at 69.6° N: each need's own radius is 1 km, the offer 7–9 km off reaches 10 km.
    const places: [LatLng, LatLng][] = [
      [{ lat: -16.8, lng: -179.98 }, { lat: -16.8, lng: 179.95 }],
      [{ lat: -16.1, lng: 179.98 }, { lat: -16.1, lng: -179.95 }],
      [{ lat: 69.65, lng: 18.95 }, destinationPoint({ lat: 69.65, lng: 18.95 }, 270, 9000)],
    ];
    for (const [i, [home, there]] of places.entries()) {
      const [far, asker] = [await signup(ctx.app, `Far ${i}`), await signup(ctx.app, `Asker ${i}`)];
      const need = await create(asker, companionship({ kind: 'need', location: home, radiusM: 1000 }));
      const wide = await create(far, companionship({ location: { lat: Number(there.lat.toFixed(6)), lng: Number(there.lng.toFixed(6)) }, radiusM: 10_000 }));
      const items = (await call(asker, 'GET', `/api/posts/${need.id}/matches`)).json().items;
      expect(items.map((item: { post: { id: string } }) => item.post.id), `${home.lat}, ${home.lng}`).toEqual([wide.id]);
      expect(distanceM(home, there)).toBeGreaterThan(6000);
    }
  });

  it('follows edits of the schedule and meets weekly rules', async () => {
    const helper = await signup(ctx.app, 'Weekly');
    const need = await create(needer, companionship({ kind: 'need', location: HOME, radiusM: 2000, windows: [THU] }));
    // Every Thursday 18:00–20:00 New York: meets 18:00–19:00 of the need.
    const weekly = await create(helper, companionship({
      location: at(45, 500),
      radiusM: 2000,
      windows: [],
      recurrence: { days: ['thu'], startTime: '18:00', endTime: '20:00', timezone: 'America/New_York' },
    }));
    // (The 10 km offer of the test above reaches here too; only this helper's post is watched.)
    const ids = async () =>
      (await call(needer, 'GET', `/api/posts/${need.id}/matches`))
        .json()
        .items.map((i: { post: { id: string } }) => i.post.id)
        .filter((id: string) => id === weekly.id);
    expect(await ids()).toEqual([weekly.id]);
    // Moved to Fridays: no longer meets; back to Thursdays: meets again.
    const edit = (days: string[]) =>
      ctx.app.inject({
        method: 'PATCH',
        url: `/api/posts/${weekly.id}`,
        headers: { cookie: helper.cookie },
        payload: { recurrence: { days, startTime: '18:00', endTime: '20:00', timezone: 'America/New_York' } },
      });
    expect((await edit(['fri'])).statusCode).toBe(200);
    expect(await ids()).toEqual([]);
    expect((await edit(['thu'])).statusCode).toBe(200);
    expect(await ids()).toEqual([weekly.id]);
    // The index keys are exactly the post's windows and the hours of the week they touch
    // (Thursdays 18:00–20:00 New York = 23:00–01:00 UTC: hours 23 and 24 from Thursday 00:00 UTC).
    const [row] = rowsOf<{ same: boolean; hours: number[] }>(
      await ctx.database.db.execute(sql`
        SELECT p.schedule = (SELECT range_agg(during) FROM post_windows WHERE post_id = p.id) AS same, p.week_hours AS hours
        FROM posts p WHERE p.id = ${weekly.id}`),
    );
    expect(row!.same).toBe(true);
    expect(row!.hours).toEqual([23, 24]);
  });

  it('ranks a helper who accepted matches this week a little lower than an equal one who did not, and says so', async () => {
    const [busy, free, asker] = [await signup(ctx.app, 'Busy'), await signup(ctx.app, 'Free'), await signup(ctx.app, 'Asker')];
    // The busy helper accepted two matches with the asker in the last days.
    for (let i = 0; i < 2; i++) {
      const earlier = await create(asker, companionship({ kind: 'need', location: at(180, 3000), radiusM: 500 }));
      const offer = await create(busy, companionship({ location: at(180, 3000), radiusM: 500 }));
      const m = await call(asker, 'POST', '/api/matches', { needId: earlier.id, offerId: offer.id });
      expect(m.statusCode, m.body).toBe(201);
      expect((await call(busy, 'POST', `/api/matches/${m.json().match.id}/accept`)).statusCode).toBe(200);
    }
    // Equally near, equally fresh offers: equally near as judged, at their public points.
    const freeAt = at(180, 400);
    const shown = distanceM(HOME, await publicPointOf(ctx.database, free.id, freeAt));
    let busyAt = at(0, 400);
    let best = Number.POSITIVE_INFINITY;
    for (let bearing = 0; bearing < 360 && best > 5; bearing += 3) {
      for (let m = 100; m <= 900 && best > 5; m += 10) {
        const gap = Math.abs(distanceM(HOME, await publicPointOf(ctx.database, busy.id, at(bearing, m))) - shown);
        if (gap < best) {
          [best, busyAt] = [gap, at(bearing, m)];
        }
      }
    }
    const busyOffer = await create(busy, companionship({ location: busyAt, radiusM: 1000 }));
    const freeOffer = await create(free, companionship({ location: freeAt, radiusM: 1000 }));
    const need = await create(needer, companionship({ kind: 'need', location: HOME, radiusM: 1000 }));
    const items = (await call(needer, 'GET', `/api/posts/${need.id}/matches`)).json().items as { post: { id: string }; score: number; reasons: string[]; why: unknown[] }[];
    const order = items.map((i) => i.post.id).filter((id) => id === busyOffer.id || id === freeOffer.id);
    expect(order).toEqual([freeOffer.id, busyOffer.id]);
    const busyItem = items.find((i) => i.post.id === busyOffer.id)!;
    expect(busyItem.reasons).toContain('already helping 2 neighbors this week, ranked a little lower to spread the work');
    expect(busyItem.why).toContainEqual({ code: 'busy', n: 2 });
    // Scores are shown to tenths, so the fairness term (−0.04 here) may not show in them.
    expect(items.find((i) => i.post.id === freeOffer.id)!.score).toBeGreaterThanOrEqual(busyItem.score);
  });
});

describe('the match lifecycle', () => {
  async function pair(capacity = 1) {
    const offer = await create(helpers[2]!, meal({ location: at(45, 500), capacity, details: {} }));
    const need = await create(needer, { kind: 'need', category: 'meal', location: HOME, windows: [THU], capacity: 1, details: {} });
    return { need, offer };
  }

  it('propose → accept by the other party → exact places → messages → complete; third parties get 403/404', async () => {
    const { need, offer } = await pair();
    const publicOffer = (await call(stranger, 'GET', `/api/posts/${offer.id}`)).json().post.location;

    expect((await call(stranger, 'POST', '/api/matches', { needId: need.id, offerId: offer.id })).statusCode).toBe(403);
    const proposed = await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: offer.id, message: 'Could you bring soup? 🍲' });
    expect(proposed.statusCode, proposed.body).toBe(201);
    const match = proposed.json().match;
    expect(match).toMatchObject({ status: 'proposed', needId: need.id, offerId: offer.id, proposedBy: needer.id });
    // Before acceptance, the other party's post is public.
    expect(match.offer.location).toEqual(publicOffer);
    expect(match.offer.locationPrecisionM).toBeGreaterThan(0);
    expect(match.need.locationPrecisionM).toBe(0); // the viewer's own

    expect((await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: offer.id })).statusCode).toBe(409);
    expect((await call(needer, 'POST', `/api/matches/${match.id}/accept`)).statusCode).toBe(403);
    expect((await call(stranger, 'POST', `/api/matches/${match.id}/accept`)).statusCode).toBe(403);
    expect((await call(stranger, 'GET', `/api/matches/${match.id}`)).statusCode).toBe(404);
    expect((await call(stranger, 'GET', `/api/matches/${match.id}/messages`)).statusCode).toBe(404);

    const accepted = await call(helpers[2]!, 'POST', `/api/matches/${match.id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().match.status).toBe('accepted');
    // Now each party sees the other's exact place.
    const seenByNeeder = (await call(needer, 'GET', `/api/matches/${match.id}`)).json().match;
    expect(seenByNeeder.offer.location).toEqual(at(45, 500));
    expect(seenByNeeder.offer.locationPrecisionM).toBe(0);
    const seenByHelper = (await call(helpers[2]!, 'GET', `/api/matches/${match.id}`)).json().match;
    expect(seenByHelper.need.location).toEqual(HOME);
    // Everyone else still gets the public point.
    expect((await call(stranger, 'GET', `/api/posts/${offer.id}`)).json().post.location).toEqual(publicOffer);
    expect((await call(stranger, 'GET', `/api/posts/${offer.id}`)).json().post.status).toBe('matched');

    ctx.clock.advance(60_000);
    const reply = await call(helpers[2]!, 'POST', `/api/matches/${match.id}/messages`, { body: 'On my way — مرحبا' });
    expect(reply.statusCode).toBe(201);
    expect((await call(stranger, 'POST', `/api/matches/${match.id}/messages`, { body: 'hi' })).statusCode).toBe(404);
    expect((await call(needer, 'POST', `/api/matches/${match.id}/messages`, { body: '' })).statusCode).toBe(400);
    expect((await call(needer, 'POST', `/api/matches/${match.id}/messages`, { body: 'x'.repeat(2001) })).statusCode).toBe(400);
    const thread = (await call(needer, 'GET', `/api/matches/${match.id}/messages`)).json().items;
    expect(thread.map((m: { body: string }) => m.body)).toEqual(['Could you bring soup? 🍲', 'On my way — مرحبا']);

    expect((await call(stranger, 'POST', `/api/matches/${match.id}/complete`)).statusCode).toBe(403);
    // It is for Thursday 17:00 (the windows' overlap): marked done once that has started (matches-occasion.test.ts).
    const before = ctx.clock.now().toISOString();
    ctx.clock.set(THU.start);
    const done = await call(needer, 'POST', `/api/matches/${match.id}/complete`);
    ctx.clock.set(before);
    expect(done.json().match.status).toBe('completed');
    expect((await call(needer, 'POST', `/api/matches/${match.id}/cancel`)).statusCode).toBe(409);
    expect((await call(needer, 'GET', `/api/posts/${need.id}`)).json().post.status).toBe('fulfilled');
  });

  it('declines; cancelling an accepted match gives the capacity back', async () => {
    const { need, offer } = await pair(1);
    const proposed = (await call(helpers[2]!, 'POST', '/api/matches', { needId: need.id, offerId: offer.id })).json().match;
    const declined = await call(needer, 'POST', `/api/matches/${proposed.id}/decline`);
    expect(declined.json().match.status).toBe('declined');
    const again = (await call(helpers[2]!, 'POST', '/api/matches', { needId: need.id, offerId: offer.id })).json().match;
    expect(again.id).not.toBe(proposed.id);
    await call(needer, 'POST', `/api/matches/${again.id}/accept`);
    expect((await call(null, 'GET', `/api/posts/${offer.id}`)).json().post).toMatchObject({ status: 'matched', capacityLeft: 0 });
    const cancelled = await call(needer, 'POST', `/api/matches/${again.id}/cancel`);
    expect(cancelled.json().match.status).toBe('cancelled');
    expect((await call(null, 'GET', `/api/posts/${offer.id}`)).json().post).toMatchObject({ status: 'open', capacityLeft: 1 });
    expect((await call(null, 'GET', `/api/posts/${need.id}`)).json().post).toMatchObject({ status: 'open', capacityLeft: 1 });
  });

  it('promotes a suggestion of the pair, keeping its id', async () => {
    const { need, offer } = await pair();
    const suggested = (await call(needer, 'GET', '/api/matches?status=suggested')).json().items.find(
      (m: { needId: string; offerId: string }) => m.needId === need.id && m.offerId === offer.id,
    );
    expect(suggested).toBeDefined();
    const proposed = await call(helpers[2]!, 'POST', '/api/matches', { needId: need.id, offerId: offer.id });
    expect(proposed.statusCode).toBe(201);
    expect(proposed.json().match.id).toBe(suggested.id);
    expect(proposed.json().match.status).toBe('proposed');
  });

  it('answers 422 to a pair that does not fit and 400/404 to bad ids', async () => {
    const { need } = await pair();
    const grocery = await create(helpers[3]!, { kind: 'offer', category: 'grocery', windows: [THU], capacity: 1, details: {} });
    const wrong = await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: grocery.id });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.headers['content-type']).toMatch(/problem\+json/);
    const swapped = await call(needer, 'POST', '/api/matches', { needId: grocery.id, offerId: need.id });
    expect(swapped.statusCode).toBe(422);
    expect((await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: 'nope' })).statusCode).toBe(400);
    expect((await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await call(needer, 'POST', '/api/matches/00000000-0000-4000-8000-000000000000/accept')).statusCode).toBe(404);
  });

  it('two concurrent accepts of the last seat: exactly one succeeds, the other gets 409, every time', async () => {
    for (let round = 0; round < 15; round++) {
      const offer = await create(helpers[4]!, meal({ location: at(90, 300), capacity: 1, details: {} }));
      const needs = [
        await create(needer, { kind: 'need', category: 'meal', windows: [THU], capacity: 1, details: {} }),
        await create(stranger, { kind: 'need', category: 'meal', windows: [THU], capacity: 1, details: {} }),
      ];
      const ids: string[] = [];
      for (const need of needs) {
        const res = await call(helpers[4]!, 'POST', '/api/matches', { needId: need.id, offerId: offer.id });
        expect(res.statusCode, res.body).toBe(201);
        ids.push(res.json().match.id);
      }
      const results = await Promise.all([
        call(needer, 'POST', `/api/matches/${ids[0]}/accept`),
        call(stranger, 'POST', `/api/matches/${ids[1]}/accept`),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const after = (await call(null, 'GET', `/api/posts/${offer.id}`)).json().post;
      expect(after).toMatchObject({ capacityLeft: 0, status: 'matched' });
      const loser = results.findIndex((r) => r.statusCode === 409);
      expect((await call(helpers[4]!, 'GET', `/api/matches/${ids[loser]}`)).json().match.status).toBe('proposed');
    }
  });

  it('cancelling a post ends its matches and gives back what an accepted one took', async () => {
    const { need, offer } = await pair(2);
    const match = (await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: offer.id })).json().match;
    await call(helpers[2]!, 'POST', `/api/matches/${match.id}/accept`);
    expect((await call(null, 'GET', `/api/posts/${offer.id}`)).json().post.capacityLeft).toBe(1);
    // A need with an accepted match leaves other offers' candidate lists.
    const other = await create(helpers[3]!, meal({ location: at(45, 600), capacity: 2, details: {} }));
    const before = (await call(helpers[3]!, 'GET', `/api/posts/${other.id}/matches`)).json().items.map((i: { post: { id: string } }) => i.post.id);
    expect(before).not.toContain(need.id);

    const cancelled = await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${need.id}`, headers: { cookie: needer.cookie } });
    expect(cancelled.json().post.status).toBe('cancelled');
    expect((await call(helpers[2]!, 'GET', `/api/matches/${match.id}`)).json().match.status).toBe('cancelled');
    expect((await call(null, 'GET', `/api/posts/${offer.id}`)).json().post).toMatchObject({ status: 'open', capacityLeft: 2 });

    // An offer cancelled under a proposal: the proposal ends too.
    const need2 = await create(needer, { kind: 'need', category: 'meal', windows: [THU], capacity: 1, details: {} });
    const proposal = (await call(needer, 'POST', '/api/matches', { needId: need2.id, offerId: offer.id })).json().match;
    await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${offer.id}`, headers: { cookie: helpers[2]!.cookie } });
    expect((await call(needer, 'GET', `/api/matches/${proposal.id}`)).json().match.status).toBe('cancelled');
    expect((await call(needer, 'GET', `/api/posts/${need2.id}`)).json().post.status).toBe('open');
  });
});

describe('rides', () => {
  it('a trip serves a pickup and drop-off within its detour; an area offer within its radius', async () => {
    const need = await create(needer, {
      kind: 'need',
      category: 'ride',
      capacity: 1,
      location: HOME,
      radiusM: 3000,
      windows: [THU],
      details: { destination: at(90, 4000) },
    });
    const onTheWay = await create(helpers[0]!, {
      kind: 'offer', category: 'ride', capacity: 3, location: at(270, 1000), windows: [THU],
      details: { destination: at(90, 6000) },
    });
    await create(helpers[1]!, {
      kind: 'offer', category: 'ride', capacity: 3, location: at(0, 1000), windows: [THU],
      details: { destination: at(0, 15_000), maxDetourM: 2000 },
    });
    const area = await create(helpers[2]!, { kind: 'offer', category: 'ride', capacity: 1, location: at(45, 800), radiusM: 6000, windows: [THU], details: {} });
    await create(helpers[3]!, { kind: 'offer', category: 'ride', capacity: 1, location: at(200, 800), radiusM: 2000, windows: [THU], details: {} });
    const items = (await call(needer, 'GET', `/api/posts/${need.id}/matches`)).json().items as { post: { id: string }; reasons: string[]; why: unknown[] }[];
    expect(items.map((i) => i.post.id).sort()).toEqual([onTheWay.id, area.id].sort());
    expect(items.find((i) => i.post.id === onTheWay.id)!.reasons).toContain('on their way, no detour');
    expect(items.find((i) => i.post.id === area.id)!.reasons).toContain('pickup and drop-off within their 6 km area');
    expect(items.find((i) => i.post.id === onTheWay.id)!.why).toContainEqual({ code: 'noDetour' });
    expect(items.find((i) => i.post.id === area.id)!.why).toContainEqual({ code: 'withinArea', m: 6000 });

    // The destination, too, is public until the match is accepted, then exact for the other party.
    const match = (await call(needer, 'POST', '/api/matches', { needId: need.id, offerId: area.id })).json().match;
    const before = (await call(helpers[2]!, 'GET', `/api/matches/${match.id}`)).json().match.need;
    expect(before.details.destination).not.toEqual(at(90, 4000));
    expect(before.location).not.toEqual(HOME);
    await call(helpers[2]!, 'POST', `/api/matches/${match.id}/accept`);
    const after = (await call(helpers[2]!, 'GET', `/api/matches/${match.id}`)).json().match.need;
    expect(after.details.destination).toEqual(at(90, 4000));
    expect(after.location).toEqual(HOME);
    // A third party still sees public points only.
    const third = (await call(stranger, 'GET', `/api/posts/${need.id}`)).json().post;
    expect(third.details.destination).toEqual(before.details.destination);
  });
});
