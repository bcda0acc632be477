// The web app's API client (web/src/lib/api.ts) against the real server over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { ApiError, createApi, NetworkError } from '../../web/src/lib/api';
import { buildTestApp, postBody, type TestContext } from '../helper';

let ctx: TestContext;
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
  ctx = await buildTestApp();
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ctx?.app.close();
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
    const listed = await api.listPosts([-74.0, 40.6, -73.9, 40.75], { kind: 'offer', categories: ['meal'] });
    expect(listed.length).toBe(205);
    expect(new Set(listed.map((p) => p.id))).toEqual(new Set(made.map((p) => p.id)));

    const bad = await api.createPost({ ...(postBody() as object), title: '' } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).status).toBe(400);
    expect((bad as ApiError).errorsAt('/title').length).toBe(1);
    expect((bad as ApiError).errorsAt('/windows')).toEqual([]);

    await api.logout();
    const after = await api.me().catch((e: unknown) => e);
    expect((after as ApiError).status).toBe(401);
  });

  it('tells an unreachable server apart from a refusal', async () => {
    const api = createApi({ base: 'http://127.0.0.1:9', fetch: (...a) => fetch(...a) });
    await expect(api.getPost('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NetworkError);
  });
});
