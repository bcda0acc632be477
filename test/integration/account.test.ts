// One's own account: the name others see, and deleting it all: posts
// cancelled (the other side told), exact places erased, signed out
// everywhere, messages kept in the other's thread from "a former neighbour".
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { buildTestApp, postBody, signup, type TestUser, useTestApp } from '../helper';

const ctx = useTestApp();
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

async function call(user: TestUser | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return ctx.app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, payload: payload as never });
}

async function create(user: TestUser, overrides: Record<string, unknown>) {
  ctx.clock.advance(1000);
  const res = await call(user, 'POST', '/api/posts', postBody({ windows: [THU], ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post as { id: string };
}

describe('the name others see, and the language one is written to in', () => {
  it('changes, trimmed; blank or the deleted accounts’ name is a 400', async () => {
    const ann = await signup(ctx.app, 'Ann');
    const renamed = await call(ann, 'PATCH', '/api/me', { displayName: '  Ann B.  ' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toEqual({ displayName: 'Ann B.', locale: 'en' });
    expect((await call(ann, 'PATCH', '/api/me', { locale: 'es' })).json()).toEqual({ displayName: 'Ann B.', locale: 'es' });
    expect((await call(ann, 'PATCH', '/api/me', { locale: 'fr' })).statusCode).toBe(400);
    expect((await call(ann, 'PATCH', '/api/me', {})).statusCode).toBe(400);
    expect((await call(ann, 'GET', '/api/me')).json().user.displayName).toBe('Ann B.');
    for (const displayName of ['   ', 'a former NEIGHBOUR', 'x'.repeat(61)]) {
      const res = await call(ann, 'PATCH', '/api/me', { displayName });
      expect(res.statusCode, displayName).toBe(400);
      expect(res.json().errors[0].path).toBe('/displayName');
    }
    expect((await call(null, 'PATCH', '/api/me', { displayName: 'Anon' })).statusCode).toBe(401);
  });
});

describe('deleting an account', () => {
  it('asks for the password; then cancels, erases, signs out everywhere, and keeps the other side’s thread', async () => {
    const del = await signup(ctx.app, 'Dora');
    const other = await signup(ctx.app, 'Olaf');
    const need = await create(del, { kind: 'need', title: 'Soup please', capacity: 1, location: { lat: 40.6782, lng: -73.9442 } });
    const ride = await create(del, { kind: 'need', title: 'Ride please', category: 'ride', details: { destination: { lat: 40.7, lng: -73.95 } }, capacity: 1 });
    const offer = await create(other, { kind: 'offer', title: 'Soup here' });
    const m = await call(other, 'POST', '/api/matches', { needId: need.id, offerId: offer.id, message: 'I have soup' });
    const matchId = m.json().match.id as string;
    expect((await call(del, 'POST', `/api/matches/${matchId}/accept`)).statusCode).toBe(200);
    ctx.clock.advance(1000);
    expect((await call(del, 'POST', `/api/matches/${matchId}/messages`, { body: 'Thank you, I live at 12 Elm St' })).statusCode).toBe(201);
    await call(del, 'POST', '/api/me/alerts', { center: { lat: 40.68, lng: -73.94 }, radiusM: 1000, categories: ['meal'] });
    // A second device.
    const login = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: del.email, password: 'correct horse battery' } });
    const second = { ...del, cookie: (login.headers['set-cookie'] as string).split(';')[0]! };

    const wrong = await call(del, 'DELETE', '/api/me', { password: 'not it at all' });
    expect(wrong.statusCode).toBe(403);
    expect((await call(del, 'GET', '/api/me')).statusCode).toBe(200);

    ctx.clock.advance(1000);
    const gone = await call(del, 'DELETE', '/api/me', { password: 'correct horse battery' });
    expect(gone.statusCode, gone.body).toBe(200);
    expect(gone.json()).toEqual({ cancelledPosts: 2 });
    expect(gone.headers['set-cookie']).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect((await call(del, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(second, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: del.email, password: 'correct horse battery' } })).statusCode).toBe(401);

    // The other side: the match cancelled and told by nobody's name; the thread kept, from a former neighbour.
    expect((await call(other, 'GET', `/api/matches/${matchId}`)).json().match.status).toBe('cancelled');
    const told = (await call(other, 'GET', '/api/me/notifications')).json().items.find((n: { kind: string }) => n.kind === 'match.cancelled');
    expect(told.data.actorName).toBe('A former neighbour');
    expect(JSON.stringify(told)).not.toContain('Dora');
    const thread = (await call(other, 'GET', `/api/matches/${matchId}/messages`)).json().items as { author: { displayName: string }; body: string }[];
    // Oldest first.
    expect(thread.map((x) => [x.author.displayName, x.body])).toEqual([
      ['Olaf', 'I have soup'],
      ['A former neighbour', 'Thank you, I live at 12 Elm St'],
    ]);

    // Nothing exact is left, and nothing personal of theirs.
    const places = rowsOf<{ exact: boolean; status: string }>(
      await ctx.database.db.execute(sql`
        SELECT (location = public_location AND destination IS NOT DISTINCT FROM public_destination) AS exact, status FROM posts WHERE author_id = ${del.id}`),
    );
    expect(places).toEqual([
      { exact: true, status: 'cancelled' },
      { exact: true, status: 'cancelled' },
    ]);
    const [left] = rowsOf<{ n: number }>(
      await ctx.database.db.execute(sql`
        SELECT (SELECT count(*) FROM alerts WHERE user_id = ${del.id}) + (SELECT count(*) FROM notifications WHERE user_id = ${del.id})
             + (SELECT count(*) FROM sessions WHERE user_id = ${del.id}) AS n`),
    );
    expect(Number(left!.n)).toBe(0);
    const [row] = rowsOf<{ email: string; display_name: string; deleted_at: string | null }>(
      await ctx.database.db.execute(sql`SELECT email, display_name, deleted_at FROM users WHERE id = ${del.id}`),
    );
    expect(row).toMatchObject({ display_name: 'A former neighbour' });
    expect(row!.email).not.toContain(del.email.split('@')[0]!);
    expect(row!.deleted_at).not.toBeNull();

    // The address is free again.
    const again = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: del.email, password: 'another good passphrase', displayName: 'Dora' } });
    expect(again.statusCode, again.body).toBe(201);
    expect(ride.id).toBeTruthy();
  });
});

describe('guessing the password by deleting', () => {
  it('shares the password-change budget: the 11th try in 15 minutes is 429, and nothing is deleted', { timeout: 120_000 }, async () => {
    const limited = await buildTestApp({ env: { RATE_LIMIT_SCALE: '1' } });
    try {
      const victim = await signup(limited.app, 'Vic');
      const tryWith = (password: string) => limited.app.inject({ method: 'DELETE', url: '/api/me', headers: { cookie: victim.cookie }, payload: { password } });
      for (let i = 0; i < 5; i++) {
        expect((await limited.app.inject({ method: 'POST', url: '/api/me/password', headers: { cookie: victim.cookie }, payload: { currentPassword: `guess ${i}`, newPassword: 'a brand new passphrase' } })).statusCode).toBe(403);
      }
      for (let i = 0; i < 5; i++) {
        expect((await tryWith(`guess ${i}`)).statusCode).toBe(403);
      }
      const limitedTry = await tryWith('correct horse battery');
      expect(limitedTry.statusCode).toBe(429);
      expect(limitedTry.headers['retry-after']).toBeDefined();
      expect((await limited.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: victim.cookie } })).statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });
});
