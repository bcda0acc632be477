import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { destinationPoint } from '../../server/geo/geo';
import { Outbox } from '../../server/live/outbox';
import { buildTestApp, openTestDatabasePair, postBody, runFollowUps, signup, TestClock, type TestContext, type TestUser } from '../helper';
import { type Frame, TestSocket } from '../live-client';

type User = TestUser;
const HOME = { lat: 40.678213, lng: -73.944187 };
const at = (bearing: number, m: number) => {
  const p = destinationPoint(HOME, bearing, m);
  return { lat: Number(p.lat.toFixed(6)), lng: Number(p.lng.toFixed(6)) };
};
/** About 5.5 km around HOME. */
const BOX = [HOME.lng - 0.05, HOME.lat - 0.05, HOME.lng + 0.05, HOME.lat + 0.05];
const FAR = { lat: 40.85, lng: -73.85 }; // the Bronx: outside BOX
const THU = { start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' };

async function listen(ctx: TestContext): Promise<string> {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
}

async function create(ctx: TestContext, user: User, overrides: Record<string, unknown>) {
  ctx.clock.advance(1000);
  const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: user.cookie }, payload: postBody(overrides) });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post as { id: string; location: { lat: number; lng: number } };
}

async function call(ctx: TestContext, user: User, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  const res = await ctx.app.inject({ method, url, headers: { cookie: user.cookie }, payload: payload as never });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

/** Every event committed so far, and those of the jobs they set going (suggestions), has been read and sent, and has reached `sockets`. */
async function settle(ctx: TestContext, ...sockets: TestSocket[]): Promise<void> {
  await runFollowUps(ctx.app);
  await ctx.app.live.wake();
  await Promise.all(sockets.map((s) => s.sync()));
}

// Every event frame the socket got (taken or not).
const events = (s: TestSocket) => s.frames.filter((f) => /^(post|match|message)\./.test(f.type));

describe('live updates on one instance', () => {
  let ctx: TestContext;
  let url: string;
  let alice: User;
  let bob: User;
  let carol: User;
  const sockets: TestSocket[] = [];
  const open = async (user?: User) => {
    const s = await TestSocket.open(url, user ? { cookie: user.cookie } : {});
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    ctx = await buildTestApp({ live: { burst: 20, ratePerSecond: 10, floodClose: 40 } });
    url = await listen(ctx);
    alice = await signup(ctx.app, 'Alice');
    bob = await signup(ctx.app, 'Bob');
    carol = await signup(ctx.app, 'Carol');
  });
  afterAll(async () => {
    for (const s of sockets) {
      s.close();
    }
    await ctx?.app.close();
  });

  it('sends posts inside the box in public form, exact only to the author; filters by kind and category', async () => {
    const anon = await open();
    anon.send({ type: 'subscribe', bbox: BOX });
    const subscribed = await anon.next('subscribed');
    expect(typeof subscribed.seq).toBe('number');
    const meals = await open();
    meals.send({ type: 'subscribe', bbox: BOX, kinds: ['need'], categories: ['meal'] });
    await meals.next('subscribed');
    const author = await open(alice);
    author.send({ type: 'subscribe', bbox: [0, 0, 1, 1] }); // elsewhere: the author hears of their own posts anyway

    const exact = at(0, 800);
    const inside = await create(ctx, alice, { location: exact, kind: 'offer' });
    await create(ctx, alice, { location: FAR });
    const needInside = await create(ctx, bob, { location: at(90, 500), kind: 'need', capacity: 1 });
    await settle(ctx, anon, meals, author);

    const seen = events(anon);
    expect(seen.map((f) => [f.type, f.post.id])).toEqual([
      ['post.created', inside.id],
      ['post.created', needInside.id],
    ]);
    expect(seen[0]!.seq).toBeLessThan(seen[1]!.seq);
    // Public form on the wire: the stored public point everyone else is shown, never the exact one.
    const shown = (await ctx.app.inject({ method: 'GET', url: `/api/posts/${inside.id}` })).json().post;
    expect(seen[0]!.post).toEqual(shown);
    expect(seen[0]!.post.location).not.toEqual(exact);
    expect(JSON.stringify(seen)).not.toContain(String(exact.lat));
    expect(events(meals).map((f) => f.post.id)).toEqual([needInside.id]);
    // The author's socket: both of Alice's posts, exact.
    const own = events(author).filter((f) => f.type.startsWith('post.'));
    expect(own.map((f) => f.type)).toEqual(['post.created', 'post.created']);
    expect(own[0]!.post.location).toEqual(exact);
  });

  it('match and message events reach the two parties only, on every socket they have open', async () => {
    const offer = await create(ctx, alice, { kind: 'offer', location: at(0, 300), windows: [THU], capacity: 1 });
    const need = await create(ctx, bob, { kind: 'need', location: at(180, 300), windows: [THU], capacity: 1 });
    await runFollowUps(ctx.app); // the suggestion of this pair is made (a job after the post)…
    await ctx.app.live.wake(); // …and goes out before the sockets below open
    const [a1, a2, b1, c1, anon] = [await open(alice), await open(alice), await open(bob), await open(carol), await open()];
    for (const s of [a1, a2, b1, c1, anon]) {
      s.send({ type: 'subscribe', bbox: BOX });
      await s.next('subscribed');
    }
    const { match } = await call(ctx, bob, 'POST', '/api/matches', { needId: need.id, offerId: offer.id, message: 'Thursday works?' });
    await call(ctx, alice, 'POST', `/api/matches/${match.id}/accept`);
    await call(ctx, alice, 'POST', `/api/matches/${match.id}/messages`, { body: 'See you at 5' });
    await settle(ctx, a1, a2, b1, c1, anon);

    const privateTypes = (s: TestSocket) => events(s).filter((f) => f.type.startsWith('match.') || f.type === 'message.created');
    for (const s of [a1, a2, b1]) {
      expect(privateTypes(s).map((f) => f.type)).toEqual(['match.proposed', 'message.created', 'match.accepted', 'message.created']);
    }
    expect(privateTypes(c1)).toEqual([]);
    expect(privateTypes(anon)).toEqual([]);
    // Before acceptance each party sees the other's post in public form only.
    const proposed = (s: TestSocket) => privateTypes(s).find((f) => f.type === 'match.proposed')!.match;
    expect(proposed(b1).offer.locationPrecisionM).toBeGreaterThan(0);
    expect(proposed(b1).offer.location).not.toEqual(at(0, 300));
    expect(proposed(a1).need.locationPrecisionM).toBeGreaterThan(0);
    expect(proposed(a1).need.location).not.toEqual(at(180, 300));
    // Each party sees the other's exact place once accepted, in their own frame.
    const accepted = (s: TestSocket) => privateTypes(s).find((f) => f.type === 'match.accepted')!.match;
    expect(accepted(b1).offer.locationPrecisionM).toBe(0);
    expect(accepted(b1).offer.location).toEqual(at(0, 300));
    expect(accepted(a1).need.location).toEqual(at(180, 300));
    expect(privateTypes(b1)[3]!.message.body).toBe('See you at 5');
    // Everyone in the box learns the two posts closed (public form).
    const closed = events(anon).filter((f) => f.type === 'post.closed').map((f) => f.post.id);
    expect(closed.sort()).toEqual([need.id, offer.id].sort());
    expect(events(anon).find((f) => f.type === 'post.closed')!.post.locationPrecisionM).toBeGreaterThan(0);
  });

  it('a post moved out of a box is announced there too (so the map can drop it), in public form; closed posts are announced', async () => {
    const here = await open();
    here.send({ type: 'subscribe', bbox: BOX });
    await here.next('subscribed');
    const there = await open();
    there.send({ type: 'subscribe', bbox: [FAR.lng - 0.02, FAR.lat - 0.02, FAR.lng + 0.02, FAR.lat + 0.02] });
    await there.next('subscribed');
    const moving = await create(ctx, carol, { location: at(300, 700), title: 'Soup to share' });
    await call(ctx, carol, 'PATCH', `/api/posts/${moving.id}`, { location: FAR });
    await call(ctx, carol, 'DELETE', `/api/posts/${moving.id}`);
    await settle(ctx, here, there);
    const mine = (s: TestSocket) => events(s).filter((f) => f.post?.id === moving.id);
    expect(mine(here).map((f) => f.type)).toEqual(['post.created', 'post.updated']);
    expect(mine(there).map((f) => f.type)).toEqual(['post.updated', 'post.closed']);
    const moved = mine(here)[1]!.post;
    expect(moved.locationPrecisionM).toBeGreaterThan(0);
    expect(moved.location).not.toEqual(FAR);
    expect(mine(there)[1]!.post.status).toBe('cancelled');
  });

  it('suggestions: both sides hear of a new one, keep it across an edit that still fits, and hear when it is withdrawn', async () => {
    const [dan, erin] = [await signup(ctx.app, 'Dan'), await signup(ctx.app, 'Erin')];
    const [d, e] = [await open(dan), await open(erin)];
    const offer = await create(ctx, dan, { kind: 'offer', category: 'repair', capacity: 1, details: {}, location: at(120, 2000), windows: [THU] });
    const need = await create(ctx, erin, { kind: 'need', category: 'repair', capacity: 1, details: {}, location: at(120, 2200), windows: [THU] });
    await settle(ctx, d, e);
    const suggested = (s: TestSocket) => events(s).filter((f) => f.type === 'match.suggested');
    expect(suggested(d).map((f) => f.match.needId)).toEqual([need.id]);
    expect(suggested(e).map((f) => f.match.offerId)).toEqual([offer.id]);
    const id = suggested(e)[0]!.match.id;
    // A suggestion shows the other side's post in public form.
    expect(suggested(e)[0]!.match.offer.locationPrecisionM).toBeGreaterThan(0);
    expect(suggested(d)[0]!.match.need.locationPrecisionM).toBeGreaterThan(0);
    // A new title still fits: the suggestion stays, with its id, and nothing is announced.
    await call(ctx, erin, 'PATCH', `/api/posts/${need.id}`, { title: 'Wobbly table leg' });
    // Another day no longer fits: it is withdrawn, and both hear it.
    await call(ctx, erin, 'PATCH', `/api/posts/${need.id}`, { windows: [{ start: '2026-12-05T09:00:00-05:00', end: '2026-12-05T10:00:00-05:00' }] });
    await settle(ctx, d, e);
    for (const s of [d, e]) {
      const about = events(s).filter((f) => f.match?.id === id);
      expect(about.map((f) => f.type)).toEqual(['match.suggested', 'match.cancelled']);
      expect(about[1]!.match.status).toBe('cancelled');
    }
  });

  it('resume replays exactly the missed events, in order, after a disconnect during a burst', async () => {
    const watcher = await open();
    watcher.send({ type: 'subscribe', bbox: BOX, categories: ['meal'] });
    const { seq: start } = await watcher.next('subscribed');
    await create(ctx, alice, { location: at(45, 200) });
    await settle(ctx, watcher);
    const last = events(watcher).at(-1)!.seq as number;
    expect(last).toBeGreaterThan(start);

    // A burst while the socket is gone: inside and outside the box, other categories, private events of others.
    watcher.close();
    await watcher.closeEvent();
    const wanted: string[] = [];
    const burst = [];
    for (let i = 0; i < 12; i++) {
      burst.push(
        create(ctx, i % 2 ? alice : bob, {
          location: i % 3 === 0 ? FAR : at(i * 30, 300 + i * 50),
          category: i % 4 === 1 ? 'grocery' : 'meal',
          capacity: i % 4 === 1 ? 1 : 4,
          details: i % 4 === 1 ? {} : { dietary: ['vegetarian'] },
        }).then((p) => {
          if (i % 3 !== 0 && i % 4 !== 1) {
            wanted.push(p.id);
          }
          return p;
        }),
      );
    }
    const made = await Promise.all(burst);

    // Back: subscribe and resume in one frame; a post made meanwhile comes after the replay, without a gap or a repeat.
    const back = await open();
    back.send({ type: 'subscribe', bbox: BOX, categories: ['meal'], since: last });
    const after = await create(ctx, bob, { location: at(200, 400) });
    await settle(ctx, back);
    const got = events(back);
    expect(got.map((f) => f.post.id)).toEqual([...made.filter((p) => wanted.includes(p.id)).map((p) => p.id).sort(bySeq(got)), after.id]);
    const seqs = got.map((f) => f.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs[0]).toBeGreaterThan(last);

    // The same with subscribe, then resume, as two frames (nothing made in between).
    const again = await open();
    again.send({ type: 'subscribe', bbox: BOX, categories: ['meal'] });
    await again.next('subscribed');
    again.send({ type: 'resume', since: last });
    await settle(ctx, again);
    expect(events(again).map((f) => f.post.id)).toEqual(got.map((f) => f.post.id));
  });

  it('resync when the resume reaches past what is kept, or names a seq never issued', async () => {
    const s = await open();
    s.send({ type: 'subscribe', bbox: BOX });
    const { seq } = await s.next('subscribed');
    s.send({ type: 'resume', since: seq + 1000 });
    await s.next('resync');
    // Nothing older than 48 hours is kept.
    const later = [{ start: '2026-12-20T17:00:00-05:00', end: '2026-12-20T19:00:00-05:00' }];
    const early = (await create(ctx, alice, { location: at(10, 100), windows: later })).id;
    await settle(ctx, s);
    const earlySeq = events(s).find((f) => f.post?.id === early)!.seq as number;
    ctx.clock.advance(49 * 3600 * 1000);
    await create(ctx, alice, { location: at(10, 150), windows: later });
    expect(await ctx.app.live.prune()).toBeGreaterThan(0);
    s.send({ type: 'resume', since: earlySeq - 1 });
    await s.next('resync');
    // A resume within what is kept works (and says nothing when there is nothing to replay).
    const recent = await create(ctx, alice, { location: at(10, 200), windows: later });
    await settle(ctx, s);
    const recentSeq = events(s).find((f) => f.post?.id === recent.id)!.seq as number;
    s.send({ type: 'resume', since: recentSeq });
    await s.sync();
    expect(s.pending.filter((f) => f.type === 'resync')).toEqual([]);
  });

  it('answers bad frames with an error and keeps the connection; pong to ping', async () => {
    const s = await open();
    const expectError = async (frame: string, code: string, message?: RegExp) => {
      s.send(frame);
      const f = await s.next('error');
      expect(f.code).toBe(code);
      if (message) {
        expect(f.message).toMatch(message);
      }
    };
    await expectError('not json', 'bad_json');
    await expectError('{"type":"dance"}', 'unknown_type', /subscribe, resume or ping/);
    await expectError('[1,2]', 'bad_frame');
    await expectError(JSON.stringify({ type: 'subscribe', bbox: [1, 2, 3] }), 'bad_frame', /four numbers/);
    await expectError(JSON.stringify({ type: 'subscribe', bbox: [-74, 41, -73, 40] }), 'bad_frame', /south/);
    await expectError(JSON.stringify({ type: 'subscribe', bbox: [-200, 40, -73, 41] }), 'bad_frame', /longitudes/);
    await expectError(JSON.stringify({ type: 'subscribe', bbox: BOX, categories: ['pizza'] }), 'bad_frame', /categories/);
    await expectError(JSON.stringify({ type: 'subscribe', bbox: BOX, extra: 1 }), 'bad_frame', /Unknown field/);
    await expectError(JSON.stringify({ type: 'resume', since: -1 }), 'bad_frame', /since/);
    await expectError(JSON.stringify({ type: 'subscribe', bbox: BOX, pad: 'x'.repeat(17 * 1024) }), 'too_large', /16 KB/);
    s.send({ type: 'ping' });
    expect((await s.next()).type).toBe('pong');
    expect(s.closed).toBeNull();
  });

  it('throttles a client flooding frames, then closes it with 1008', async () => {
    const s = await open();
    for (let i = 0; i < 200; i++) {
      s.send({ type: 'ping' });
    }
    const limited = await s.waitFor((f) => f.type === 'error');
    expect(limited.code).toBe('rate_limited');
    expect((await s.closeEvent()).code).toBe(1008);
    expect(s.frames.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(21);
  });
});

describe('live updates across two instances on one database', () => {
  let a: TestContext;
  let b: TestContext;
  let urlA: string;
  let urlB: string;
  let user: User;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    const [dbA, dbB] = await openTestDatabasePair();
    const clock = new TestClock();
    a = await buildTestApp({ database: dbA, clock });
    b = await buildTestApp({ database: dbB, clock });
    urlA = await listen(a);
    urlB = await listen(b);
    user = await signup(a.app, 'Dana');
  });
  afterAll(async () => {
    for (const s of sockets) {
      s.close();
    }
    await a?.app.close();
    await b?.app.close();
  });

  it('a change made through one instance reaches a socket on the other, and a client moving over resumes without a gap', async () => {
    const onB = await TestSocket.open(urlB);
    sockets.push(onB);
    onB.send({ type: 'subscribe', bbox: BOX });
    await onB.next('subscribed');
    const first = await create(a, user, { location: at(0, 500) });
    const got = await onB.next('post.created'); // woken by NOTIFY from A's transaction
    expect(got.post.id).toBe(first.id);

    // The client drops from B, misses two posts, and comes back on A.
    onB.close();
    const missed = [await create(a, user, { location: at(90, 500) }), await create(b, user, { location: at(180, 500) })];
    // A has read the post made through B (its hub is woken by B's NOTIFY) before the client comes back: a post's 201
    // no longer waits for its suggestions, and a frame sent live before the resume would come before the replay.
    await a.app.live.wake();
    const onA = await TestSocket.open(urlA);
    sockets.push(onA);
    onA.send({ type: 'subscribe', bbox: BOX });
    await onA.next('subscribed');
    onA.send({ type: 'resume', since: got.seq });
    const replay = [await onA.next('post.created'), await onA.next('post.created')];
    expect(replay.map((f) => f.post.id)).toEqual(missed.map((p) => p.id));
    expect(replay[0]!.seq).toBeGreaterThan(got.seq);
  });

  it('signing out closes the sockets of that session on every instance; another session of the same user keeps its own', async () => {
    const eve = await signup(a.app, 'Eve');
    const login = await b.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: eve.email, password: 'correct horse battery' } });
    expect(login.statusCode).toBe(200);
    const otherSession = String(login.headers['set-cookie']).split(';')[0]!;
    const [onA, onB, other] = [
      await TestSocket.open(urlA, { cookie: eve.cookie }),
      await TestSocket.open(urlB, { cookie: eve.cookie }),
      await TestSocket.open(urlB, { cookie: otherSession }),
    ];
    sockets.push(onA, onB, other);
    for (const s of [onA, onB, other]) {
      s.send({ type: 'ping' });
      await s.next('pong');
    }
    const out = await a.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: eve.cookie } });
    expect(out.statusCode).toBe(204);
    for (const s of [onA, onB]) {
      await expect(s.next('never')).rejects.toThrow(/socket closed \(4001 Signed out\)/);
    }
    // The other session's socket stays, and still hears its user's private events.
    other.send({ type: 'subscribe', bbox: BOX });
    await other.next('subscribed');
    const mine = await create(b, { cookie: otherSession, id: eve.id }, { location: at(0, 400) });
    expect((await other.next('post.created')).post.id).toBe(mine.id);
    expect(other.closed).toBeNull();
  });

  it('an event committed after a later-numbered one is still delivered: appends are ordered until commit', async () => {
    const s = await TestSocket.open(urlB, { cookie: user.cookie });
    sockets.push(s);
    const note = (body: string) => ({ id: body, author: { id: user.id, displayName: 'Dana' }, body, createdAt: new Date().toISOString() });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The first transaction appends and then stays open; the second appends and tries to commit meanwhile.
    const first = a.database.db.transaction(async (tx) => {
      const out = new Outbox(a.clock.now());
      out.message({ id: 'm', title: 'Thread' }, [user.id], note('first'));
      await out.flush(tx);
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    let secondDone = false;
    const second = b.database.db
      .transaction(async (tx) => {
        const out = new Outbox(b.clock.now());
        out.message({ id: 'm', title: 'Thread' }, [user.id], note('second'));
        await out.flush(tx);
      })
      .then(() => {
        secondDone = true;
      });
    await new Promise((r) => setTimeout(r, 300));
    expect(secondDone).toBe(false); // waits for the first to commit: seq order is commit order
    release();
    await Promise.all([first, second]);
    const got = [await s.next('message.created'), await s.next('message.created')];
    expect(got.map((f) => f.message.body)).toEqual(['first', 'second']);
    expect(got[0]!.seq).toBeLessThan(got[1]!.seq);
  });

  it('concurrent writers on both instances: every socket gets every event once, in seq order', async () => {
    const [onA, onB] = [await TestSocket.open(urlA), await TestSocket.open(urlB)];
    sockets.push(onA, onB);
    for (const s of [onA, onB]) {
      s.send({ type: 'subscribe', bbox: BOX, kinds: ['need'] });
      await s.next('subscribed');
    }
    const made = await Promise.all(
      Array.from({ length: 24 }, (_, i) => create(i % 2 ? a : b, user, { kind: 'need', capacity: 1, location: at(i * 15, 400 + i * 40) })),
    );
    for (const s of [onA, onB]) {
      const got = [];
      for (let i = 0; i < made.length; i++) {
        got.push(await s.next('post.created'));
      }
      expect(new Set(got.map((f) => f.post.id))).toEqual(new Set(made.map((p) => p.id)));
      const seqs = got.map((f) => f.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
  });
});

describe('heartbeat', () => {
  let ctx: TestContext;
  let url: string;
  beforeAll(async () => {
    // 400 ms, not less: the server and these sockets share one event loop, and on the embedded database
    // (PostgreSQL in WebAssembly, on that loop) a busy machine held it past a 100 ms beat, so the beat
    // came before the live socket's pong was read and dropped it (CI rehearsal, 2026-12-05).
    ctx = await buildTestApp({ live: { heartbeatMs: 400 } });
    url = await listen(ctx);
  });
  afterAll(async () => {
    await ctx?.app.close();
  });

  it('drops a socket that stops answering pings; keeps one that answers', async () => {
    const deaf = await TestSocket.open(url, { autoPong: false });
    const alive = await TestSocket.open(url);
    expect((await deaf.closeEvent(3000)).code).toBe(1006); // terminated, no closing handshake
    await new Promise((r) => setTimeout(r, 1000)); // two more beats, each a ping it must have answered
    expect(alive.closed).toBeNull();
    expect(ctx.app.live.clients.size).toBe(1);
    alive.close();
  });
});

/** Orders ids as their frames arrived. */
function bySeq(frames: Frame[]) {
  const seqOf = new Map(frames.map((f) => [f.post?.id as string, f.seq as number]));
  return (x: string, y: string) => (seqOf.get(x) ?? 0) - (seqOf.get(y) ?? 0);
}
