// The inbox: how many notifications are unread (the header's count), and,
// while the inbox page is open, its list page after page. Private live
// events (a proposal, a message, a notice) mean something new was recorded:
// the count, and the open list, are read again.
import type { LiveEvent } from '../../../server/contract/live';
import type { Api, Notification } from '../lib/api';

/** Notifications per page of the list. */
const PAGE = 30;

/** A live event that is about the signed-in person (not a post on the map). */
export function isPrivate(event: LiveEvent): boolean {
  return event.type.startsWith('match.') || event.type === 'message.created' || event.type === 'notice' || event.type === 'inbox';
}

export class InboxState {
  /** Unread notifications in all; null until known (signed out, or not yet asked). */
  unread = $state<number | null>(null);
  /** The list as loaded so far, newest first; null until the page loads it. */
  items = $state<Notification[] | null>(null);
  /** Where the next, older page starts (null: no more). */
  next = $state<string | null>(null);
  /** The inbox page is open: live changes reload its list too. */
  private showing = false;
  private counting: AbortController | null = null;

  constructor(
    private readonly api: Api,
    private readonly signedIn: () => boolean,
  ) {}

  /** Reads the unread count again (and the first page, while the inbox is open). Failures keep what is shown. */
  refresh(): void {
    if (!this.signedIn()) {
      this.unread = null;
      this.items = null;
      this.next = null;
      return;
    }
    if (this.showing) {
      void this.loadFirst().catch(() => {});
      return;
    }
    // Only the count: one item is the least a page may hold.
    this.counting?.abort();
    const counting = (this.counting = new AbortController());
    this.api
      .notifications({ limit: 1 }, counting.signal)
      .then((page) => (this.unread = page.unread))
      .catch(() => {});
  }

  /** The first page (newest): what the inbox page shows when it opens, and again after a change. */
  async loadFirst(): Promise<void> {
    const page = await this.api.notifications({ limit: PAGE });
    // Older pages already shown stay, past the first page's end, so "Load older" does not start over.
    const fresh = new Set(page.items.map((n) => n.id));
    const kept = this.items && this.next !== null ? this.items.filter((n) => !fresh.has(n.id) && n.createdAt < (page.items.at(-1)?.createdAt ?? '')) : [];
    this.items = [...page.items, ...kept];
    if (kept.length === 0) {
      this.next = page.next;
    }
    this.unread = page.unread;
  }

  /** The next older page, after what is shown. */
  async loadOlder(): Promise<void> {
    if (!this.next) {
      return;
    }
    const page = await this.api.notifications({ limit: PAGE, before: this.next });
    const shown = new Set((this.items ?? []).map((n) => n.id));
    this.items = [...(this.items ?? []), ...page.items.filter((n) => !shown.has(n.id))];
    this.next = page.next;
    this.unread = page.unread;
  }

  /** The inbox page opened (true) or closed (false). */
  show(open: boolean): void {
    this.showing = open;
  }

  /** Marks one notification read (shown read at once; the server's count follows). */
  async markRead(notification: Notification): Promise<void> {
    if (notification.readAt) {
      return;
    }
    const at = new Date().toISOString();
    this.items = this.items?.map((n) => (n.id === notification.id ? { ...n, readAt: at } : n)) ?? null;
    this.unread = await this.api.markRead({ ids: [notification.id] });
  }

  async markAllRead(): Promise<void> {
    this.unread = await this.api.markRead({ all: true });
    const at = new Date().toISOString();
    this.items = this.items?.map((n) => (n.readAt ? n : { ...n, readAt: at })) ?? null;
  }

  /** A live event came: a private one may have recorded a notification. */
  heard(event: LiveEvent): void {
    if (isPrivate(event)) {
      this.refresh();
    }
  }
}
