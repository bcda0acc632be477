// The posts in view: loaded for the map's box and filters, then kept current
// by the live connection; and the one selected on the map or in the list.
// The last list is kept on the device and shown when no load gets an answer.
import type { BBox } from '../../../server/contract/live';
import { Action } from '../lib/action.svelte';
import { type Api, NetworkError, type Post } from '../lib/api';
import type { View } from '../lib/map';
import { holds, NO_FILTERS, PostsView, type ViewFilters } from '../lib/posts';
import type { Kept } from './kept';
import type { LiveState } from './live.svelte';
import type { OfflineState } from './offline.svelte';
import type { SessionState } from './session.svelte';
import type { ViewState } from './view.svelte';

/** The most posts one view loads (the newest); past it the app asks to zoom in. */
export const MAX_POSTS = 10_000;

/** What the device keeps of the posts in view: the loaded area and its posts. */
interface KeptPosts {
  area: BBox;
  posts: Post[];
}
/** Where the list is kept (by the API's cache, beside its reads; a name no API path has). */
const KEPT = 'posts-in-view';
/** Live changes to the list are kept once they pause this long (a burst is written once). */
const KEEP_AFTER_MS = 5000;

export class PostsState {
  /** The list: the posts in the current view, newest first (replaced, not mutated, so views redraw once). */
  posts = $state.raw<Post[]>([]);
  /** The map: every post of the loaded area (a box around the view), so zooming in needs no load. */
  mapPosts = $state.raw<Post[]>([]);
  /** The last load stopped at MAX_POSTS: the view holds more than the app shows. */
  truncated = $state(false);
  selected = $state<string | null>(null);
  /** A first load has come back (until then the list says "loading", not "nothing here"). */
  loaded = $state(false);
  /** The load for the box: busy while it runs, its problem if it failed. */
  readonly loading: Action;

  private readonly api: Api;
  private readonly postsView = new PostsView([0, 0, 0, 0], NO_FILTERS);
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  /** The load under way: its box, its filters, and how a newer one stops it (null: none). */
  private inFlight: { bbox: BBox; filters: ViewFilters; abort: AbortController } | null = null;
  private postsFrame = false;
  /** When what the list holds was loaded. */
  private listedAt = 0;
  /** For whom the server loaded what the list holds (null: it is the device's copy, not to be kept again as new). */
  private listedFor: string | null = null;
  private keepTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    session: SessionState,
    private readonly view: ViewState,
    private readonly live: LiveState,
    private readonly offline: OfflineState,
  ) {
    this.api = session.api;
    this.loading = new Action(session);
    live.watch((event) => {
      if ('post' in event && this.postsView.apply(event)) {
        this.schedulePosts();
        this.keepSoon();
      }
    });
  }

  /** A post of the list, as the device may show it offline when it has no copy of the post's own page. */
  kept(id: string): Kept<{ post: Post }> | undefined {
    const post = this.postsView.get(id);
    return post && this.listedAt ? { at: this.listedAt, value: { post } } : undefined;
  }

  /** The map moved: remember where, then narrow the list to the new box, or reload (and resubscribe) past what is loaded. */
  moved(view: View, bbox: BBox): void {
    this.view.moved(view, bbox);
    const filters = this.view.filters();
    if (this.loadTimer) {
      this.refresh();
    } else if (this.inFlight) {
      // The load under way holds the new box too (the map settling, resized, at its first view): it is
      // answered for the box in view when it comes. One that does not is replaced.
      if (!holds(this.inFlight.bbox, this.inFlight.filters, bbox, filters)) {
        this.refresh();
      }
    } else if (this.postsView.covers(bbox, filters)) {
      // Inside what is loaded (and subscribed to): the list narrows, nothing is fetched.
      this.posts = this.postsView.list(bbox);
    } else {
      this.refresh();
    }
  }

  /** Reloads the posts for the box and filters (debounced; a newer load aborts the older one) and resubscribes. */
  refresh(): void {
    if (!this.view.bbox) {
      return;
    }
    if (this.loadTimer) {
      clearTimeout(this.loadTimer);
    }
    this.loadTimer = setTimeout(() => {
      this.loadTimer = null;
      void this.load();
    }, 150);
  }

  select(id: string | null): void {
    this.selected = id;
  }

  private async load(): Promise<void> {
    const bbox = this.view.bbox!;
    const filters = this.view.filters();
    this.inFlight?.abort.abort();
    const abort = new AbortController();
    const inFlight = { bbox, filters, abort };
    this.inFlight = inFlight;
    this.live.subscribe(bbox, { ...(filters.kind ? { kinds: [filters.kind] } : {}), categories: filters.categories });
    const show = (posts: Post[], complete: boolean) => {
      this.postsView.reset(posts, bbox, filters, complete);
      this.showPosts();
      this.loaded = true;
    };
    const owner = this.offline.owner();
    try {
      await this.loading.run(async () => {
        const query = { community: filters.community?.id, kind: filters.kind ?? undefined, categories: filters.categories, from: filters.from ?? undefined, to: filters.to ?? undefined };
        let posts: Post[];
        try {
          // The first page is shown as soon as it comes (the newest posts, on a slow connection), the rest at the end.
          posts = await this.api.listPosts(bbox, query, { signal: abort.signal, max: MAX_POSTS, onFirstPage: (first) => show(first, false) });
        } catch (error) {
          const kept = error instanceof NetworkError ? ((await this.offline.load(owner, KEPT)) as KeptPosts | undefined) : undefined;
          if (!kept || abort.signal.aborted) {
            throw error;
          }
          // What was last loaded, narrowed to today's filters; incomplete, so the next move tries the server again.
          this.postsView.reset(kept.posts, kept.area, filters, false);
          this.showPosts();
          this.loaded = true;
          this.truncated = false;
          this.listedAt = this.offline.shownAt ?? 0;
          this.listedFor = null;
          return;
        }
        this.truncated = posts.length >= MAX_POSTS;
        show(posts, !this.truncated);
        this.listedAt = Date.now();
        this.listedFor = owner;
        this.keep();
      });
    } finally {
      if (this.inFlight === inFlight) {
        this.inFlight = null;
      }
    }
  }

  /** Keeps the list on the device, for whom it was loaded (the cache drops it if someone else is signed in by now). */
  private keep(): void {
    if (this.keepTimer) {
      clearTimeout(this.keepTimer);
      this.keepTimer = null;
    }
    if (this.listedFor !== null) {
      this.offline.save(this.listedFor, KEPT, { area: this.postsView.area, posts: this.postsView.list() } satisfies KeptPosts);
    }
  }

  private keepSoon(): void {
    if (this.listedFor !== null && !this.keepTimer) {
      this.keepTimer = setTimeout(() => this.keep(), KEEP_AFTER_MS);
    }
  }

  private showPosts(): void {
    this.mapPosts = this.postsView.list();
    this.posts = this.view.bbox ? this.postsView.list(this.view.bbox) : this.mapPosts;
  }

  /** Live posts are shown once per frame however many arrive (a burst redraws once). */
  private schedulePosts(): void {
    if (this.postsFrame) {
      return;
    }
    this.postsFrame = true;
    const run = () => {
      this.postsFrame = false;
      this.showPosts();
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
      requestAnimationFrame(run);
    } else {
      setTimeout(run, 16);
    }
  }
}
