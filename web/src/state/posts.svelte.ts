// The posts in view: loaded for the map's box and filters, then kept current
// by the live connection; and the one selected on the map or in the list.
import type { BBox } from '../../../server/contract/live';
import { Action } from '../lib/action.svelte';
import type { Api, Post } from '../lib/api';
import type { View } from '../lib/map';
import { NO_FILTERS, PostsView } from '../lib/posts';
import type { LiveState } from './live.svelte';
import type { SessionState } from './session.svelte';
import type { ViewState } from './view.svelte';

/** The most posts one view loads (the newest); past it the app asks to zoom in. */
export const MAX_POSTS = 10_000;

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
  private loadAbort: AbortController | null = null;
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  private postsFrame = false;

  constructor(
    session: SessionState,
    private readonly view: ViewState,
    private readonly live: LiveState,
  ) {
    this.api = session.api;
    this.loading = new Action(session);
    live.watch((event) => {
      if ('post' in event && this.postsView.apply(event)) {
        this.schedulePosts();
      }
    });
  }

  /** The map moved: remember where, then narrow the list to the new box, or reload (and resubscribe) past what is loaded. */
  moved(view: View, bbox: BBox): void {
    this.view.moved(view, bbox);
    if (this.postsView.covers(bbox, this.view.filters()) && !this.loadTimer && !this.loading.busy) {
      // Inside what is loaded (and subscribed to): the list narrows, nothing is fetched.
      this.posts = this.postsView.list(bbox);
      return;
    }
    this.refresh();
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
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.live.subscribe(bbox, { ...(filters.kind ? { kinds: [filters.kind] } : {}), categories: filters.categories });
    const show = (posts: Post[], complete: boolean) => {
      this.postsView.reset(posts, bbox, filters, complete);
      this.showPosts();
      this.loaded = true;
    };
    await this.loading.run(async () => {
      const query = { community: filters.community?.id, kind: filters.kind ?? undefined, categories: filters.categories, from: filters.from ?? undefined, to: filters.to ?? undefined };
      // The first page is shown as soon as it comes (the newest posts, on a slow connection), the rest at the end.
      const posts = await this.api.listPosts(bbox, query, { signal: abort.signal, max: MAX_POSTS, onFirstPage: (first) => show(first, false) });
      this.truncated = posts.length >= MAX_POSTS;
      show(posts, !this.truncated);
    });
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
