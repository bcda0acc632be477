// The live connection (/ws) and how it is doing, and whether the browser is
// online at all. Whoever needs the live events watches them here: the posts
// on the map, the notices, and an open post or match page.
import type { BBox, LiveEvent } from '../../../server/contract/live';
import { type Filters, LiveConnection, type LiveStatus } from '../lib/live';

/** The connection as the header says it: also whether it was lost (reconnecting) or the browser has no network. */
export type ConnectionState = 'live' | 'connecting' | 'reconnecting' | 'offline';

export class LiveState {
  status = $state<LiveStatus>('offline');
  /** The browser says it has a network. */
  online = $state(true);
  /** This connection was live once: trying again now is reconnecting, not a first connect. */
  private wasLive = $state(false);
  private connection: LiveConnection | null = null;
  private readonly listeners = new Set<(event: LiveEvent) => void>();

  /**
   * @param resync called when what was missed cannot be replayed: what is shown must be reloaded.
   * @param connected called each time the socket is live (again): the server answers.
   */
  constructor(
    private readonly resync: () => void,
    private readonly connected: () => void = () => {},
  ) {}

  get state(): ConnectionState {
    if (!this.online) {
      return 'offline';
    }
    if (this.status === 'live') {
      return 'live';
    }
    return this.wasLive ? 'reconnecting' : 'connecting';
  }

  /** Follows the browser's online and offline events: the socket is given up at once, and tried again at once. */
  followNetwork(): void {
    this.online = navigator.onLine;
    addEventListener('online', () => {
      this.online = true;
      this.retryNow();
    });
    addEventListener('offline', () => {
      this.online = false;
      this.connection?.drop();
    });
  }

  /** Connect now if not connected (the network or the server is back). */
  retryNow(): void {
    this.connection?.retryNow();
  }

  /** Opens the socket, or reopens it (after signing in or out: the session decides what it may see). */
  start(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.connection?.stop();
    this.wasLive = false;
    this.connection = new LiveConnection({
      url: `${scheme}://${location.host}/ws`,
      onEvent: (event) => {
        for (const listener of this.listeners) {
          listener(event);
        }
      },
      onResync: () => this.resync(),
      onStatus: (status) => {
        this.status = status;
        if (status === 'live') {
          this.wasLive = true;
          this.connected();
        }
      },
    });
    this.connection.start();
  }

  /** Watch this box (replaces the previous one). */
  subscribe(bbox: BBox, filters: Filters): void {
    this.connection?.subscribe(bbox, filters);
  }

  /** Calls `listener` with every live event until the returned function is called (an `$effect`'s cleanup). */
  watch(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
