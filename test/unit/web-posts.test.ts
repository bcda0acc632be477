import { describe, expect, it } from 'vitest';
import type { Post } from '../../server/posts/schemas';
import { inBBox } from '../../server/geo/bbox';
import { NO_FILTERS, PostsView, shows } from '../../web/src/lib/posts';

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
