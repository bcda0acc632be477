// Web Push end to end on the server's side: a browser's subscription is
// registered through the API, a proposal notifies the need's author, the
// queue runs the push job, and a stand-in push service on 127.0.0.1 gets
// the message as a real one would: encrypted for the subscription's keys
// (RFC 8291, aes128gcm), signed with the key /api/push/key gives (VAPID,
// RFC 8292). The service's answers then decide what becomes of the
// subscription and the job.
import { createECDH, createPublicKey, type ECDH, randomBytes, verify } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { MAX_PUSH_SUBSCRIPTIONS, type PushMessage } from '../../server/contract/push';
import { postBody, signup, type TestUser, useTestApp } from '../helper';

// http_ece ships no types: the one function used, as its README gives it.
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: Buffer }): Buffer;
};

const CONTACT = 'mailto:push-test@aidmap.example';
const ctx = useTestApp({ env: { PUSH_CONTACT: CONTACT } });

/** What the stand-in push service received. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A push service on 127.0.0.1: answers each path with the next of its statuses (201 when none are left). */
class PushService {
  readonly received: Received[] = [];
  private readonly statuses = new Map<string, number[]>();
  private server!: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        res.statusCode = this.statuses.get(path)?.shift() ?? 201;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The next answers to requests at `path`. */
  answer(path: string, ...statuses: number[]): void {
    this.statuses.set(path, statuses);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

const service = new PushService();
beforeAll(() => service.start());
afterAll(() => service.stop());

/** A browser's side of a subscription: its key pair and secret, as PushManager.subscribe makes them. */
interface Browser {
  path: string;
  endpoint: string;
  ecdh: ECDH;
  auth: Buffer;
  json: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

let browsers = 0;
function browser(): Browser {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const path = `/push/${++browsers}-${randomBytes(6).toString('hex')}`;
  const endpoint = `${service.origin}${path}`;
  return { path, endpoint, ecdh, auth, json: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: auth.toString('base64url') } } };
}

async function subscribe(user: TestUser, b: Browser = browser(), expected = 201): Promise<Browser> {
  const res = await ctx.app.inject({ method: 'POST', url: '/api/me/push-subscriptions', headers: { cookie: user.cookie }, payload: b.json });
  expect(res.statusCode, res.body).toBe(expected);
  return b;
}

function decrypt(b: Browser, body: Buffer): unknown {
  return JSON.parse(ece.decrypt(body, { version: 'aes128gcm', privateKey: b.ecdh, authSecret: b.auth }).toString('utf8'));
}

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await ctx.database.db.execute(query));
}

const pushJobs = (userId: string) =>
  rows<{ id: number; attempts: number; failed_at: string | null; last_error: string | null }>(
    sql`SELECT j.id, j.attempts, j.failed_at, j.last_error FROM jobs j JOIN notifications n ON n.id = (j.payload ->> 'notificationId')::uuid
        WHERE j.kind = 'push' AND n.user_id = ${userId}`,
  );

const subscriptionsOf = (userId: string) =>
  rows<{ id: string; endpoint: string }>(sql`SELECT id, endpoint FROM push_subscriptions WHERE user_id = ${userId} ORDER BY created_at, id`);

/** A need of `needer`'s and an offer of `helper`'s that fit, and `helper` proposing the match: `needer` is notified. */
async function propose(needer: TestUser, helper: TestUser, title = 'Ride to the eye doctor') {
  ctx.clock.advance(1000);
  const need = await ctx.app.inject({
    method: 'POST',
    url: '/api/posts',
    headers: { cookie: needer.cookie },
    payload: postBody({ kind: 'need', title, capacity: 1, details: {} }),
  });
  expect(need.statusCode, need.body).toBe(201);
  const offer = await ctx.app.inject({
    method: 'POST',
    url: '/api/posts',
    headers: { cookie: helper.cookie },
    payload: postBody({ kind: 'offer', title: 'Soup on Wednesdays', capacity: 2 }),
  });
  expect(offer.statusCode, offer.body).toBe(201);
  const match = await ctx.app.inject({
    method: 'POST',
    url: '/api/matches',
    headers: { cookie: helper.cookie },
    payload: { needId: need.json().post.id, offerId: offer.json().post.id },
  });
  expect(match.statusCode, match.body).toBe(201);
  return { needId: need.json().post.id as string, matchId: match.json().match.id as string };
}

/** The claims of a JWS compact token, once its ES256 signature verifies with `publicKey` (an uncompressed P-256 point, base64url). */
function verifiedClaims(token: string, publicKey: string): Record<string, unknown> {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ alg: 'ES256' });
  const point = Buffer.from(publicKey, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  // JWS signs with r || s (RFC 7518 §3.4), not DER.
  const ok = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  expect(ok, 'the VAPID signature verifies with /api/push/key').toBe(true);
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('push delivery', () => {
  it('delivers an encrypted, VAPID-signed message to the person notified, and none to the one who acted', async () => {
    const needer = await signup(ctx.app, 'Ada');
    const helper = await signup(ctx.app, 'Grace');
    const needersPhone = await subscribe(needer);
    const helpersPhone = await subscribe(helper);

    const keyRes = await ctx.app.inject({ method: 'GET', url: '/api/push/key' });
    expect(keyRes.statusCode).toBe(200);
    const { publicKey } = keyRes.json() as { publicKey: string };
    expect(Buffer.from(publicKey, 'base64url')).toHaveLength(65);

    const { needId, matchId } = await propose(needer, helper);
    expect(await pushJobs(needer.id)).toHaveLength(1);
    const signedAfter = Date.now() / 1000;
    await ctx.app.queue.wake();

    const [got, ...more] = service.at(needersPhone.path);
    expect(more).toEqual([]);
    expect(got!.headers['content-encoding']).toBe('aes128gcm');
    expect(got!.headers.ttl).toBe('86400');
    expect(got!.headers.urgency).toBe('normal');
    const auth = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(String(got!.headers.authorization));
    expect(auth, String(got!.headers.authorization)).not.toBeNull();
    expect(auth![2]).toBe(publicKey);
    const claims = verifiedClaims(auth![1]!, publicKey);
    expect(claims.aud).toBe(service.origin);
    expect(claims.sub).toBe(CONTACT);
    // RFC 8292 §2: in the future, and no more than 24 hours ahead of when it was signed. web-push stamps it by the
    // system clock at signing, which happened between `signedAfter` and now: a rule on the token, not on speed.
    const now = Date.now() / 1000;
    expect(claims.exp).toBeGreaterThan(now);
    expect(Number(claims.exp) - signedAfter).toBeLessThanOrEqual(86_400);

    expect(decrypt(needersPhone, got!.body)).toEqual({
      title: 'Grace offered to help',
      body: 'Ride to the eye doctor',
      url: `/matches/${matchId}`,
      tag: `match:${matchId}`,
    } satisfies PushMessage);
    expect(needId).toBeTruthy();
    // Grace proposed: her phone hears nothing of it.
    expect(service.at(helpersPhone.path)).toEqual([]);
    expect(await pushJobs(needer.id)).toEqual([]);
  });

  it('writes in the language of the person notified', async () => {
    const needer = await signup(ctx.app, 'Ada');
    const helper = await signup(ctx.app, 'Grace');
    const phone = await subscribe(helper);
    await ctx.database.db.execute(sql`UPDATE users SET locale = 'es' WHERE id = ${helper.id}`);
    const { matchId } = await propose(needer, helper, 'Llevarme al oculista');
    const accept = await ctx.app.inject({ method: 'POST', url: `/api/matches/${matchId}/accept`, headers: { cookie: needer.cookie } });
    expect(accept.statusCode, accept.body).toBe(200);
    await ctx.app.queue.wake();
    const [got] = service.at(phone.path);
    expect(decrypt(phone, got!.body)).toEqual({ title: 'Ada aceptó el acuerdo', body: 'Llevarme al oculista', url: `/matches/${matchId}`, tag: `match:${matchId}` });
  });

  it('deletes a subscription the push service calls gone (410)', async () => {
    const needer = await signup(ctx.app);
    const helper = await signup(ctx.app);
    const phone = await subscribe(needer);
    const laptop = await subscribe(needer);
    service.answer(phone.path, 410);
    await propose(needer, helper);
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toHaveLength(1);
    expect(service.at(laptop.path)).toHaveLength(1);
    expect((await subscriptionsOf(needer.id)).map((s) => s.endpoint)).toEqual([laptop.endpoint]);
    expect(await pushJobs(needer.id)).toEqual([]);
  });

  it('tries again after the backoff when the push service fails (500), and delivers once', async () => {
    const needer = await signup(ctx.app);
    const helper = await signup(ctx.app);
    const phone = await subscribe(needer);
    service.answer(phone.path, 500);
    await propose(needer, helper);
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toHaveLength(1);
    const [job] = await pushJobs(needer.id);
    expect(job).toMatchObject({ attempts: 1, failed_at: null });
    expect(job!.last_error).toMatch(/500/);

    // Not before its time…
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toHaveLength(1);
    // …and after it (the first wait is 10 s, a tenth either way).
    ctx.clock.advance(11_001);
    await ctx.app.queue.wake();
    const tries = service.at(phone.path);
    expect(tries).toHaveLength(2);
    expect(decrypt(phone, tries[1]!.body)).toMatchObject({ title: 'Neighbor offered to help' });
    expect(await pushJobs(needer.id)).toEqual([]);
    ctx.clock.advance(3_600_000);
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toHaveLength(2);
    expect(await subscriptionsOf(needer.id)).toHaveLength(1);
  });

  it('gives the job up when the push service refuses the message (400), keeping the subscription', async () => {
    const needer = await signup(ctx.app);
    const helper = await signup(ctx.app);
    const phone = await subscribe(needer);
    service.answer(phone.path, 400);
    await propose(needer, helper);
    await ctx.app.queue.wake();
    const [job] = await pushJobs(needer.id);
    expect(job!.failed_at).not.toBeNull();
    expect(job!.last_error).toMatch(/400/);
    expect(await subscriptionsOf(needer.id)).toHaveLength(1);
  });

  it('sends nothing for a kind the person turned off for push', async () => {
    const needer = await signup(ctx.app);
    const helper = await signup(ctx.app);
    const phone = await subscribe(needer);
    await ctx.database.db.execute(sql`INSERT INTO notification_prefs (user_id, kind, channel, enabled) VALUES (${needer.id}, 'match.proposed', 'push', false)`);
    await propose(needer, helper);
    expect(await pushJobs(needer.id)).toEqual([]);
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toEqual([]);
    // The inbox has it all the same.
    const inbox = await ctx.app.inject({ method: 'GET', url: '/api/me/notifications', headers: { cookie: needer.cookie } });
    expect(inbox.json().items.map((n: { kind: string }) => n.kind)).toEqual(['match.proposed']);
  });

  it('sends nothing once the notification was read, or once its browser belongs to someone else', async () => {
    const needer = await signup(ctx.app);
    const helper = await signup(ctx.app);
    const phone = await subscribe(needer);
    const laptop = await subscribe(needer);
    await propose(needer, helper);
    expect(await pushJobs(needer.id)).toHaveLength(2);
    // Read in the app while the push waited…
    const read = await ctx.app.inject({ method: 'POST', url: '/api/me/notifications/read', headers: { cookie: needer.cookie }, payload: { all: true } });
    expect(read.statusCode, read.body).toBeLessThan(300);
    // …and the laptop's browser signed in to another account.
    const other = await signup(ctx.app);
    await subscribe(other, laptop);
    await ctx.app.queue.wake();
    expect(service.at(phone.path)).toEqual([]);
    expect(service.at(laptop.path)).toEqual([]);
    expect(await pushJobs(needer.id)).toEqual([]);
  });
});

describe('push subscriptions', () => {
  it('registers a browser once (201, then 200), moves it to whoever registers it next, forgets it on request', async () => {
    const ada = await signup(ctx.app);
    const grace = await signup(ctx.app);
    const b = await subscribe(ada);
    const again = await subscribe(ada, b, 200);
    expect((await subscriptionsOf(ada.id)).map((s) => s.endpoint)).toEqual([again.endpoint]);

    await subscribe(grace, b, 201);
    expect(await subscriptionsOf(ada.id)).toEqual([]);
    expect((await subscriptionsOf(grace.id)).map((s) => s.endpoint)).toEqual([b.endpoint]);

    // Ada cannot remove Grace's; Grace can, and removing it twice is fine.
    const del = (user: TestUser) =>
      ctx.app.inject({ method: 'DELETE', url: '/api/me/push-subscriptions', headers: { cookie: user.cookie }, payload: { endpoint: b.endpoint } });
    expect((await del(ada)).statusCode).toBe(204);
    expect(await subscriptionsOf(grace.id)).toHaveLength(1);
    expect((await del(grace)).statusCode).toBe(204);
    expect((await del(grace)).statusCode).toBe(204);
    expect(await subscriptionsOf(grace.id)).toEqual([]);
  });

  it(`keeps at most ${MAX_PUSH_SUBSCRIPTIONS} browsers a person, dropping the oldest`, async () => {
    const user = await signup(ctx.app);
    const all: Browser[] = [];
    for (let i = 0; i <= MAX_PUSH_SUBSCRIPTIONS; i++) {
      ctx.clock.advance(1000);
      all.push(await subscribe(user));
    }
    expect((await subscriptionsOf(user.id)).map((s) => s.endpoint)).toEqual(all.slice(1).map((b) => b.endpoint));
  });

  it('refuses what cannot be pushed to, saying which field', async () => {
    const user = await signup(ctx.app);
    const good = browser().json;
    const post = (payload: unknown, cookie: string | null = user.cookie) =>
      ctx.app.inject({ method: 'POST', url: '/api/me/push-subscriptions', headers: cookie ? { cookie } : {}, payload: payload as never });
    const refused = async (payload: unknown, path: string) => {
      const res = await post(payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    expect((await post(good, null)).statusCode).toBe(401);
    await refused({ ...good, endpoint: 'http://push.example.org/x' }, '/endpoint');
    await refused({ ...good, endpoint: 'https://10.1.2.3/x' }, '/endpoint');
    await refused({ ...good, endpoint: 'https://intranet/x' }, '/endpoint');
    await refused({ ...good, endpoint: 'https://user:pw@push.example.org/x' }, '/endpoint');
    await refused({ ...good, endpoint: 'not a url' }, '/endpoint');
    await refused({ ...good, endpoint: `https://push.example.org/${'x'.repeat(2100)}` }, '/endpoint');
    await refused({ ...good, keys: { ...good.keys, p256dh: randomBytes(33).toString('base64url') } }, '/keys/p256dh');
    // 65 bytes in the right form, but not a point on the curve.
    await refused({ ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url') } }, '/keys/p256dh');
    await refused({ ...good, keys: { ...good.keys, p256dh: 'not base64!' } }, '/keys/p256dh');
    await refused({ ...good, keys: { ...good.keys, auth: randomBytes(12).toString('base64url') } }, '/keys/auth');
    await refused({ ...good, keys: { p256dh: good.keys.p256dh } }, '/keys/auth');
    await refused({ ...good, extra: 1 }, '/extra');
    // A real push service's address, with the keys padded as some browsers send them, is taken.
    const padded = { ...good, endpoint: 'https://fcm.googleapis.com/fcm/send/abc:def', keys: { p256dh: `${good.keys.p256dh}=`, auth: `${good.keys.auth}==` } };
    expect((await post(padded)).statusCode).toBe(201);
    expect(await subscriptionsOf(user.id)).toHaveLength(1);
  });

  it('gives the same key on every start: it is derived from the stored secret', async () => {
    const first = (await ctx.app.inject({ method: 'GET', url: '/api/push/key' })).json();
    const stored = await rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM secrets WHERE name = 'vapid'`);
    expect(stored).toEqual([{ n: 1 }]);
    const { loadVapidKeys } = await import('../../server/push/vapid');
    expect((await loadVapidKeys(ctx.database.db)).publicKey).toBe(first.publicKey);
  });
});
