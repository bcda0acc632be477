// The app's state: who is signed in, the language, the map's view (kept in
// the URL), the posts in view (loaded for the box, then kept current by the
// live connection), the selection, and the notices private events bring.
import type { BBox, LiveEvent } from '../../../server/contract/live';
import { type Api, createApi, type Post, type User } from '../lib/api';
import { type Locale, type MessageKey, pickLocale, translate } from '../lib/i18n';
import { LiveConnection, type LiveStatus } from '../lib/live';
import type { View } from '../lib/map';
import { type Area, areaBounds, NO_FILTERS, PostsView, type ViewFilters } from '../lib/posts';
import { Router } from './router.svelte';

export type DayFilter = 'any' | 'today' | 'week' | 'date';

export interface ClientConfig {
  tileUrl: string;
  tileAttribution: string;
  defaultCenter: View;
}

export interface Notice {
  id: number;
  text: string;
  href?: string;
}

const LOCALE_KEY = 'aidmap.locale';
/** The most posts one view loads (the newest); past it the app asks to zoom in. */
export const MAX_POSTS = 10_000;

/** `?lat=…&lng=…&zoom=…` → a view, when all three are there and sane. */
export function viewFromUrl(search: string): View | null {
  const q = new URLSearchParams(search);
  const lat = Number(q.get('lat'));
  const lng = Number(q.get('lng'));
  const zoom = Number(q.get('zoom'));
  if (!q.has('lat') || !q.has('lng') || !q.has('zoom') || !(Math.abs(lat) <= 90) || !(Math.abs(lng) <= 180) || !(zoom >= 1 && zoom <= 19)) {
    return null;
  }
  return { lat, lng, zoom: Math.round(zoom) };
}

/** The [from, to) instants a day filter means, in the viewer's time zone. */
export function dayRange(day: DayFilter, date: string | null, now = new Date()): { from: string | null; to: string | null } {
  const midnight = (y: number, m: number, d: number) => new Date(y, m, d).toISOString();
  if (day === 'today' || day === 'week') {
    // From now to the end of today, or of the sixth day after it.
    return { from: now.toISOString(), to: midnight(now.getFullYear(), now.getMonth(), now.getDate() + (day === 'today' ? 1 : 7)) };
  }
  if (day === 'date' && date) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return { from: midnight(y, m - 1, d), to: midnight(y, m - 1, d + 1) };
  }
  return { from: null, to: null };
}

export class AppState {
  readonly api: Api;
  locale = $state<Locale>('en');
  user = $state<User | null>(null);
  config = $state<ClientConfig | null>(null);
  view = $state<View>({ lat: 40.6694, lng: -73.9422, zoom: 14 });
  /** The map's box (raw: read for every post when the list is cut to the view). */
  bbox = $state.raw<BBox | null>(null);
  /** The map filtered to one of my communities (raw: its boundary is read for live posts). */
  community = $state.raw<{ id: string; name: string; boundary: Area } | null>(null);
  kind = $state<'need' | 'offer' | null>(null);
  categories = $state<string[]>([]);
  day = $state<DayFilter>('any');
  date = $state<string | null>(null);
  /** The list: the posts in the current view, newest first (replaced, not mutated, so views redraw once). */
  posts = $state.raw<Post[]>([]);
  /** The map: every post of the loaded area (a box around the view), so zooming in needs no load. */
  mapPosts = $state.raw<Post[]>([]);
  /** The last load stopped at MAX_POSTS: the view holds more than the app shows. */
  truncated = $state(false);
  selected = $state<string | null>(null);
  loading = $state(false);
  /** A first load has come back (until then the list says "loading", not "nothing here"). */
  loaded = $state(false);
  loadError = $state<string | null>(null);
  liveStatus = $state<LiveStatus>('offline');
  online = $state(true);
  tilesFailing = $state(false);
  notices = $state<Notice[]>([]);
  authOpen = $state(false);
  /** What a new post starts from (say, an offer answering the need on screen). */
  draft = $state<{ kind: 'need' | 'offer'; category: string } | null>(null);
  readonly router = new Router();
  private readonly listeners = new Set<(event: LiveEvent) => void>();

  private readonly postsView = new PostsView([0, 0, 0, 0], NO_FILTERS);
  private live: LiveConnection | null = null;
  private loadAbort: AbortController | null = null;
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  private noticeId = 0;

  constructor(api: Api = createApi()) {
    this.api = api;
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string => translate(this.locale, key, params);

  /** Reads the language, the user, the server's map settings and the URL's view; starts the live connection. */
  async init(): Promise<void> {
    this.locale = pickLocale(navigator.languages ?? [navigator.language], localStorage.getItem(LOCALE_KEY));
    document.documentElement.lang = this.locale;
    this.online = navigator.onLine;
    addEventListener('online', () => (this.online = true));
    addEventListener('offline', () => (this.online = false));
    const [config, user] = await Promise.all([
      fetch('/api/config')
        .then((r) => (r.ok ? (r.json() as Promise<ClientConfig>) : null))
        .catch(() => null),
      this.api.me().catch(() => null),
    ]);
    this.config = config ?? {
      tileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      tileAttribution: '&copy; OpenStreetMap contributors',
      defaultCenter: this.view,
    };
    this.user = user;
    const fromUrl = viewFromUrl(location.search);
    this.view = fromUrl ?? this.config.defaultCenter;
    if (!fromUrl && 'geolocation' in navigator) {
      navigator.geolocation.getCurrentPosition(
        (p) => (this.view = { lat: p.coords.latitude, lng: p.coords.longitude, zoom: 15 }),
        () => {},
        { maximumAge: 600_000, timeout: 8000 },
      );
    }
    this.startLive();
  }

  setLocale(locale: Locale): void {
    this.locale = locale;
    localStorage.setItem(LOCALE_KEY, locale);
    document.documentElement.lang = locale;
  }

  /** The map moved: remember the view in the URL (a link opens the same place), reload the box, resubscribe. */
  moved(view: View, bbox: BBox): void {
    this.view = view;
    this.bbox = bbox;
    const q = new URLSearchParams(location.search);
    q.set('lat', String(view.lat));
    q.set('lng', String(view.lng));
    q.set('zoom', String(view.zoom));
    history.replaceState(history.state, '', `${location.pathname}?${q}`);
    if (this.postsView.covers(bbox, this.filters()) && !this.loadTimer && !this.loading) {
      // Inside what is loaded (and subscribed to): the list narrows, nothing is fetched.
      this.posts = this.postsView.list(bbox);
      return;
    }
    this.refresh();
  }

  /** Filters the map to one of my communities (null: everywhere), bringing its area into view. */
  showCommunity(c: { id: string; name: string; boundary: Area } | null): void {
    this.community = c;
    if (c) {
      const [w, s, e, n] = areaBounds(c.boundary);
      // The zoom at which the area's width (or height, on a tall phone) fits about 1.5 tiles of 256 px.
      const span = Math.max(e - w, (n - s) * 1.3, 1e-4);
      this.view = { lat: (s + n) / 2, lng: (w + e) / 2, zoom: Math.max(3, Math.min(17, Math.floor(Math.log2(540 / span)))) };
    }
    this.refresh();
  }

  filters(): ViewFilters {
    const { from, to } = dayRange(this.day, this.date);
    // A plain copy of the categories: the view reads them for every post, a state proxy would cost each read.
    return { community: this.community, kind: this.kind, categories: [...this.categories], from, to };
  }

  /** Reloads the posts for the box and filters (debounced; a newer load aborts the older one) and resubscribes. */
  refresh(): void {
    if (!this.bbox) {
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

  private async load(): Promise<void> {
    const bbox = this.bbox!;
    const filters = this.filters();
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    this.live?.subscribe(bbox, { ...(this.kind ? { kinds: [this.kind] } : {}), categories: this.categories });
    this.loading = true;
    const show = (posts: Post[], complete: boolean) => {
      this.postsView.reset(posts, bbox, filters, complete);
      this.showPosts();
      this.loaded = true;
    };
    try {
      const query = { community: filters.community?.id, kind: filters.kind ?? undefined, categories: filters.categories, from: filters.from ?? undefined, to: filters.to ?? undefined };
      // The first page is shown as soon as it comes (the newest posts, on a slow connection), the rest at the end.
      const posts = await this.api.listPosts(bbox, query, { signal: abort.signal, max: MAX_POSTS, onFirstPage: (first) => show(first, false) });
      this.truncated = posts.length >= MAX_POSTS;
      show(posts, !this.truncated);
      this.loadError = null;
    } catch (error) {
      if ((error as Error).name !== 'AbortError') {
        this.loadError = (error as Error).message;
      }
    } finally {
      if (this.loadAbort === abort) {
        this.loading = false;
      }
    }
  }

  /** Calls `listener` with every live event until the returned function is called (an `$effect`'s cleanup). */
  watch(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  select(id: string | null): void {
    this.selected = id;
  }

  private startLive(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.live?.stop();
    this.live = new LiveConnection({
      url: `${scheme}://${location.host}/ws`,
      onEvent: (event) => this.onEvent(event),
      onResync: () => this.refresh(),
      onStatus: (status) => (this.liveStatus = status),
    });
    this.live.start();
  }

  /** Shows the sign-in dialog when nobody is signed in; true when someone is. */
  requireUser(): boolean {
    if (!this.user) {
      this.authOpen = true;
    }
    return this.user !== null;
  }

  /** After signing in or out the socket must be reopened: the session decides what it may see. */
  restartLive(): void {
    this.community = null; // a member's filter: not for whoever signs in next
    this.startLive();
    this.refresh();
  }

  private onEvent(event: LiveEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
    if ('post' in event) {
      if (this.postsView.apply(event)) {
        this.schedulePosts();
      }
      return;
    }
    const me = this.user?.id;
    if (event.type === 'message.created') {
      if (event.message.author.id !== me) {
        this.notify(this.t('notice.message', { name: event.message.author.displayName }), `/matches/${event.matchId}`);
      }
      return;
    }
    if (event.type === 'notice') {
      const n = event.notice;
      const key = ({ still_needed: 'hygiene.stillNeeded', proposal_expired: 'hygiene.proposalExpired', late_cancellation: 'hygiene.lateCancellation' } as const)[n.kind];
      this.notify(this.t(key, { title: n.title }), n.matchId && n.kind === 'proposal_expired' ? `/matches/${n.matchId}` : `/posts/${n.postId}`);
      return;
    }
    const m = event.match;
    const key = ({
      'match.suggested': 'notice.suggested',
      'match.proposed': 'notice.proposed',
      'match.accepted': 'notice.accepted',
      'match.declined': 'notice.declined',
      'match.cancelled': 'notice.cancelled',
      'match.completed': 'notice.completed',
    } as const)[event.type];
    if (m.proposedBy === me && event.type === 'match.proposed') {
      return; // one's own proposal needs no notice
    }
    const other = m.need.author.id === me ? m.offer.author : m.need.author;
    // Proposed by neither party: an organizer, on the need's behalf.
    const byOrganizer = event.type === 'match.proposed' && m.proposedBy !== null && m.proposedBy !== m.need.author.id && m.proposedBy !== m.offer.author.id;
    this.notify(byOrganizer ? this.t('notice.proposedByOrganizer', { name: other.displayName }) : this.t(key, { name: other.displayName }), `/matches/${m.id}`);
  }

  private showPosts(): void {
    this.mapPosts = this.postsView.list();
    this.posts = this.bbox ? this.postsView.list(this.bbox) : this.mapPosts;
  }

  private postsFrame = false;
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

  notify(text: string, href?: string): void {
    const id = ++this.noticeId;
    this.notices = [...this.notices, { id, text, ...(href ? { href } : {}) }];
    setTimeout(() => this.dismiss(id), 12_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }
}
