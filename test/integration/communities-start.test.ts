// Starting a community as a person on a phone does (issue 16, item 5): the
// short name is made from the name when none is sent (the rule the app
// shows as one types, server/contract/slug.ts), a taken one is a 409 that
// names a free one, and an outline the server cannot use is a 400 that says
// which corners to move (the rule the app previews, outlineProblem).
import { describe, expect, it } from 'vitest';
import { type Corner, outlineAreaKm2, outlineProblem } from '../../server/contract/communities';
import { freeSlug, slugify } from '../../server/contract/slug';
import { signup, type TestUser, useTestApp } from '../helper';

const ctx = useTestApp();

// Flatbush, roughly ([lng, lat], closed).
const FLATBUSH = {
  type: 'Polygon',
  coordinates: [
    [
      [-73.965, 40.635],
      [-73.945, 40.635],
      [-73.945, 40.655],
      [-73.965, 40.655],
      [-73.965, 40.635],
    ],
  ],
};

async function start(user: TestUser, body: Record<string, unknown>) {
  return ctx.app.inject({
    method: 'POST',
    url: '/api/communities',
    headers: { cookie: user.cookie },
    payload: { name: "Flatbush Tenants' Union", boundary: FLATBUSH, timezone: 'America/New_York', joinPolicy: 'open', ...body },
  });
}

describe('short names', () => {
  it('are made from names: lower case, accents folded, apostrophes joined, other runs a dash', () => {
    expect(slugify("Flatbush Tenants' Union")).toBe('flatbush-tenants-union');
    expect(slugify('  Peña Café — Ayuda Mutua  ')).toBe('pena-cafe-ayuda-mutua');
    expect(slugify('Straße & Øresund Łódź')).toBe('strasse-oresund-lodz');
    expect(slugify('O’Brien’s Block #5')).toBe('obriens-block-5');
    expect(slugify('社区')).toBe('');
    expect(slugify('x'.repeat(59) + ' yz')).toBe('x'.repeat(59));
    expect(slugify('a'.repeat(80))).toHaveLength(60);
    for (const name of ['Crown Heights', '--a--b--', 'ÀÉÎÕÜ 123', 'a'.repeat(59) + '-b']) {
      expect(slugify(name)).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
    expect(freeSlug('ab', new Set(['ab', 'ab-2']))).toBe('ab-3');
    expect(freeSlug('a'.repeat(60), new Set(['a'.repeat(60)]))).toBe(`${'a'.repeat(58)}-2`);
  });

  it('a community sent without one gets the name’s, made free with -2 when taken', async () => {
    const ana = await signup(ctx.app, 'Ana');
    const first = await start(ana, {});
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().community.slug).toBe('flatbush-tenants-union');
    const second = await start(ana, {});
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().community.slug).toBe('flatbush-tenants-union-2');
    // A name in another script gives no letters to use.
    const other = await start(ana, { name: '社区互助' });
    expect(other.statusCode, other.body).toBe(201);
    expect(other.json().community.slug).toMatch(/^community(-\d+)?$/);
  });

  it('a taken one asked for is a 409 problem naming a free one, which then works', async () => {
    const [bo, cy] = [await signup(ctx.app, 'Bo'), await signup(ctx.app, 'Cy')];
    expect((await start(bo, { name: 'Ditmas Park', slug: 'ditmas-park' })).statusCode).toBe(201);
    expect((await start(bo, { name: 'Ditmas Park', slug: 'ditmas-park-2' })).statusCode).toBe(201);
    const taken = await start(cy, { name: 'Ditmas Park', slug: 'ditmas-park' });
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(taken.json()).toMatchObject({
      status: 409,
      suggestedSlug: 'ditmas-park-3',
      errors: [{ path: '/slug', message: 'is taken; "ditmas-park-3" is free' }],
    });
    expect(taken.json().detail).toContain('"ditmas-park-3" is free');
    const again = await start(cy, { name: 'Ditmas Park', slug: taken.json().suggestedSlug });
    expect(again.statusCode, again.body).toBe(201);
    // A refused one was not counted against the day's three.
    expect((await start(cy, { name: 'Ditmas Park', slug: 'ditmas-park-east' })).statusCode).toBe(201);
  });

  it('one not of the form is still a 400 naming the field', async () => {
    const di = await signup(ctx.app, 'Di');
    const res = await start(di, { slug: 'Not A Slug' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('/slug');
  });
});

describe('drawn areas', () => {
  it('an outline the server cannot use is a 400 saying which corners to move', async () => {
    const eva = await signup(ctx.app, 'Eva');
    const ring = (corners: number[][]) => ({ type: 'Polygon', coordinates: [[...corners, corners[0]!]] });
    const cases: [number[][], RegExp][] = [
      // A bow tie: corner 2 and 3 swapped, as a tap in the wrong order makes it.
      [[[-73.965, 40.635], [-73.945, 40.655], [-73.945, 40.635], [-73.965, 40.655]], /^crosses itself: the edge from corner 1 to corner 2 crosses or touches the edge from corner 3 to corner 4; move a corner so that no two edges meet$/],
      // Two taps on the same spot and one elsewhere.
      [[[-73.965, 40.635], [-73.945, 40.655], [-73.945, 40.655]], /^needs at least 3 different corners to enclose an area$/],
      // Three corners on a line.
      [[[-73.965, 40.635], [-73.955, 40.645], [-73.945, 40.655]], /^encloses no area: its corners lie on one line$/],
      // A corner dragged back onto an edge: the outline touches itself.
      [[[-73.965, 40.635], [-73.945, 40.635], [-73.945, 40.655], [-73.955, 40.635]], /^crosses itself: the edge from corner 1 to corner 2 crosses or touches the edge from corner 3 to corner 4/],
    ];
    for (const [corners, message] of cases) {
      const res = await start(eva, { slug: `area-${Math.random().toString(36).slice(2, 8)}`, boundary: ring(corners) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const [error] = res.json().errors as { path: string; message: string }[];
      expect(error!.path).toBe('/boundary/coordinates/0');
      expect(error!.message).toMatch(message);
    }
  });

  it('the app’s preview finds what the server refuses, and measures what it keeps', async () => {
    const corners = FLATBUSH.coordinates[0]!.slice(0, 4) as Corner[];
    expect(outlineProblem(corners)).toBeNull();
    const made = await start(await signup(ctx.app, 'Flo'), { slug: 'preview-check' });
    expect(made.statusCode).toBe(201);
    // Measured on the sphere here, on the spheroid by PostGIS: within 1 %.
    expect(Math.abs(outlineAreaKm2(corners) - made.json().community.areaKm2) / made.json().community.areaKm2).toBeLessThan(0.01);
    expect(outlineProblem([corners[0]!, corners[2]!, corners[1]!, corners[3]!])).toEqual({ kind: 'crossing', edges: [[0, 1], [2, 3]] });
    expect(outlineProblem(corners.slice(0, 2))).toEqual({ kind: 'tooFewCorners' });
    // Half the planet: too large (and its edges too long).
    expect(outlineProblem([[-100, 0], [0, 0], [0, 60], [-100, 60]])).toMatchObject({ kind: 'longEdge' });
    expect(outlineProblem([[-75, 40], [-73, 40], [-73, 42], [-75, 42]])).toMatchObject({ kind: 'tooLarge' });
  });
});
