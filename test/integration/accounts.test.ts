// Accounts under attack and in daily use: sign-in and sign-up limits at
// their documented values (RATE_LIMIT_SCALE=1), the password policy,
// changing the password, listing and ending sessions, idle and absolute expiry.
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { LAST_SEEN_EVERY_MS } from '../../server/auth/repository';
import { LIMITS } from '../../server/limits/plugin';
import { buildTestApp, signup, type TestContext } from '../helper';
import { TestSocket } from '../live-client';
import { endIdleSessions } from '../../server/auth/session';

const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;
const PHONE = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0';

let ctx: TestContext;
let limited: TestContext;
beforeAll(async () => {
  [ctx, limited] = await Promise.all([buildTestApp(), buildTestApp({ env: { RATE_LIMIT_SCALE: '1' } })]);
});
afterAll(async () => {
  await Promise.all([ctx?.app.close(), limited?.app.close()]);
});

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers['set-cookie'];
  return String(Array.isArray(header) ? header[0] : header).split(';')[0]!;
}

let ips = 0;
/** A client address of its own (10.x.y.z), so one test's counts never meet another's. */
function newIp(): string {
  const n = ++ips;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function login(app: TestContext['app'], email: string, password: string, ip = '127.0.0.1', userAgent?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress: ip,
    headers: userAgent ? { 'user-agent': userAgent } : {},
    payload: { email, password },
  });
}

function expect429(res: { statusCode: number; headers: Record<string, unknown>; json: () => { detail: string } }, detail: RegExp, windowS: number) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const retry = Number(res.headers['retry-after']);
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(windowS);
  expect(res.json().detail).toMatch(detail);
  expect(res.json().detail).toMatch(/Try again in \d+ (seconds|minutes|hours)\./);
}

/** Runs `n` calls, `width` at a time. */
async function inBatches<T>(n: number, width: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => call(i + k)))));
  }
  return out;
}

// Each of these checks hundreds of passwords (argon2, 19 MiB each) or opens a second database:
// seconds alone, much longer on a loaded machine.
const HEAVY = { timeout: 180_000 };

describe('sign-in limits, counted in PostgreSQL', () => {
  it('a flood of other addresses cannot evict a victim’s count: still 429 after 300 other keys; other connections unaffected', HEAVY, async () => {
    const victim = await signup(limited.app, 'Victim');
    const attacker = newIp();
    for (let i = 0; i < LIMITS.loginPerIpAndEmail.max; i++) {
      expect((await login(limited.app, victim.email, `guess number ${i}`, attacker)).statusCode).toBe(401);
    }
    expect429(await login(limited.app, victim.email.toUpperCase(), PASSWORD, attacker), /Too many sign-in attempts for this address/, 15 * 60);
    // The old in-memory LRU held 5,000 keys and forgot the oldest; counters in a table forget none.
    // 300 other (IP, address) keys, each from its own connection so no other limit steps in.
    const flood = await inBatches(300, 25, (i) => login(limited.app, `flood-${i}@example.org`, 'whatever it is', newIp()));
    expect(flood.every((r) => r.statusCode === 401)).toBe(true);
    expect429(await login(limited.app, victim.email, PASSWORD, attacker), /Too many sign-in attempts for this address/, 15 * 60);
    // The victim, from their own connection, signs in.
    expect((await login(limited.app, victim.email, PASSWORD, newIp())).statusCode).toBe(200);
    // A window later the attacker's connection may try again.
    limited.clock.advance(15 * 60_000);
    expect((await login(limited.app, victim.email, PASSWORD, attacker)).statusCode).toBe(200);
  });

  it('one connection trying 400 addresses: 401 for the first 60, then 429 for the rest of the window', HEAVY, async () => {
    const ip = newIp();
    const statuses = (await inBatches(LIMITS.loginPerIp.max, 20, (i) => login(limited.app, `sprayed-${i}@example.org`, 'Summer2024!', ip))).map((r) => r.statusCode);
    expect(statuses.every((s) => s === 401)).toBe(true);
    // The remaining 340 are refused before any password is checked (no argon2 time): all 429.
    const rest = await inBatches(400 - LIMITS.loginPerIp.max, 40, (i) => login(limited.app, `sprayed-more-${i}@example.org`, 'Summer2024!', ip));
    expect(rest.every((r) => r.statusCode === 429)).toBe(true);
    expect429(rest[0]!, /Too many sign-in attempts from this connection/, 15 * 60);
    // Even a right password from that connection waits.
    const neighbor = await signup(limited.app, 'Neighbor');
    expect((await login(limited.app, neighbor.email, PASSWORD, ip)).statusCode).toBe(429);
  });

  it('one address tried from 100 connections: the 101st in the hour is 429, whatever the connection', HEAVY, async () => {
    const target = await signup(limited.app, 'Target');
    const statuses = (await inBatches(LIMITS.loginPerEmail.max, 20, (i) => login(limited.app, target.email, `wrong ${i}`, newIp()))).map((r) => r.statusCode);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect429(await login(limited.app, target.email, PASSWORD, newIp()), /Too many sign-in attempts for this address/, 3600);
  });

  it('sign-up: 10 accounts an hour per connection, then 429 with Retry-After; another connection still signs up', async () => {
    const ip = newIp();
    const signupFrom = (from: string, i: number) =>
      limited.app.inject({ method: 'POST', url: '/api/auth/signup', remoteAddress: from, payload: { email: `bulk-${from}-${i}@example.org`, password: PASSWORD, displayName: `Bulk ${i}` } });
    for (let i = 0; i < LIMITS.signupPerIp.max; i++) {
      expect((await signupFrom(ip, i)).statusCode).toBe(201);
    }
    const refused = await signupFrom(ip, 99);
    expect429(refused, /Too many accounts were made from this connection/, 3600);
    const made = rowsOf<{ n: number }>(await limited.database.db.execute(sql`SELECT count(*)::int AS n FROM users WHERE email LIKE ${`bulk-${ip}-%`}`));
    expect(made[0]!.n).toBe(LIMITS.signupPerIp.max);
    expect((await signupFrom(newIp(), 0)).statusCode).toBe(201);
  });

  it('changing the password: 10 tries in 15 minutes per account (a stolen cookie cannot guess the current password)', async () => {
    const me = await signup(limited.app, 'Me');
    const change = (current: string) =>
      limited.app.inject({ method: 'POST', url: '/api/me/password', headers: { cookie: me.cookie }, payload: { currentPassword: current, newPassword: 'lamp violin harbor tuesday' } });
    for (let i = 0; i < LIMITS.passwordPerAccount.max; i++) {
      expect((await change(`guess ${i}`)).statusCode).toBe(403);
    }
    expect429(await change(PASSWORD), /Too many tries with the password of this account/, 15 * 60);
  });

  it('every route that asks for the password again counts on the same budget (change it, move the address, delete)', async () => {
    const me = await signup(limited.app, 'Me');
    const headers = { cookie: me.cookie };
    const tries = [
      () => limited.app.inject({ method: 'POST', url: '/api/me/password', headers, payload: { currentPassword: 'guess', newPassword: 'lamp violin harbor tuesday' } }),
      () => limited.app.inject({ method: 'POST', url: '/api/me/email', headers, payload: { email: 'elsewhere@example.org', password: 'guess' } }),
      () => limited.app.inject({ method: 'DELETE', url: '/api/me', headers, payload: { password: 'guess' } }),
    ];
    for (let i = 0; i < LIMITS.passwordPerAccount.max; i++) {
      expect((await tries[i % tries.length]!()).statusCode).toBe(403);
    }
    for (const attempt of tries) {
      expect429(await attempt(), /Too many tries with the password of this account/, 15 * 60);
    }
  });
});

describe('password policy', () => {
  it.each([
    ['12345678', /at least 10 characters/],
    ['password', /at least 10 characters/],
    ['        ', /at least 10 characters/],
    ['            ', /only spaces/],
    ['password1234', /too easy to guess/],
    ['qwertyuiop', /too easy to guess/],
  ])('sign-up refuses %j: 400 at /password with a message to act on, and no account is made', async (password, message) => {
    const email = `weak-${Math.random().toString(36).slice(2)}@example.org`;
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password, displayName: 'Weak' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const errors = res.json().errors as { path: string; message: string }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('/password');
    expect(errors[0]!.message).toMatch(message);
    expect(res.json().detail).toContain(errors[0]!.message);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await login(ctx.app, email, password)).statusCode).toBe(401);
  });

  it('refuses the e-mail address or the name as the password, and reports every field at once', async () => {
    const asEmail = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'Rosa.Parks1@Example.org', password: 'rosa.parks1@example.org', displayName: 'Rosa' } });
    expect(asEmail.statusCode).toBe(400);
    expect(asEmail.json().errors).toEqual([{ path: '/password', message: 'must not be your e-mail address or your name.', code: 'password.weak' }]);
    const asName = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'lamp@example.org', password: 'Violin Harbor', displayName: 'violin harbor' } });
    expect(asName.json().errors).toEqual([{ path: '/password', message: 'must not be your e-mail address or your name.', code: 'password.weak' }]);
    const all = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'nope', password: 'short', displayName: ' ' } });
    expect(all.json().errors.map((e: { path: string }) => e.path)).toEqual(['/email', '/displayName', '/password']);
  });

  it('takes a 256-character passphrase (judged on its first 64) quickly', async () => {
    const long = 'lamp violin harbor tuesday '.repeat(10).slice(0, 256);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'long-pass@example.org', password: long, displayName: 'Long' } });
    expect(res.statusCode).toBe(201);
    expect((await login(ctx.app, 'long-pass@example.org', long)).statusCode).toBe(200);
  });
});

describe('changing the password', () => {
  it('204: this session stays, every other one ends (its sockets close with 4001), the old password stops working', async () => {
    const me = await signup(ctx.app, 'Changer');
    const other = cookieOf(await login(ctx.app, me.email, PASSWORD, '127.0.0.1', LAPTOP));
    const stranger = await signup(ctx.app, 'Stranger');
    if (!ctx.app.server.listening) {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const url = `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
    const [otherSocket, mySocket, strangerSocket] = await Promise.all([
      TestSocket.open(url, { cookie: other }),
      TestSocket.open(url, { cookie: me.cookie }),
      TestSocket.open(url, { cookie: stranger.cookie }),
    ]);
    const change = (payload: Record<string, unknown>, cookie = me.cookie) => ctx.app.inject({ method: 'POST', url: '/api/me/password', headers: { cookie }, payload });

    const wrong = await change({ currentPassword: 'not my password', newPassword: 'lamp violin harbor tuesday' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrong.json()).toMatchObject({ detail: 'The current password is not right.', errors: [{ path: '/currentPassword', message: 'is not right' }] });
    const weak = await change({ currentPassword: PASSWORD, newPassword: 'password1234' });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors).toEqual([{ path: '/newPassword', message: expect.stringMatching(/^is too easy to guess/), code: 'password.weak' }]);
    expect((await change({ currentPassword: PASSWORD, newPassword: me.email })).json().errors[0].message).toMatch(/e-mail address or your name/);
    expect((await change({ currentPassword: PASSWORD })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/me/password', payload: { currentPassword: PASSWORD, newPassword: 'lamp violin harbor tuesday' } })).statusCode).toBe(401);
    // Nothing changed by the refusals: the other session still works.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: other } })).statusCode).toBe(200);

    const done = await change({ currentPassword: PASSWORD, newPassword: 'lamp violin harbor tuesday' });
    expect(done.statusCode).toBe(204);
    expect((await otherSocket.closeEvent()).code).toBe(4001);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: other } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: me.cookie } })).statusCode).toBe(200);
    // This session's socket and another person's stay open.
    mySocket.send({ type: 'ping' });
    expect((await mySocket.next('pong')).type).toBe('pong');
    strangerSocket.send({ type: 'ping' });
    expect((await strangerSocket.next('pong')).type).toBe('pong');
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: stranger.cookie } })).statusCode).toBe(200);

    expect((await login(ctx.app, me.email, PASSWORD)).statusCode).toBe(401);
    expect((await login(ctx.app, me.email, 'lamp violin harbor tuesday')).statusCode).toBe(200);
    const hash = rowsOf<{ h: string }>(await ctx.database.db.execute(sql`SELECT password_hash AS h FROM users WHERE id = ${me.id}`));
    expect(hash[0]!.h).toMatch(/^\$argon2id\$/);
    for (const s of [mySocket, strangerSocket]) {
      s.ws.close();
    }
  });
});

describe('your sessions', () => {
  it('lists them (this one first, browsers named, ids that are not tokens), ends one by id, and signs out everywhere else', async () => {
    const signed = await ctx.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      headers: { 'user-agent': LAPTOP },
      payload: { email: 'sessions@example.org', password: PASSWORD, displayName: 'Sessions' },
    });
    const laptop = cookieOf(signed);
    ctx.clock.advance(60_000);
    const phone = cookieOf(await login(ctx.app, 'sessions@example.org', PASSWORD, '127.0.0.1', PHONE));
    ctx.clock.advance(60_000);
    const tablet = cookieOf(await login(ctx.app, 'sessions@example.org', PASSWORD));
    const other = await signup(ctx.app, 'Someone else');
    const list = async (cookie: string) => {
      const res = await ctx.app.inject({ method: 'GET', url: '/api/me/sessions', headers: { cookie } });
      expect(res.statusCode).toBe(200);
      return res.json().items as { id: string; createdAt: string; lastSeenAt: string; userAgent: string | null; current: boolean }[];
    };

    const fromPhone = await list(phone);
    expect(fromPhone.map((s) => [s.userAgent, s.current])).toEqual([
      ['Chrome on Android', true],
      ['lightMyRequest', false],
      ['Firefox on Linux', false],
    ]);
    expect(fromPhone[0]!.createdAt).toBe(new Date(ctx.clock.now().getTime() - 60_000).toISOString());
    const tokens = [laptop, phone, tablet].map((c) => c.split('=')[1]!);
    for (const s of fromPhone) {
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
      expect(tokens.some((t) => t.includes(s.id))).toBe(false);
    }
    expect((await list(laptop))[0]).toMatchObject({ userAgent: 'Firefox on Linux', current: true });

    // Another person's session, or one that never was: 404 alike; a malformed id: 400.
    const theirs = (await list(other.cookie))[0]!.id;
    for (const id of [theirs, 'AAAAAAAAAAAA']) {
      const res = await ctx.app.inject({ method: 'DELETE', url: `/api/me/sessions/${id}`, headers: { cookie: phone } });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await ctx.app.inject({ method: 'DELETE', url: '/api/me/sessions/x', headers: { cookie: phone } })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: other.cookie } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/me/sessions/${theirs}` })).statusCode).toBe(401);

    if (!ctx.app.server.listening) {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const url = `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
    const laptopSocket = await TestSocket.open(url, { cookie: laptop });
    const laptopId = fromPhone.find((s) => s.userAgent === 'Firefox on Linux')!.id;
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/me/sessions/${laptopId}`, headers: { cookie: phone } })).statusCode).toBe(204);
    expect((await laptopSocket.closeEvent()).code).toBe(4001);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: laptop } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/me/sessions/${laptopId}`, headers: { cookie: phone } })).statusCode).toBe(404);
    expect((await list(phone)).map((s) => s.userAgent)).toEqual(['Chrome on Android', 'lightMyRequest']);

    const tabletSocket = await TestSocket.open(url, { cookie: tablet });
    const everywhere = await ctx.app.inject({ method: 'POST', url: '/api/me/sessions/revoke-others', headers: { cookie: phone } });
    expect(everywhere.statusCode).toBe(200);
    expect(everywhere.json()).toEqual({ ended: 1 });
    expect((await tabletSocket.closeEvent()).code).toBe(4001);
    expect((await list(phone)).map((s) => s.current)).toEqual([true]);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/me/sessions/revoke-others', headers: { cookie: phone } })).json()).toEqual({ ended: 0 });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: other.cookie } })).statusCode).toBe(200);

    // Ending this very session by its id signs this browser out, cookie and all.
    const self = await ctx.app.inject({ method: 'DELETE', url: `/api/me/sessions/${(await list(phone))[0]!.id}`, headers: { cookie: phone } });
    expect(self.statusCode).toBe(204);
    expect(String(self.headers['set-cookie'])).toMatch(/aidmap_session=;/);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: phone } })).statusCode).toBe(401);
  });
});

describe('session expiry', () => {
  async function lastSeen(cookie: string): Promise<string> {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/me/sessions', headers: { cookie } });
    return res.json().items[0].lastSeenAt;
  }

  it(`records the last request at most every ${LAST_SEEN_EVERY_MS / 60_000} minutes`, async () => {
    const me = await signup(ctx.app, 'Seen');
    const start = ctx.clock.now().toISOString();
    ctx.clock.advance(LAST_SEEN_EVERY_MS - 1000);
    expect(await lastSeen(me.cookie)).toBe(start);
    ctx.clock.advance(1000);
    const later = ctx.clock.now().toISOString();
    // The request that finds it old writes it (and still answers from before the write)…
    await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: me.cookie } });
    // …and the ones after within the interval do not.
    ctx.clock.advance(60_000);
    expect(await lastSeen(me.cookie)).toBe(later);
  });

  it('ends a session after 14 idle days, and a busy one 30 days after sign-in', async () => {
    const idle = await signup(ctx.app, 'Idle');
    const me = (cookie: string) => ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    ctx.clock.advance(13 * DAY);
    expect((await me(idle.cookie)).statusCode).toBe(200);
    // Used on day 13: idle again from there.
    ctx.clock.advance(14 * DAY - 60_000);
    expect((await me(idle.cookie)).statusCode).toBe(200);
    ctx.clock.advance(14 * DAY + 60_000);
    expect((await me(idle.cookie)).statusCode).toBe(401);

    // Busy: a request every 10 days keeps it from idling, but not past day 30.
    const busy = await signup(ctx.app, 'Busy');
    for (let day = 10; day < 30; day += 10) {
      ctx.clock.advance(10 * DAY);
      expect((await me(busy.cookie)).statusCode, `day ${day}`).toBe(200);
    }
    ctx.clock.advance(9 * DAY);
    expect((await me(busy.cookie)).statusCode).toBe(200);
    ctx.clock.advance(DAY + 1000);
    expect((await me(busy.cookie)).statusCode).toBe(401);
  });

  it('shorter lifetimes come from SESSION_IDLE_DAYS and SESSION_MAX_DAYS; the cookie lasts as long as the absolute one', HEAVY, async () => {
    const short = await buildTestApp({ env: { SESSION_IDLE_DAYS: '1', SESSION_MAX_DAYS: '2' } });
    try {
      const res = await short.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'short@example.org', password: PASSWORD, displayName: 'Short' } });
      expect(String(res.headers['set-cookie'])).toMatch(/Max-Age=172800/);
      const cookie = cookieOf(res);
      const me = () => short.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      short.clock.advance(DAY - 60_000);
      expect((await me()).statusCode).toBe(200);
      short.clock.advance(DAY - 60_000);
      expect((await me()).statusCode).toBe(200);
      short.clock.advance(2 * 60_000);
      expect((await me()).statusCode).toBe(401);
    } finally {
      await short.app.close();
    }
  });

  it('ended sessions are deleted now and then, and their sockets closed', async () => {
    const stays = await signup(ctx.app, 'Stays');
    const goes = await signup(ctx.app, 'Goes');
    if (!ctx.app.server.listening) {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    }
    const socket = await TestSocket.open(`ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`, { cookie: goes.cookie });
    ctx.clock.advance(10 * DAY);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: stays.cookie } })).statusCode).toBe(200);
    ctx.clock.advance(5 * DAY);
    expect(await endIdleSessions(ctx.app)).toBeGreaterThanOrEqual(1);
    expect((await socket.closeEvent()).code).toBe(4001);
    const left = rowsOf<{ user_id: string }>(await ctx.database.db.execute(sql`SELECT user_id FROM sessions WHERE user_id IN (${stays.id}, ${goes.id})`));
    expect(left.map((r) => r.user_id)).toEqual([stays.id]);
  });
});

describe('OpenAPI', () => {
  it('documents the account routes from their schemas, each behind the session', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const password = doc.paths['/api/me/password'].post;
    expect(Object.keys(password.requestBody.content['application/json'].schema.properties)).toEqual(['currentPassword', 'newPassword']);
    expect(Object.keys(password.responses)).toEqual(expect.arrayContaining(['204', '400', '401', '403', '429']));
    expect(doc.paths['/api/me/sessions'].get.responses['200'].content['application/json'].schema.properties.items.items.required).toEqual(
      expect.arrayContaining(['id', 'createdAt', 'lastSeenAt', 'userAgent', 'current']),
    );
    expect(Object.keys(doc.paths['/api/me/sessions/{id}'].delete.responses)).toEqual(expect.arrayContaining(['204', '404']));
    expect(doc.paths['/api/me/sessions/revoke-others'].post.responses['200']).toBeDefined();
    for (const op of [password, doc.paths['/api/me/sessions'].get, doc.paths['/api/me/sessions/{id}'].delete, doc.paths['/api/me/sessions/revoke-others'].post]) {
      expect(op.security).toEqual([{ session: [] }]);
    }
    expect(doc.paths['/api/auth/signup'].post.requestBody.content['application/json'].schema.properties.password.description).toMatch(/at least 10 characters/);
  });
});
