// A body nested deeper than MAX_JSON_DEPTH is a 400 naming where, before
// any handler or recursive helper sees it (issue 13: a 30,000-deep [[[…]]]
// overflowed the stack in unstorableText and answered 500).
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../db';
import { MAX_JSON_DEPTH } from '../../server/plugins/validation';
import { useTestApp, postBody, signup } from '../helper';

const ctx = useTestApp();
let victim: { cookie: string };

beforeAll(async () => {
  victim = await signup(ctx.app);
});

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return res.json() as { status: number; detail: string; errors?: { path: string; message: string }[] };
}

async function countPosts(): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await ctx.database.db.execute(sql`SELECT count(*) AS n FROM posts`));
  return Number(row!.n);
}

describe('JSON depth', () => {
  const raw = (payload: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/posts', headers: { cookie: victim.cookie, 'content-type': 'application/json' }, payload });

  it('a 30,000-deep [[[…]]] is a 400 naming where it got too deep, not a stack overflow', async () => {
    const depth = 30_000;
    const body = expectProblem(await raw('['.repeat(depth) + ']'.repeat(depth)), 400);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toBe('/0'.repeat(MAX_JSON_DEPTH));
    expect(body.errors![0]!.message).toMatch(/nests too deeply.*32/);
  });

  it('9,000 levels under details: 400 at /details/…, nothing written', async () => {
    const before = await countPosts();
    const json = JSON.stringify(postBody({ details: 'HOLE' })).replace('"HOLE"', `{"notes":${'['.repeat(9000)}"x"${']'.repeat(9000)}}`);
    const body = expectProblem(await raw(json), 400);
    expect(body.errors![0]!.path).toBe(`/details/notes${'/0'.repeat(MAX_JSON_DEPTH - 2)}`);
    // Objects too (8,000: keys take room under the 64 KB limit), their keys escaped in the pointer.
    const objects = expectProblem(await raw(JSON.stringify(postBody({ details: 'HOLE' })).replace('"HOLE"', `${'{"~/":'.repeat(8000)}1${'}'.repeat(8000)}`)), 400);
    expect(objects.errors![0]!.path).toBe(`/details${'/~0~1'.repeat(MAX_JSON_DEPTH - 1)}`);
    expect(await countPosts()).toBe(before);
  });

  it('32 levels pass the depth check (and are judged by the schema as usual)', async () => {
    const json = JSON.stringify(postBody({ details: 'HOLE' })).replace('"HOLE"', `{"notes":${'['.repeat(MAX_JSON_DEPTH - 2)}${']'.repeat(MAX_JSON_DEPTH - 2)}}`);
    const body = expectProblem(await raw(json), 400);
    expect(body.errors?.some((e) => /nests too deeply/.test(e.message))).toBe(false);
  });
});
