// The web app's API client (web/src/lib/api.ts) against the real server over HTTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ApiError, createApi, NetworkError } from '../../web/src/lib/api';
import { useTestApp, postBody } from '../helper';

const ctx = useTestApp();

/** A GET through node:http, which (unlike fetch) hands over the body as sent, still compressed. */
function request(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
let base: string;

/** fetch with a cookie jar, as a browser keeps the session cookie. */
function browserFetch(): typeof fetch {
  let cookie = '';
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (cookie) {
      headers.set('cookie', cookie);
    }
    const res = await fetch(input, { ...init, headers });
    const set = res.headers.get('set-cookie');
    if (set) {
      cookie = set.split(';')[0]!;
    }
    return res;
  };
}

beforeAll(async () => {
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
});

describe('web API client', () => {
  it('signs up, posts, lists every page of the box, and reads field errors from problems', async () => {
    const api = createApi({ base, fetch: browserFetch() });
    const user = await api.signup({ email: 'web-client@example.org', password: 'correct horse battery', displayName: 'Web' });
    expect((await api.me()).id).toBe(user.id);

    const made = [];
    for (let i = 0; i < 205; i++) {
      ctx.clock.advance(1000);
      made.push(await api.createPost(postBody({ location: { lat: 40.6782 + i * 0.0001, lng: -73.9442 } }) as never));
    }
    const firstPages: number[] = [];
    const listed = await api.listPosts([-74.0, 40.6, -73.9, 40.75], { kind: 'offer', categories: ['meal'] }, { pageSize: 60, onFirstPage: (p) => firstPages.push(p.length) });
    expect(listed.length).toBe(205);
    expect(new Set(listed.map((p) => p.id))).toEqual(new Set(made.map((p) => p.id)));
    expect(listed.map((p) => p.id)).toEqual(made.map((p) => p.id).reverse());
    expect(firstPages).toEqual([60]);
    // The default page is the API's largest: one request for these.
    expect(await api.listPosts([-74.0, 40.6, -73.9, 40.75], {}, { onFirstPage: (p) => firstPages.push(p.length) })).toHaveLength(205);
    expect(firstPages).toEqual([60]);
    // Up to a cap: the newest.
    expect((await api.listPosts([-74.0, 40.6, -73.9, 40.75], {}, { pageSize: 50, max: 120 })).map((p) => p.id)).toEqual(made.map((p) => p.id).reverse().slice(0, 120));

    const bad = await api.createPost({ ...(postBody() as object), title: '' } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).status).toBe(400);
    expect((bad as ApiError).errorsAt('/title').length).toBe(1);
    expect((bad as ApiError).errorsAt('/windows')).toEqual([]);

    // A busy box's listing travels compressed (what a phone on a slow link pays for), and decodes to the same JSON.
    const url = `${base}/api/posts?bbox=-74.0,40.6,-73.9,40.75&limit=1000`;
    const plain = await request(url, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    for (const encoding of ['br', 'gzip']) {
      const packed = await request(url, { 'accept-encoding': encoding });
      expect(packed.headers['content-encoding']).toBe(encoding);
      expect(packed.headers.vary).toMatch(/accept-encoding/i);
      const body = encoding === 'br' ? brotliDecompressSync(packed.body) : gunzipSync(packed.body);
      expect(JSON.parse(body.toString())).toEqual(JSON.parse(plain.body.toString()));
      expect(packed.body.length).toBeLessThan(plain.body.length / 5);
    }
    // A problem is compressed or not, and still a problem a client can read.
    const problem = await request(`${base}/api/posts?bbox=nonsense`, { 'accept-encoding': 'gzip' });
    expect(problem.status).toBe(400);
    expect(problem.headers['content-type']).toMatch(/application\/problem\+json/);

    await api.logout();
    const after = await api.me().catch((e: unknown) => e);
    expect((after as ApiError).status).toBe(401);
  }, 120_000); // 205 posts through the real client: slow on the embedded database while other files run

  it('a post whose answer was lost, sent again, is made once (Idempotency-Key); a new post after success is a new one', async () => {
    const inner = browserFetch();
    let loseNextAnswer = false;
    const keys: (string | null)[] = [];
    // The request reaches the server and is done, then the connection drops before the answer arrives.
    const flaky: typeof fetch = async (input, init = {}) => {
      keys.push(new Headers(init.headers).get('idempotency-key'));
      const res = await inner(input, init);
      if (loseNextAnswer) {
        loseNextAnswer = false;
        throw new TypeError('fetch failed');
      }
      return res;
    };
    const api = createApi({ base, fetch: flaky });
    await api.signup({ email: 'weak-signal@example.org', password: 'correct horse battery', displayName: 'Weak signal' });
    const body = postBody({ title: 'Soup, sent twice' }) as never;
    loseNextAnswer = true;
    await expect(api.createPost(body)).rejects.toBeInstanceOf(NetworkError);
    const again = await api.createPost(body);
    expect(keys.at(-1)).toBe(keys.at(-2));
    expect(keys.at(-1)).toMatch(/^[0-9a-f]{32}$/);
    const mine = (await inner(`${base}/api/me/posts`).then((r) => r.json())) as { items: { id: string; title: string }[] };
    expect(mine.items.filter((p) => p.title === 'Soup, sent twice').map((p) => p.id)).toEqual([again.id]);
    // Once answered, the same body again is a new post with a new key.
    const second = await api.createPost(body);
    expect(second.id).not.toBe(again.id);
    expect(keys.at(-1)).not.toBe(keys.at(-2));
  });

  it('tells an unreachable server apart from a refusal', async () => {
    const api = createApi({ base: 'http://127.0.0.1:9', fetch: (...a) => fetch(...a) });
    await expect(api.getPost('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NetworkError);
  });
});
