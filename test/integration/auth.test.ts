import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db';
import { useTestApp, buildTestApp, signup } from '../helper';

const ctx = useTestApp();

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  return String(Array.isArray(header) ? header[0] : header);
}

describe('accounts', () => {
  it('signs up, sets an httpOnly SameSite=Lax session cookie, and knows the user', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: '  Ana.Lopez@Example.org ', password: 'a long passphrase', displayName: 'Ana 🌻' },
    });
    expect(res.statusCode).toBe(201);
    const { user } = res.json();
    expect(user).toMatchObject({ email: 'ana.lopez@example.org', displayName: 'Ana 🌻' });
    expect(user).not.toHaveProperty('passwordHash');
    const setCookie = cookieOf(res);
    expect(setCookie).toMatch(/^aidmap_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);

    const me = await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: setCookie.split(';')[0]! } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toEqual(user);
  });

  it('stores the password as an argon2id hash and the session token only hashed', async () => {
    const { cookie, email } = await signup(ctx.app);
    const token = cookie.split('=')[1]!;
    const users = rowsOf<{ password_hash: string }>(
      await ctx.database.db.execute(sql`SELECT password_hash FROM users WHERE email = ${email}`),
    );
    expect(users[0]!.password_hash).toMatch(/^\$argon2id\$/);
    const sessions = rowsOf<{ hex: string }>(
      await ctx.database.db.execute(sql`SELECT encode(token_hash, 'hex') AS hex FROM sessions`),
    );
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) {
      expect(s.hex).toHaveLength(64);
      expect(s.hex).not.toContain(Buffer.from(token).toString('hex'));
    }
  });

  it('refuses a second account for the same address, however it is written', async () => {
    const { email } = await signup(ctx.app);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { email: email.toUpperCase(), password: 'another passphrase', displayName: 'Twin' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().errors).toEqual([{ path: '/email', message: 'is already registered', code: 'email.taken' }]);
  });

  it.each([
    [{ email: 'not-an-email', password: 'long enough pw', displayName: 'X' }, '/email'],
    [{ email: 'a@example.org', password: 'short', displayName: 'X' }, '/password'],
    [{ email: 'a@example.org', password: 'long enough pw', displayName: '' }, '/displayName'],
    [{ email: 'a@example.org', password: 'long enough pw', displayName: '   ' }, '/displayName'],
    [{ email: 'a@example.org', password: 'long enough pw' }, '/displayName'],
    [{ email: 'a@example.org', password: 'long enough pw', displayName: 'X', admin: true }, '/admin'],
  ])('rejects a bad signup %j at %s', async (payload, path) => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('logs in, and fails the same way for a wrong password and an unknown address', async () => {
    const { email } = await signup(ctx.app);
    const ok = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: email.toUpperCase(), password: 'correct horse battery' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.email).toBe(email);
    expect(cookieOf(ok)).toMatch(/HttpOnly/i);

    const wrong = await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'wrong password' } });
    const unknown = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nobody-here@example.org', password: 'wrong password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('logs out: the session stops working and the cookie is cleared', async () => {
    const { cookie } = await signup(ctx.app);
    const out = await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out)).toMatch(/aidmap_session=;/);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(401);
    const again = await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(again.statusCode).toBe(401);
  });

  it('answers 401 problem+json without a session, with a forged token, and after the session expires', async () => {
    const anon = await ctx.app.inject({ method: 'GET', url: '/api/me' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(anon.json()).toMatchObject({ status: 401, title: 'Unauthorized' });

    const forged = await ctx.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: `aidmap_session=${'A'.repeat(43)}` },
    });
    expect(forged.statusCode).toBe(401);

    const { cookie } = await signup(ctx.app);
    // Past both the idle end (14 days) and the absolute one (30).
    ctx.clock.advance(31 * 24 * 3600 * 1000);
    const expired = await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(expired.statusCode).toBe(401);
  });
});

// Sign-in and sign-up limits, the password policy and sessions: accounts.test.ts.

describe('behind a TLS-terminating proxy', () => {
  // A second app on a database of its own: on the embedded database that is a new PGlite, slow on a loaded machine.
  it('marks the cookie Secure when the request came over HTTPS (TRUST_PROXY), not otherwise', { timeout: 120_000 }, async () => {
    const proxied = await buildTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
    try {
      const payload = (n: number) => ({ email: `proxy${n}@example.org`, password: 'correct horse battery', displayName: 'P' });
      const https = await proxied.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'x-forwarded-proto': 'https' },
        payload: payload(1),
      });
      expect(cookieOf(https)).toMatch(/; Secure/);
      const http = await proxied.app.inject({ method: 'POST', url: '/api/auth/signup', payload: payload(2) });
      expect(cookieOf(http)).not.toMatch(/Secure/);
    } finally {
      await proxied.app.close();
    }
  });
});
