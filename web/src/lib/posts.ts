// The posts the map and the list show: what the last load returned for the
// box and filters, kept current by live events. Plain TypeScript (the Svelte
// state class wraps it), so the rules are unit-tested without a browser.
import type { Post } from '../../../server/posts/schemas';
import { inBBox } from '../../../server/geo/bbox';
import type { BBox, LiveEvent } from '../../../server/live/schemas';

export interface ViewFilters {
  kind: 'need' | 'offer' | null;
  categories: string[];
  /** Only posts with a window meeting [from, to) (ISO instants); null: any time. */
  from: string | null;
  to: string | null;
}

export const NO_FILTERS: ViewFilters = { kind: null, categories: [], from: null, to: null };

/** Whether a post belongs in the view: open, in the box, and passing the filters (the server's rules for listings). */
export function shows(post: Post, bbox: BBox, f: ViewFilters): boolean {
  if (post.status !== 'open' || !inBBox(bbox, post.location.lat, post.location.lng)) {
    return false;
  }
  if (f.kind && post.kind !== f.kind) {
    return false;
  }
  if (f.categories.length > 0 && !f.categories.includes(post.category)) {
    return false;
  }
  if (f.from || f.to) {
    const from = f.from ? Date.parse(f.from) : -Infinity;
    const to = f.to ? Date.parse(f.to) : Infinity;
    return post.schedule.some((w) => Date.parse(w.end) > from && Date.parse(w.start) < to);
  }
  return true;
}

export class PostsView {
  private readonly byId = new Map<string, Post>();

  constructor(
    public bbox: BBox,
    public filters: ViewFilters = NO_FILTERS,
  ) {}

  /** Replaces everything with a fresh load for the current box and filters. */
  reset(posts: Post[]): void {
    this.byId.clear();
    for (const p of posts) {
      if (shows(p, this.bbox, this.filters)) {
        this.byId.set(p.id, p);
      }
    }
  }

  /**
   * Applies a live event; true when the view changed. An update can bring a
   * post in (moved into the box, reopened) or take it out (closed, moved away).
   */
  apply(event: LiveEvent): boolean {
    if (!('post' in event)) {
      return false;
    }
    const post = event.post;
    const had = this.byId.has(post.id);
    if (shows(post, this.bbox, this.filters)) {
      const old = this.byId.get(post.id);
      // Never step back: an older copy (a replay after a fresh load) does not replace a newer one.
      if (old && Date.parse(old.updatedAt) > Date.parse(post.updatedAt)) {
        return false;
      }
      this.byId.set(post.id, post);
      return true;
    }
    if (had) {
      this.byId.delete(post.id);
      return true;
    }
    return false;
  }

  get(id: string): Post | undefined {
    return this.byId.get(id);
  }

  /** Newest first, as the API lists them. */
  list(): Post[] {
    return [...this.byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  get size(): number {
    return this.byId.size;
  }
}
