import { describe, expect, it } from 'vitest';
import { type Area, areaBounds, inArea, NO_FILTERS, PostsView, shows } from '../../web/src/lib/posts';
import { type Post } from '../../server/contract/posts';
import { inBBox } from '../../server/contract/bbox';

const BOX: [number, number, number, number] = [-74, 40.6, -73.9, 40.7];
let n = 0;
function post(over: Partial<Post> = {}): Post {
  n++;
  return {
    id: `p${n}`,
    kind: 'offer',
    category: 'meal',
    title: 'Soup',
    status: 'open',
    location: { lat: 40.65, lng: -73.95 },
    schedule: [{ start: '2026-12-03T17:00:00-05:00', end: '2026-12-03T19:00:00-05:00' }],
    createdAt: `2026-12-01T12:00:${String(n % 60).padStart(2, '0')}Z`,
    updatedAt: '2026-12-01T12:00:00Z',
    ...over,
  } as Post;
}

describe('which posts a view shows', () => {
  it('open, in the box (antimeridian too), passing kind, category and day filters', () => {
    expect(shows(post(), BOX, NO_FILTERS)).toBe(true);
    expect(shows(post({ status: 'matched' }), BOX, NO_FILTERS)).toBe(false);
    expect(shows(post({ location: { lat: 40.8, lng: -73.95 } }), BOX, NO_FILTERS)).toBe(false);
    expect(shows(post(), BOX, { ...NO_FILTERS, kind: 'need' })).toBe(false);
    expect(shows(post(), BOX, { ...NO_FILTERS, categories: ['ride', 'meal'] })).toBe(true);
    expect(shows(post(), BOX, { ...NO_FILTERS, categories: ['ride'] })).toBe(false);
    const thursday = { ...NO_FILTERS, from: '2026-12-03T05:00:00Z', to: '2026-12-04T05:00:00Z' };
    const friday = { ...NO_FILTERS, from: '2026-12-04T05:00:00Z', to: '2026-12-05T05:00:00Z' };
    expect(shows(post(), BOX, thursday)).toBe(true);
    expect(shows(post(), BOX, friday)).toBe(false);
    expect(inBBox([170, -10, -170, 10], 0, -175)).toBe(true);
    expect(inBBox([170, -10, -170, 10], 0, 0)).toBe(false);
  });
});

describe('a map filtered to a community', () => {
  // A square with a square hole, as GeoJSON ([lng, lat]); and a second polygon apart.
  const area: Area = {
    type: 'MultiPolygon',
    coordinates: [
      [
        [[-73.96, 40.64], [-73.94, 40.64], [-73.94, 40.66], [-73.96, 40.66], [-73.96, 40.64]],
        [[-73.952, 40.648], [-73.948, 40.648], [-73.948, 40.652], [-73.952, 40.652], [-73.952, 40.648]],
      ],
      [[[-73.92, 40.68], [-73.91, 40.68], [-73.91, 40.69], [-73.92, 40.69], [-73.92, 40.68]]],
    ],
  };

  it('knows its area: inside, in a hole, in the second polygon, outside; its bounds', () => {
    expect(inArea(area, { lat: 40.645, lng: -73.955 })).toBe(true);
    expect(inArea(area, { lat: 40.65, lng: -73.95 })).toBe(false);
    expect(inArea(area, { lat: 40.685, lng: -73.915 })).toBe(true);
    expect(inArea(area, { lat: 40.67, lng: -73.93 })).toBe(false);
    expect(inArea({ type: 'Polygon', coordinates: area.coordinates[0] as number[][][] }, { lat: 40.645, lng: -73.955 })).toBe(true);
    expect(areaBounds(area)).toEqual([-73.96, 40.64, -73.91, 40.69]);
  });

  it('keeps what the server listed; judges live newcomers and moves by the point shown', () => {
    const filters = { ...NO_FILTERS, community: { id: 'c', boundary: area } };
    const view = new PostsView(BOX, filters);
    // Listed by the server (its true place is inside), though its public point is just outside: kept, and kept through edits in place.
    const edge = post({ location: { lat: 40.661, lng: -73.95 } });
    view.reset([edge]);
    expect(view.size).toBe(1);
    expect(view.apply({ type: 'post.updated', seq: 1, post: { ...edge, title: 'Edited', updatedAt: '2026-12-01T13:00:00Z' } })).toBe(true);
    expect(view.get(edge.id)!.title).toBe('Edited');
    // New posts: in only when their point is in the area.
    expect(view.apply({ type: 'post.created', seq: 2, post: post({ location: { lat: 40.645, lng: -73.955 } }) })).toBe(true);
    expect(view.apply({ type: 'post.created', seq: 3, post: post({ location: { lat: 40.67, lng: -73.93 } }) })).toBe(false);
    // Moved out of it: out.
    expect(view.apply({ type: 'post.updated', seq: 4, post: { ...edge, location: { lat: 40.67, lng: -73.93 }, updatedAt: '2026-12-01T14:00:00Z' } })).toBe(true);
    expect(view.get(edge.id)).toBeUndefined();
    // Another community's filter is another load.
    expect(view.covers(BOX, filters)).toBe(true);
    expect(view.covers(BOX, { ...filters, community: { id: 'd', boundary: area } })).toBe(false);
    expect(view.covers(BOX, NO_FILTERS)).toBe(false);
  });
});

describe('a view kept current by live events', () => {
  it('adds new posts in view, updates, drops closed and moved-away ones, ignores older copies', () => {
    const view = new PostsView(BOX);
    const a = post();
    view.reset([a, post({ location: { lat: 41, lng: -73.95 } })]);
    expect(view.list().map((p) => p.id)).toEqual([a.id]);

    const b = post();
    expect(view.apply({ type: 'post.created', seq: 1, post: b })).toBe(true);
    expect(view.apply({ type: 'post.created', seq: 2, post: post({ location: { lat: 41, lng: 0 } }) })).toBe(false);
    expect(view.list().map((p) => p.id)).toEqual([b.id, a.id]);

    const newer = { ...a, title: 'Lentil soup', updatedAt: '2026-12-01T13:00:00Z' };
    expect(view.apply({ type: 'post.updated', seq: 3, post: newer })).toBe(true);
    expect(view.get(a.id)!.title).toBe('Lentil soup');
    expect(view.apply({ type: 'post.updated', seq: 4, post: { ...a, title: 'old' } })).toBe(false);
    expect(view.get(a.id)!.title).toBe('Lentil soup');

    expect(view.apply({ type: 'post.updated', seq: 5, post: { ...b, location: { lat: 41, lng: -73.95 }, updatedAt: '2026-12-01T14:00:00Z' } })).toBe(true);
    expect(view.apply({ type: 'post.closed', seq: 6, post: { ...newer, status: 'matched', updatedAt: '2026-12-01T15:00:00Z' } })).toBe(true);
    expect(view.size).toBe(0);
  });
});

describe('the loaded area and the view inside it', () => {
  it('keeps newest-first order through live inserts, updates and removals without re-sorting', () => {
    const area: [number, number, number, number] = [-74, 40.6, -73.9, 40.7];
    const made = Array.from({ length: 40 }, (_, i) => post({ createdAt: `2026-12-02T10:${String(i).padStart(2, '0')}:00Z` }));
    const view = new PostsView(area);
    // Loaded in a shuffled order: the view orders them.
    view.reset([...made].sort((a, b) => a.id.localeCompare(b.id)), area);
    const newestFirst = (posts: Post[]) => [...posts].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map((p) => p.id);
    expect(view.list().map((p) => p.id)).toEqual(newestFirst(made));

    // A post created later than some but not all (a replay) lands in its place; an update keeps its place.
    const middle = post({ createdAt: '2026-12-02T10:20:30Z' });
    view.apply({ type: 'post.created', seq: 1, post: middle });
    view.apply({ type: 'post.updated', seq: 2, post: { ...made[5]!, title: 'Changed', updatedAt: '2026-12-03T00:00:00Z' } });
    view.apply({ type: 'post.closed', seq: 3, post: { ...made[9]!, status: 'matched', updatedAt: '2026-12-03T00:00:00Z' } });
    const expected = [...made.filter((p) => p !== made[9]), middle];
    expect(view.list().map((p) => p.id)).toEqual(newestFirst(expected));
    expect(view.get(made[5]!.id)!.title).toBe('Changed');
  });

  it('a view inside the loaded area needs no load under the same filters; the list cuts the area to the view', () => {
    const area: [number, number, number, number] = [-74, 40.6, -73.9, 40.7];
    const view = new PostsView(area);
    const inside = post({ location: { lat: 40.65, lng: -73.95 } });
    const edge = post({ location: { lat: 40.61, lng: -73.99 } });
    view.reset([inside, edge], area, NO_FILTERS, true);
    const zoomedIn: [number, number, number, number] = [-73.97, 40.63, -73.93, 40.67];
    expect(view.covers(zoomedIn, NO_FILTERS)).toBe(true);
    expect(view.covers(zoomedIn, { ...NO_FILTERS, categories: [] })).toBe(true);
    expect(view.list(zoomedIn).map((p) => p.id)).toEqual([inside.id]);
    expect(view.list().length).toBe(2);
    expect(view.covers([-74.1, 40.63, -73.93, 40.67], NO_FILTERS)).toBe(false); // reaches outside
    expect(view.covers(zoomedIn, { ...NO_FILTERS, kind: 'need' })).toBe(false); // other filters
    expect(view.covers(zoomedIn, { ...NO_FILTERS, categories: ['meal'] })).toBe(false);
    view.reset([inside], area, NO_FILTERS, false); // the load stopped at the cap
    expect(view.covers(zoomedIn, NO_FILTERS)).toBe(false);
    // Boxes across the antimeridian are covered only by the same box.
    const wrap: [number, number, number, number] = [170, -10, -170, 10];
    view.reset([], wrap, NO_FILTERS, true);
    expect(view.covers(wrap, NO_FILTERS)).toBe(true);
    expect(view.covers([175, -5, -175, 5], NO_FILTERS)).toBe(false);
  });
});
