// How a notification reads in the inbox and where it leads: its kind in
// words with the post's title and who acted, and a time relative to now.
import type { Notification, NotificationKind } from './api';
import type { MessageKey } from './i18n';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * Every kind, in the order the settings list them. The contract's list is a
 * value the web may not import; keyed by kind, this fails the type check
 * when the contract gains or loses one.
 */
const ORDER: Record<NotificationKind, true> = {
  'match.proposed': true,
  'match.accepted': true,
  'match.declined': true,
  'match.cancelled': true,
  'match.completed': true,
  'message.created': true,
  still_needed: true,
  proposal_expired: true,
  late_cancellation: true,
  need_nearby: true,
};
export const KINDS = Object.keys(ORDER) as NotificationKind[];

/** "Bea proposed a match for “Ride to the clinic”". */
export function notificationText(n: Notification, t: Translate): string {
  return t(`notif.${n.kind}`, { name: n.data.actorName ?? t('someone'), title: n.data.title ?? t('aPost') });
}

/** The match it is about if any, else the post; null when neither is known. */
export function notificationHref(n: Notification): string | null {
  // A hygiene notice about a post is about the post even when it names a match (still needed, a late cancellation).
  if (n.matchId && (n.kind.startsWith('match.') || n.kind === 'message.created' || n.kind === 'proposal_expired')) {
    return `/matches/${n.matchId}`;
  }
  return n.postId ? `/posts/${n.postId}` : n.matchId ? `/matches/${n.matchId}` : null;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400],
  ['month', 30 * 86_400],
  ['week', 7 * 86_400],
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
];

/** "5 minutes ago", "yesterday", "hace 2 horas": the largest whole unit, in the reader's language. */
export function relativeTime(iso: string, locale: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) {
      return format.format(Math.trunc(seconds / size), unit);
    }
  }
  return format.format(0, 'second'); // "now"
}

/** The full date and time in the reader's own zone (the browser's), for a tooltip and `<time>`. */
export function fullTime(iso: string, locale: string): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}
