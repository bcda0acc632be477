// The notices private events bring ("Bea proposed a match"), each a link to
// what it is about, gone after a while or when closed.
import type { LiveEvent } from '../../../server/contract/live';
import type { MessageKey } from '../lib/i18n';

export interface Notice {
  id: number;
  text: string;
  href?: string;
}

export class NoticesState {
  notices = $state<Notice[]>([]);
  private noticeId = 0;

  notify(text: string, href?: string): void {
    const id = ++this.noticeId;
    this.notices = [...this.notices, { id, text, ...(href ? { href } : {}) }];
    setTimeout(() => this.dismiss(id), 12_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }
}

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The notice a live event brings to `me` (null: none, as for posts on the map or one's own doings). */
export function noticeFor(event: LiveEvent, me: string | undefined, t: Translate): { text: string; href: string } | null {
  // Posts on the map say nothing here; an inbox event shows in the inbox's count (InboxState.heard).
  if ('post' in event || event.type === 'inbox') {
    return null;
  }
  if (event.type === 'message.created') {
    return event.message.author.id === me ? null : { text: t('notice.message', { name: event.message.author.displayName }), href: `/matches/${event.matchId}` };
  }
  if (event.type === 'notice') {
    const n = event.notice;
    const key = ({ still_needed: 'hygiene.stillNeeded', proposal_expired: 'hygiene.proposalExpired', late_cancellation: 'hygiene.lateCancellation' } as const)[n.kind];
    return { text: t(key, { title: n.title }), href: n.matchId && n.kind === 'proposal_expired' ? `/matches/${n.matchId}` : `/posts/${n.postId}` };
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
  if (me !== undefined && m.actedBy === me) {
    return null; // one's own doing (a proposal, an answer, a cancellation, marking it done) needs no notice
  }
  const other = m.need.author.id === me ? m.offer.author : m.need.author;
  // Proposed by neither party: an organizer, on the need's behalf.
  const byOrganizer = event.type === 'match.proposed' && m.proposedBy !== null && m.proposedBy !== m.need.author.id && m.proposedBy !== m.offer.author.id;
  return { text: byOrganizer ? t('notice.proposedByOrganizer', { name: other.displayName }) : t(key, { name: other.displayName }), href: `/matches/${m.id}` };
}
