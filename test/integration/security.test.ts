// Headers, origins, content types and JSON depth: what a hostile page or a
// hostile body can make the server do (issue 13).
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rowsOf } from '../../db';
import { TOO_MANY_SOCKETS_CLOSE } from '../../server/live/plugin';
import { tileSource } from '../../server/plugins/security';
import { buildTestApp, postBody, signup, type TestContext } from '../helper';

const PUBLIC = 'https://aidmap.example.org';
const PARTNER = 'https://partner.example.net';
const EVIL = 'https://evil.example';
const MAX_SOCKETS = 3;

let ctx: TestContext;
let victim: { cookie: string; id: string };

beforeAll(async () => {
  // Behind a proxy (TRUST_PROXY), so tests can say which scheme, host and
  // client address a request came with.
  ctx = await buildTestApp({
    env: { TRUST_PROXY: 'true', PUBLIC_URL: PUBLIC, ALLOWED_ORIGINS: `${PARTNER}/`, WS_MAX_PER_IP: String(MAX_SOCKETS) },
  });
  victim = await signup(ctx.app, 'Victim');
});
afterAll(async () => {
  await ctx?.app.close();
});

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = res.json() as { status: number; detail: string; errors?: { path: string; message: string }[] };
  expect(body.status).toBe(status);
  return body;
}

async function countPosts(): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await ctx.database.db.execute(sql`SELECT count(*) AS n FROM posts`));
  return Number(row!.n);
}

async function signedIn(cookie: string): Promise<boolean> {
  return (await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })).statusCode === 200;
}

function csp(res: { headers: Record<string, unknown> }): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of String(res.headers['content-security-policy']).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) {
      map.set(name, values);
    }
  }
  return map;
}

describe('headers', () => {
  it('a CSP that lets the map load tiles and the app reach its own socket, and nothing else', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/config', headers: { host: 'aidmap.test:8080' } });
    const policy = csp(res);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('img-src')).toEqual(["'self'", 'data:', 'https://tile.openstreetmap.org']);
    expect(policy.get('connect-src')).toEqual(["'self'", 'wss://aidmap.example.org', 'ws://aidmap.test:8080', 'wss://aidmap.test:8080']);
    expect(policy.get('worker-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  });

  it('a Host header that is not a plain name is not echoed into the policy', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/config', headers: { host: "evil; script-src 'unsafe-inline'" } });
    expect(csp(res).get('script-src')).toEqual(["'self'"]);
    expect(csp(res).get('connect-src')).toEqual(["'self'", 'wss://aidmap.example.org']);
  });

  it('the tile source follows TILE_URL: {s} subdomains as a wildcard, odd hosts by scheme', () => {
    expect(tileSource('https://tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe('https://tile.openstreetmap.org');
    expect(tileSource('https://{s}.tile.example.org/{z}/{x}/{y}.png')).toBe('https://*.tile.example.org');
    expect(tileSource('http://tiles.local:8081/{z}/{x}/{y}.png')).toBe('http://tiles.local:8081');
    expect(tileSource('https://tiles-{r}.example.org/{z}/{x}/{y}.png')).toBe('https:');
    expect(tileSource('/tiles/{z}/{x}/{y}.png')).toBeNull();
  });

  it('the API docs get a policy of their own, still unframeable', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/docs' });
    const policy = csp(res);
    expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('HSTS only on answers that came over HTTPS', async () => {
    const plain = await ctx.app.inject({ method: 'GET', url: '/api/config' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const tls = await ctx.app.inject({ method: 'GET', url: '/api/config', headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('without TRUST_PROXY, a client saying X-Forwarded-Proto: https gets no HSTS', async () => {
    // The same database, which this second app must not close.
    const direct = await buildTestApp({ database: { ...ctx.database, close: async () => {} } });
    try {
      const res = await direct.app.inject({ method: 'GET', url: '/api/config', headers: { 'x-forwarded-proto': 'https' } });
      expect(res.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await direct.app.close();
    }
  });

  it('private answers are no-store; public ones keep their caching', async () => {
    const me = await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: victim.cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
    const matches = await ctx.app.inject({ method: 'GET', url: '/api/matches', headers: { cookie: victim.cookie } });
    expect(matches.statusCode).toBe(200);
    expect(matches.headers['cache-control']).toBe('no-store');
    const created = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: victim.cookie }, payload: postBody() });
    const candidates = await ctx.app.inject({ method: 'GET', url: `/api/posts/${created.json().post.id}/matches`, headers: { cookie: victim.cookie } });
    expect(candidates.statusCode).toBe(200);
    expect(candidates.headers['cache-control']).toBe('no-store');
    const problem = await ctx.app.inject({ method: 'GET', url: '/api/me' });
    expect(problem.statusCode).toBe(401);
    expect(problem.headers['cache-control']).toBe('no-store');
    const config = await ctx.app.inject({ method: 'GET', url: '/api/config' });
    expect(config.headers['cache-control']).toBe('public, max-age=300');
  });
});

describe('origins of writes', () => {
  const post = (headers: Record<string, string>) =>
    ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: victim.cookie, ...headers }, payload: postBody() });

  it('another site’s page cannot post, delete or sign out with a victim’s cookie: 403, nothing done', async () => {
    const before = await countPosts();
    const body = expectProblem(await post({ origin: EVIL }), 403);
    expect(body.detail).toMatch(/another site/);
    expect(await countPosts()).toBe(before);

    const mine = await post({});
    expect(mine.statusCode).toBe(201);
    const id = mine.json().post.id as string;
    expectProblem(await ctx.app.inject({ method: 'DELETE', url: `/api/posts/${id}`, headers: { cookie: victim.cookie, origin: EVIL } }), 403);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/posts/${id}`, headers: { cookie: victim.cookie } })).json().post.status).toBe('open');

    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: victim.cookie, origin: EVIL } }), 403);
    expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/me/calendar', headers: { cookie: victim.cookie, origin: EVIL } }), 403);
    expect(await signedIn(victim.cookie)).toBe(true);
  });

  it('an opaque origin ("null": a sandboxed frame, a data: page) is refused', async () => {
    expectProblem(await post({ origin: 'null' }), 403);
  });

  it('a look-alike of our origin is refused: another scheme, port or a suffix', async () => {
    for (const origin of ['http://aidmap.test', 'https://aidmap.test:8443', 'https://aidmap.test.evil.example', `${PUBLIC}.evil.example`]) {
      expectProblem(await post({ origin, host: 'aidmap.test', 'x-forwarded-proto': 'https' }), 403);
    }
  });

  it('our own origin (scheme and host as the request reached us), PUBLIC_URL’s and ALLOWED_ORIGINS’ are accepted', async () => {
    expect((await post({ origin: 'http://aidmap.test', host: 'aidmap.test' })).statusCode).toBe(201);
    expect((await post({ origin: 'https://aidmap.test', host: 'aidmap.test:443', 'x-forwarded-proto': 'https' })).statusCode).toBe(201);
    // Through the proxy: the host the browser asked for is in X-Forwarded-Host.
    expect((await post({ origin: 'https://front.example', host: 'backend:3000', 'x-forwarded-host': 'front.example', 'x-forwarded-proto': 'https' })).statusCode).toBe(201);
    expect((await post({ origin: PUBLIC, host: 'backend:3000' })).statusCode).toBe(201);
    expect((await post({ origin: PARTNER, host: 'backend:3000' })).statusCode).toBe(201);
  });

  it('no Origin (a script, curl) passes; reads from any origin pass', async () => {
    expect((await post({})).statusCode).toBe(201);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: victim.cookie, origin: EVIL } })).statusCode).toBe(200);
  });
});

describe('content types of writes', () => {
  const send = (payload: string, type: string | undefined, url = '/api/posts') =>
    ctx.app.inject({ method: 'POST', url, headers: { cookie: victim.cookie, ...(type ? { 'content-type': type } : {}) }, payload });

  it('a body that is not JSON is 415, whatever it holds, and nothing is written', async () => {
    const before = await countPosts();
    const json = JSON.stringify(postBody());
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const body = expectProblem(await send(json, type), 415);
      expect(body.detail).toMatch(/Content-Type: application\/json/);
    }
    expect(await countPosts()).toBe(before);
  });

  it('a body with no Content-Type at all is 415', async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: victim.cookie }, body: Buffer.from(JSON.stringify(postBody())) });
    expectProblem(res, 415);
  });

  it('application/json with a charset is JSON', async () => {
    expect((await send(JSON.stringify(postBody()), 'Application/JSON; charset=utf-8')).statusCode).toBe(201);
  });

  it('a bodyless write: with a form’s Content-Type 415; bare, as the web app sends it, allowed', async () => {
    const other = await signup(ctx.app, 'Leaving');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      expectProblem(await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: other.cookie, 'content-type': type } }), 415);
    }
    expect(await signedIn(other.cookie)).toBe(true);
    const res = await ctx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: other.cookie, origin: 'http://aidmap.test', host: 'aidmap.test' } });
    expect(res.statusCode).toBe(204);
    expect(await signedIn(other.cookie)).toBe(false);
  });
});

describe('live sockets', () => {
  let url: string;
  let port: number;
  beforeAll(async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    port = (ctx.app.server.address() as AddressInfo).port;
    url = `ws://127.0.0.1:${port}/ws`;
  });

  interface Opened {
    ws: WebSocket;
    closed: Promise<{ code: number; reason: string }>;
  }
  /** Opens a socket; resolves when open, or rejects with the handshake's HTTP status. */
  function open(headers: Record<string, string> = {}, origin?: string): Promise<Opened> {
    const ws = new WebSocket(url, { headers, ...(origin ? { origin } : {}) });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, closed }));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }
  async function pong(ws: WebSocket): Promise<unknown> {
    const answer = new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
    ws.send(JSON.stringify({ type: 'ping' }));
    return answer;
  }
  async function closeAll(sockets: Opened[]) {
    for (const s of sockets) {
      s.ws.close();
    }
    await Promise.all(sockets.map((s) => s.closed));
  }

  it('another site’s page cannot open /ws with a victim’s cookie: the upgrade is refused with 403', async () => {
    await expect(open({ cookie: victim.cookie }, EVIL)).rejects.toThrow('HTTP 403');
    await expect(open({ cookie: victim.cookie }, 'null')).rejects.toThrow('HTTP 403');
  });

  it('our own origin and no origin open, and talk', async () => {
    const own = await open({ cookie: victim.cookie }, `http://127.0.0.1:${port}`);
    const publicOrigin = await open({ cookie: victim.cookie }, PUBLIC);
    const script = await open();
    for (const s of [own, publicOrigin, script]) {
      expect(await pong(s.ws)).toEqual({ type: 'pong' });
    }
    await closeAll([own, publicOrigin, script]);
  });

  it(`one address holds at most ${MAX_SOCKETS} sockets: the next is closed with ${TOO_MANY_SOCKETS_CLOSE} and a reason; others are not affected`, async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const held = await Promise.all(Array.from({ length: MAX_SOCKETS }, () => open(from('198.51.100.7'))));
    const over = await open(from('198.51.100.7'));
    const refused = await over.closed;
    expect(refused.code).toBe(TOO_MANY_SOCKETS_CLOSE);
    expect(refused.reason).toMatch(/Too many live connections/);
    // Another address is counted on its own.
    const neighbor = await open(from('198.51.100.8'));
    expect(await pong(neighbor.ws)).toEqual({ type: 'pong' });
    // Closing one frees its place.
    await closeAll([held[0]!]);
    const again = await open(from('198.51.100.7'));
    expect(await pong(again.ws)).toEqual({ type: 'pong' });
    await closeAll([...held.slice(1), neighbor, again]);
  });
});
