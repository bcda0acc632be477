// The live connection to /ws: subscribes to the map's box, hands events to
// the app once each and in order, and survives bad networks — it reconnects
// with backoff and, on reconnect, subscribes and resumes from the last `seq`
// in one frame, so nothing is missed or repeated; on `resync` the app reloads.
import type { BBox, ClientFrame, LiveEvent, ServerFrame } from '../../../server/contract/live';

export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface Filters {
  kinds?: ('need' | 'offer')[];
  categories?: string[];
}

/** The part of the WebSocket API used here: the browser's, or `ws` in Node tests. */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface LiveOptions {
  url: string;
  onEvent(event: LiveEvent): void;
  /** What was missed cannot be replayed: reload what is shown. */
  onResync(): void;
  onStatus?(status: LiveStatus): void;
  createSocket?: (url: string) => SocketLike;
  /** First retry after this, doubling up to maxDelayMs, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** A ping every this often; no pong within the next interval means the connection is dead. */
  pingMs?: number;
  random?: () => number;
}

const OPEN = 1;

export class LiveConnection {
  /** The last event seen; what a reconnect resumes from. */
  lastSeq: number | null = null;
  status: LiveStatus = 'offline';
  private socket: SocketLike | null = null;
  private subscription: { bbox: BBox; filters: Filters } | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private awaitingPong = false;
  private stopped = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, 'bye');
    this.socket = null;
    this.setStatus('offline');
  }

  /**
   * The network is gone (the browser says so): a socket that cannot answer
   * may still look open until pings time out, so it is given up now — the
   * status says offline at once — and retried with backoff; `lastSeq` stays
   * for the resume.
   */
  drop(): void {
    if (this.stopped || !this.socket) {
      return;
    }
    const socket = this.socket;
    this.socket = null; // its close, whenever it comes, is then no news
    this.clearTimers();
    socket.close(4001, 'offline');
    this.setStatus('offline');
    this.scheduleReconnect();
  }

  /** The network is back: connect now rather than when the backoff says (which may be 30 s away). */
  retryNow(): void {
    if (this.stopped || this.socket) {
      return;
    }
    this.clearTimers();
    this.attempt = 0;
    this.open();
  }

  /** Watch this box (replaces the previous one). */
  subscribe(bbox: BBox, filters: Filters = {}): void {
    this.subscription = { bbox, filters };
    this.sendSubscribe(false);
  }

  private setStatus(status: LiveStatus): void {
    if (status !== this.status) {
      this.status = status;
      this.options.onStatus?.(status);
    }
  }

  private open(): void {
    this.setStatus('connecting');
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    const socket = create(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.setStatus('live');
      // After a drop, subscribe and resume as one frame: the missed events come first, in order.
      this.sendSubscribe(this.lastSeq !== null);
      this.startPinging();
    };
    socket.onmessage = (ev) => this.receive(String(ev.data));
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.clearTimers();
      if (!this.stopped) {
        this.setStatus('offline');
        this.scheduleReconnect();
      }
    };
  }

  private sendSubscribe(resume: boolean): void {
    if (!this.subscription || !this.socket || this.socket.readyState !== OPEN) {
      return;
    }
    const { bbox, filters } = this.subscription;
    const frame: ClientFrame = {
      type: 'subscribe',
      bbox,
      ...(filters.kinds?.length ? { kinds: filters.kinds } : {}),
      ...(filters.categories?.length ? { categories: filters.categories } : {}),
      ...(resume && this.lastSeq !== null ? { since: this.lastSeq } : {}),
    };
    this.socket.send(JSON.stringify(frame));
  }

  private receive(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'subscribed':
        this.lastSeq ??= frame.seq;
        return;
      case 'pong':
        this.awaitingPong = false;
        return;
      case 'resync':
        this.lastSeq = null;
        this.options.onResync();
        return;
      case 'error':
        return;
      default:
        // Each event once, in order: anything at or before the last one seen was seen.
        if (this.lastSeq !== null && frame.seq <= this.lastSeq) {
          return;
        }
        this.lastSeq = frame.seq;
        this.options.onEvent(frame);
    }
  }

  private startPinging(): void {
    const every = this.options.pingMs ?? 25_000;
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.socket?.close(4000, 'no pong');
        return;
      }
      this.awaitingPong = true;
      this.socket?.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame));
    }, every);
  }

  /** 0.5 s, 1 s, 2 s … up to 30 s, each ±50 %, so a server restart is not met by every client at once. */
  private scheduleReconnect(): void {
    const min = this.options.minDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempt);
    const delay = base * (0.5 + (this.options.random ?? Math.random)());
    this.attempt++;
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private clearTimers(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (this.pingTimer) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
  }
}
