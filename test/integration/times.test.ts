// Times a person reads are in their zone: a candidate's reasons in the zone
// the reader's client names (`tz`), an organizer's export in the
// community's zone (or the one asked for), named in the file.
import { describe, expect, it } from 'vitest';
import { useTestApp, postBody, signup, type TestUser } from '../helper';

const ctx = useTestApp(); // the clock: Tuesday 2026-12-01 12:00 UTC

async function call(user: TestUser | null, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload !== undefined ? { payload: payload as never } : {}) });
}

async function made(user: TestUser, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await call(user, 'POST', '/api/posts', postBody(body));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post;
}

// Tuesday 2026-12-08, 9:00–11:00 in New York (EST, UTC−5), written as UTC the way the web app used to send it.
const NEED_WINDOWS = [{ start: '2026-12-08T14:00:00Z', end: '2026-12-08T16:00:00Z' }];
// Tuesdays 8:00–12:00 New York time, a weekly rule.
const OFFER_RULE = { days: ['tue'], startTime: '08:00', endTime: '12:00', timezone: 'America/New_York' };
const HERE = { lat: 40.6782, lng: -73.9442 };

async function pair() {
  const [ann, bea] = await Promise.all([signup(ctx.app, 'Ann'), signup(ctx.app, 'Bea')]);
  const need = await made(ann, { kind: 'need', category: 'errand', title: 'Help at the pharmacy', capacity: 1, details: {}, windows: NEED_WINDOWS, location: HERE });
  const offer = await made(bea, { kind: 'offer', category: 'errand', title: 'Errands on Tuesdays', capacity: 1, details: {}, windows: [], recurrence: OFFER_RULE, location: HERE });
  return { ann, bea, need, offer };
}

async function candidate(user: TestUser, postId: string, query = '') {
  const res = await call(user, 'GET', `/api/posts/${postId}/matches${query}`);
  expect(res.statusCode, res.body).toBe(200);
  const [first] = res.json().items as { reasons: string[]; overlap: { start: string; end: string }[] }[];
  return first!;
}

describe('candidate reasons in the reader’s zone', () => {
  it('the need’s author in New York reads 9:00–11:00, in Madrid 15:00–17:00; the offer’s author likewise', async () => {
    const { ann, bea, need, offer } = await pair();

    const ny = await candidate(ann, need.id, '?tz=America/New_York');
    expect(ny.reasons).toContain('free Tue 08:00–12:00, you need 09:00–11:00');
    expect(ny.overlap[0]).toEqual({ start: '2026-12-08T09:00:00-05:00', end: '2026-12-08T11:00:00-05:00' });

    const madrid = await candidate(ann, need.id, '?tz=Europe/Madrid');
    expect(madrid.reasons).toContain('free Tue 14:00–18:00, you need 15:00–17:00');
    expect(madrid.overlap[0]).toEqual({ start: '2026-12-08T15:00:00+01:00', end: '2026-12-08T17:00:00+01:00' });

    const offerSide = await candidate(bea, offer.id, '?tz=America/New_York');
    expect(offerSide.reasons).toContain('needs Tue 09:00–11:00, you are free 08:00–12:00');
    expect((await candidate(bea, offer.id, '?tz=Asia/Tokyo')).reasons).toContain('needs Tue 23:00–Wed 01:00, you are free 22:00–Wed 02:00');
  });

  it('without `tz`, the post’s own zone: the offset its times were written with', async () => {
    const [ann, bea] = await Promise.all([signup(ctx.app, 'Ann'), signup(ctx.app, 'Bea')]);
    // As the web app now writes a one-off window: with the writer's offset.
    const need = await made(ann, {
      kind: 'need', category: 'errand', title: 'Help at the pharmacy', capacity: 1, details: {}, location: HERE,
      windows: [{ start: '2026-12-08T09:00:00-05:00', end: '2026-12-08T11:00:00-05:00' }],
    });
    await made(bea, { kind: 'offer', category: 'errand', title: 'Errands on Tuesdays', capacity: 1, details: {}, windows: [], recurrence: OFFER_RULE, location: HERE });
    expect((await candidate(ann, need.id)).reasons).toContain('free Tue 08:00–12:00, you need 09:00–11:00');
  });

  it('a `tz` that is no IANA zone is a 400 problem naming it', async () => {
    const { ann, need } = await pair();
    for (const tz of ['Mars/Olympus', '+05:00', 'UTC+5']) {
      const res = await call(ann, 'GET', `/api/posts/${need.id}/matches?tz=${encodeURIComponent(tz)}`);
      expect(res.statusCode, tz).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().errors).toEqual([{ path: '/tz', message: 'must be an IANA time zone, like "America/New_York"', code: 'time_zone' }]);
    }
  });
});

describe('exports in local time', () => {
  async function community(admin: TestUser, timezone: string) {
    const ring = [[-73.95, 40.67], [-73.94, 40.67], [-73.94, 40.685], [-73.95, 40.685], [-73.95, 40.67]];
    const res = await call(admin, 'POST', '/api/communities', {
      name: 'Crown Heights Mutual Aid', slug: `ch-${Math.random().toString(36).slice(2, 8)}`, boundary: { type: 'Polygon', coordinates: [ring] }, timezone, joinPolicy: 'open',
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().community as { id: string; slug: string };
  }

  /** The CSV's rows as objects by column name. */
  function rows(csv: string): Record<string, string>[] {
    const [header, ...lines] = csv.trim().split('\r\n');
    const names = header!.split(',');
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
  }

  it('CSV: wall-clock times in the community’s zone, named in a time_zone column; another zone on asking; GeoJSON with the offset', async () => {
    const [admin, member] = await Promise.all([signup(ctx.app, 'Admin'), signup(ctx.app, 'Member')]);
    const c = await community(admin, 'America/New_York');
    await call(member, 'POST', `/api/communities/${c.id}/join`);
    const need = await made(member, { kind: 'need', category: 'errand', title: 'Help at the pharmacy', capacity: 1, details: {}, windows: NEED_WINDOWS, location: HERE });

    const csv = await call(admin, 'GET', `/api/communities/${c.id}/export.csv`);
    expect(csv.statusCode, csv.body).toBe(200);
    const row = rows(csv.body).find((r) => r.id === need.id)!;
    expect(row).toMatchObject({ next_start: '2026-12-08 09:00', created_at: '2026-12-01 07:00', time_zone: 'America/New_York' });

    const madrid = await call(admin, 'GET', `/api/communities/${c.id}/export.csv?tz=Europe/Madrid`);
    expect(rows(madrid.body).find((r) => r.id === need.id)).toMatchObject({ next_start: '2026-12-08 15:00', created_at: '2026-12-01 13:00', time_zone: 'Europe/Madrid' });

    const geo = await call(admin, 'GET', `/api/communities/${c.id}/export.geojson`);
    const feature = (geo.json().features as { id: string; properties: Record<string, unknown> }[]).find((f) => f.id === need.id)!;
    expect(feature.properties).toMatchObject({ nextStart: '2026-12-08T09:00:00-05:00', createdAt: '2026-12-01T07:00:00-05:00', timeZone: 'America/New_York' });
  });

  it('the file is named by the day it is in the zone; a bad `tz` is a 400 problem', async () => {
    const admin = await signup(ctx.app, 'Admin');
    const c = await community(admin, 'Pacific/Kiritimati'); // UTC+14: already Wednesday at 12:00 UTC on Tuesday
    const csv = await call(admin, 'GET', `/api/communities/${c.id}/export.csv`);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="aidmap-${c.slug}-posts-2026-12-02.csv"`);
    expect((await call(admin, 'GET', `/api/communities/${c.id}/export.geojson?tz=UTC`)).headers['content-disposition']).toContain('-posts-2026-12-01.geojson');

    const bad = await call(admin, 'GET', `/api/communities/${c.id}/export.csv?tz=Nowhere/Special`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.json().errors).toEqual([{ path: '/tz', message: 'must be an IANA time zone, like "America/New_York"', code: 'time_zone' }]);
  });
});
