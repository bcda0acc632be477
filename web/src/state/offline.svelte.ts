// Reading on without a network. The device keeps the last answer of what a
// person needs away from one — who they are (never the cookie: the user as
// the server described them), the posts in view, their posts, matches and
// threads — keyed by who is signed in, and cleared whenever that changes.
// When no server answers, those copies are shown, saying when they were
// loaded; and the way back is watched for (the browser's `online`, the live
// socket reconnecting, a retry with backoff), then what is on screen reloads.
import type { ReadCache, User } from '../lib/api';
import type { Kept, KeptStore } from './kept';

const SESSION = 'session';
/** Copies not loaded again within this long are dropped as the app starts. */
const KEEP_MS = 30 * 86_400_000;

export class OfflineState implements ReadCache {
  /** No server answers: a request failed for lack of one, or the browser went offline. Retrying until one does. */
  down = $state(false);
  /** When the copy last shown in place of an answer was loaded (null: none shown since the server last answered). */
  shownAt = $state<number | null>(null);
  /** When the last kept answer came from the server. */
  loadedAt = $state<number | null>(null);

  /** Whose copies are read and written: the signed-in person's id, '' for nobody. */
  private whose = '';
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Where else a copy may be found (the posts in view hold every post of the list). */
  private fallback: (path: string) => Kept | undefined = () => undefined;

  /**
   * @param probe asks the server whether it answers (through the API, which reports back here)
   * @param recovered the server answers again: reload what is on screen
   */
  constructor(
    private readonly store: KeptStore,
    private readonly probe: () => Promise<unknown>,
    private readonly recovered: () => void,
  ) {}

  /**
   * Follows the browser's word on the network — gone, and back (try at once
   * rather than when the backoff says) — and drops copies long unused.
   */
  start(): void {
    if (!navigator.onLine) {
      this.unreachable();
    }
    addEventListener('offline', () => this.unreachable());
    addEventListener('online', () => this.retryNow());
    void this.store.prune(Date.now() - KEEP_MS);
  }

  /** Copies may also come from here when none was kept under their own path. */
  alsoFrom(fallback: (path: string) => Kept | undefined): void {
    this.fallback = fallback;
  }

  // ---- who the copies belong to ----

  /** The person kept from the last time the server said who is signed in (null: nobody, or nothing kept). */
  async lastSession(): Promise<User | null> {
    const kept = await this.store.get<User>(SESSION);
    if (kept) {
      this.whose = kept.value.id;
    }
    return kept?.value ?? null;
  }

  /**
   * Who is signed in now, as the server said (null: nobody), or after
   * signing in or out or deleting the account: another person's copies go,
   * and this person's are kept from now on.
   */
  async confirmed(user: User | null): Promise<void> {
    const before = this.whose;
    // At once, so an answer still on its way for the one before is not kept for this one.
    this.whose = user?.id ?? '';
    const had = before || (await this.store.get<User>(SESSION))?.value.id || '';
    if (had !== this.whose) {
      await this.store.clear();
    }
    if (user) {
      await this.store.put(SESSION, { at: Date.now(), value: $state.snapshot(user) });
    }
  }

  // ---- ReadCache: what the API keeps and serves ----

  owner(): string {
    return this.whose;
  }

  save(owner: string, path: string, value: unknown): void {
    if (owner !== this.whose) {
      return; // loaded for someone who is no longer signed in
    }
    const at = Date.now();
    this.loadedAt = at;
    void this.store.put(`${owner}|${path}`, { at, value });
  }

  /** A live event changed what a kept read answered: the copy follows (none kept: nothing to do). */
  amend<T>(path: string, change: (value: T) => T): void {
    if (this.whose) {
      // Current as of now: the live socket brings every change, in order.
      void this.store.update<T>(`${this.whose}|${path}`, (kept) => ({ at: Date.now(), value: change(kept.value) }));
    }
  }

  async load(owner: string, path: string): Promise<unknown> {
    if (owner !== this.whose) {
      return undefined;
    }
    const kept = (await this.store.get(`${owner}|${path}`)) ?? this.fallback(path);
    if (kept && owner === this.whose) {
      this.shownAt = kept.at;
      return kept.value;
    }
    return undefined;
  }

  unreachable(): void {
    if (this.down) {
      return;
    }
    this.down = true;
    this.retries = 0;
    this.scheduleRetry();
  }

  reached(): void {
    if (!this.down) {
      return;
    }
    this.down = false;
    this.shownAt = null;
    this.clearRetry();
    this.recovered();
  }

  /** Try the server now (the network is back, the live socket reconnected). */
  retryNow(): void {
    if (this.down) {
      this.clearRetry();
      this.retries = 0;
      this.retry();
    }
  }

  /** 1 s, 2 s, 4 s … up to 30 s, each ±50 %, so a server coming back is not met by every phone at once. */
  private scheduleRetry(): void {
    const delay = Math.min(30_000, 1000 * 2 ** this.retries++) * (0.5 + Math.random());
    this.retryTimer = setTimeout(() => this.retry(), delay);
  }

  private retry(): void {
    this.retryTimer = null;
    // An answer reports `reached` through the API; none keeps us down, to try again later.
    void this.probe()
      .catch(() => {})
      .then(() => {
        if (this.down && !this.retryTimer) {
          this.scheduleRetry();
        }
      });
  }

  private clearRetry(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }
}

/** When something was loaded, as the banner says it: the time today, else the day too. */
export function loadedTime(at: number, locale: string, now = new Date()): string {
  const when = new Date(at);
  const today = when.toDateString() === now.toDateString();
  return new Intl.DateTimeFormat(locale, today ? { hour: 'numeric', minute: '2-digit' } : { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).format(when);
}
