// The web app's live connection (web/src/lib/live.ts) against the real server:
// reconnect with backoff, resume from the last seq, each event once, resync.
import { beforeAll, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { LiveConnection, type LiveStatus, type SocketLike } from '../../web/src/lib/live';
import { useTestApp, postBody, signup } from '../helper';
import { type LiveEvent } from '../../server/contract/live';

const ctx = useTestApp();
let url: string;
let user: { cookie: string; id: string };
const HOME = { lat: 40.678213, lng: -73.944187 };
const BOX: [number, number, number, number] = [HOME.lng - 0.05, HOME.lat - 0.05, HOME.lng + 0.05, HOME.lat + 0.05];

beforeAll(async () => {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}/ws`;
  user = await signup(ctx.app, 'Web');
});

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function create(i: number): Promise<string> {
  ctx.clock.advance(1000);
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/api/posts',
    headers: { cookie: user.cookie },
    payload: postBody({ location: { lat: HOME.lat + i * 0.001, lng: HOME.lng } }),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post.id;
}

it('reconnects after a drop and resumes: the missed events once each, in order, then live ones; resync reloads', async () => {
  const got: LiveEvent[] = [];
  const statuses: LiveStatus[] = [];
  let resyncs = 0;
  const live = new LiveConnection({
    url,
    createSocket: (u) => new WebSocket(u) as unknown as SocketLike,
    onEvent: (e) => got.push(e),
    onResync: () => resyncs++,
    onStatus: (s) => statuses.push(s),
    minDelayMs: 50,
    maxDelayMs: 200,
  });
  live.subscribe(BOX);
  live.start();
  await until(() => live.lastSeq !== null, 'subscribed');

  const first = await create(1);
  await until(() => got.length === 1, 'the first event');
  expect(got[0]).toMatchObject({ type: 'post.created', post: { id: first } });

  // The server drops every socket; three posts are made before the client is back.
  for (const client of ctx.app.live.clients) {
    client.socket.terminate();
  }
  await until(() => live.status !== 'live', 'the drop');
  const missed = [await create(2), await create(3), await create(4)];
  await until(() => got.length === 4, 'the replay');
  const after = await create(5);
  await until(() => got.length === 5, 'the next live event');
  expect(got.map((e) => (e.type === 'post.created' ? e.post.id : e.type))).toEqual([first, ...missed, after]);
  const seqs = got.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(statuses).toEqual(['connecting', 'live', 'offline', 'connecting', 'live']);

  // A seq the server never issued (or one past what is kept): resync, and the app reloads.
  live.lastSeq = 1_000_000_000;
  for (const client of ctx.app.live.clients) {
    client.socket.terminate();
  }
  await until(() => resyncs === 1, 'resync');
  expect(live.lastSeq).toBeNull();
  live.stop();
});
