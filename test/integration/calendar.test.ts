// The private calendar feed of accepted matches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, postBody, signup, type TestContext } from '../helper';
import { escapeText, fold } from '../../server/calendar/ics';

let ctx: TestContext;
const logs: string[] = [];

beforeAll(async () => {
  ctx = await buildTestApp({ env: { PUBLIC_URL: 'https://aidmap.example.org/' }, logStream: { write: (line: string) => void logs.push(line) } });
});
afterAll(async () => {
  await ctx?.app.close();
});

describe('calendar feed', () => {
  it('lists the accepted matches with their time and exact place; the address is a credential: replaced, turned off, never logged', async () => {
    const [ann, bea] = [await signup(ctx.app, 'Ann'), await signup(ctx.app, 'Bea')];
    const need = (
      await ctx.app.inject({
        method: 'POST',
        url: '/api/posts',
        headers: { cookie: ann.cookie },
        payload: postBody({ kind: 'need', capacity: 1, title: 'Dinner; with, commas', location: { lat: 40.6782, lng: -73.9442 }, windows: [{ start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T20:00:00-05:00' }] }),
      })
    ).json().post;
    const offer = (
      await ctx.app.inject({
        method: 'POST',
        url: '/api/posts',
        headers: { cookie: bea.cookie },
        payload: postBody({ title: 'Soup', location: { lat: 40.679, lng: -73.945 }, windows: [{ start: '2026-12-03T18:00:00-05:00', end: '2026-12-03T21:00:00-05:00' }] }),
      })
    ).json().post;
    const match = (await ctx.app.inject({ method: 'POST', url: '/api/matches', headers: { cookie: ann.cookie }, payload: { needId: need.id, offerId: offer.id } })).json().match;
    expect((await ctx.app.inject({ method: 'POST', url: `/api/matches/${match.id}/accept`, headers: { cookie: bea.cookie } })).statusCode).toBe(200);

    const status = async () => (await ctx.app.inject({ method: 'GET', url: '/api/me/calendar', headers: { cookie: ann.cookie } })).json();
    expect(await status()).toEqual({ active: false });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me/calendar' })).statusCode).toBe(401);
    const made = await ctx.app.inject({ method: 'POST', url: '/api/me/calendar', headers: { cookie: ann.cookie } });
    expect(made.statusCode).toBe(201);
    const since = await status();
    expect(since).toMatchObject({ active: true, createdAt: expect.any(String) });
    expect(JSON.stringify(since)).not.toContain(made.json().url.split('/').pop().replace('.ics', '')); // the address is not kept
    const url = new URL(made.json().url);
    expect(url.pathname).toMatch(/^\/api\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
    // Absolute addresses come from PUBLIC_URL, never from the Host header a client chooses.
    expect(url.origin).toBe('https://aidmap.example.org');
    const spoofed = await ctx.app.inject({ method: 'POST', url: '/api/me/calendar', headers: { cookie: bea.cookie, host: 'evil.example' } });
    expect(spoofed.json().url).toMatch(/^https:\/\/aidmap\.example\.org\/api\/calendar\//);
    const feed = await ctx.app.inject({ method: 'GET', url: url.pathname });
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toMatch(/^text\/calendar/);
    const text = feed.body.replace(/\r\n /g, ''); // unfold
    expect(text).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(text).toContain(`UID:${match.id}@aidmap`);
    expect(text).toContain('DTSTART:20261203T230000Z'); // the overlap: 18:00–20:00 New York
    expect(text).toContain('DTEND:20261204T010000Z');
    expect(text).toContain('SUMMARY:Help from Bea: Dinner\\; with\\, commas');
    expect(text).toContain('GEO:40.6782;-73.9442');
    expect(feed.body.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
    // Bea's feed has it too, from her side.
    const beas = new URL((await ctx.app.inject({ method: 'POST', url: '/api/me/calendar', headers: { cookie: bea.cookie } })).json().url);
    expect((await ctx.app.inject({ method: 'GET', url: beas.pathname })).body.replace(/\r\n /g, '')).toContain('SUMMARY:Helping Ann:');

    // A new address retires the old; turning it off retires it too.
    const again = new URL((await ctx.app.inject({ method: 'POST', url: '/api/me/calendar', headers: { cookie: ann.cookie } })).json().url);
    expect((await ctx.app.inject({ method: 'GET', url: url.pathname })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: again.pathname })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'DELETE', url: '/api/me/calendar', headers: { cookie: ann.cookie } })).statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: again.pathname })).statusCode).toBe(404);
    expect(await status()).toEqual({ active: false });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/calendar/nonsense' })).statusCode).toBe(404);

    const token = url.pathname.split('/').pop()!.replace('.ics', '');
    expect(logs.join('\n')).toContain('/api/calendar/…');
    expect(logs.join('\n')).not.toContain(token);
  });

  it('escapes text and folds long lines at 75 octets without splitting a character', () => {
    expect(escapeText('a;b,c\\d\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    const long = `SUMMARY:${'ñ'.repeat(100)}`;
    const folded = fold(long).split('\r\n');
    expect(folded.every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
    expect(folded.map((l, i) => (i === 0 ? l : l.slice(1))).join('')).toBe(long);
  });
});
