// The shapes held in jsonb columns, as the schema types them. db/ imports
// nothing from server/ (.dependency-cruiser.cjs), so these are structural
// copies of the server's own types: a value of server/posts/windows.ts's
// Window or Recurrence is one of these, and back.

/** A one-off window as given (server/posts/windows.ts, Window): RFC 3339 date-times with an offset. */
export interface StoredWindow {
  start: string;
  end: string;
}

/** posts.stored_windows: a post's post_windows rows as `[startEpochS, endEpochS, recurring]`, in order. */
export type StoredWindowList = [number, number, boolean][];

/** server/contract/posts.ts, WEEKDAYS. */
export type StoredWeekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A weekly rule as given (server/posts/windows.ts, Recurrence). */
export interface StoredRecurrence {
  days: StoredWeekday[];
  startTime: string;
  endTime: string;
  timezone: string;
  from?: string;
  until?: string;
}

/** A post's category details without its destination: open, checked per category by server/posts/validate.ts. */
export type PostDetails = Record<string, unknown>;

/**
 * A live event's payload (server/live): a view keyed by what it is
 * (`{ post }`, `{ match }`, …), or for private events each audience
 * member's id mapped to their form.
 */
export type EventPayload = Record<string, unknown>;

/** What an audit or moderation log entry says changed: a small object of the fields before or after (null: none). */
export type LoggedState = Record<string, unknown>;

/** What a notification says (server/contract/notifications.ts, NotificationData). */
export interface NotificationData {
  title?: string;
  actorName?: string;
  text?: string;
  [key: string]: unknown;
}

/** A PushSubscription's keys (base64url), as the browser gave them. */
export interface StoredPushKeys {
  p256dh: string;
  auth: string;
}
