import { beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../web/src/lib/api';
import { loadMessages, translate } from '../../web/src/lib/i18n';
import { KINDS, notificationHref, notificationText, relativeTime } from '../../web/src/lib/notifications';

// Spanish comes in a chunk of its own (lib/i18n.ts), as the app loads it before mounting.
beforeAll(() => loadMessages('es'));

const POST = '11111111-1111-4111-8111-111111111111';
const MATCH = '22222222-2222-4222-8222-222222222222';

function note(kind: Notification['kind'], data: Notification['data'] = {}, ids: Partial<Notification> = {}): Notification {
  return { id: '33333333-3333-4333-8333-333333333333', kind, postId: POST, matchId: MATCH, communityId: null, data, replyable: false, createdAt: '2026-01-01T00:00:00Z', readAt: null, ...ids };
}

describe('notifications in the inbox', () => {
  it('say each kind in words, in both languages, with who acted and the title', () => {
    const en = (key: Parameters<typeof translate>[1], p?: Record<string, string | number>) => translate('en', key, p);
    const es = (key: Parameters<typeof translate>[1], p?: Record<string, string | number>) => translate('es', key, p);
    expect(notificationText(note('match.proposed', { actorName: 'Bea', title: 'Soup' }), en)).toBe('Bea proposed a match for “Soup”');
    expect(notificationText(note('message.created', { actorName: 'Bea', title: 'Soup' }), es)).toBe('Bea escribió sobre «Soup»');
    expect(notificationText(note('match.accepted', { title: 'Soup' }), en)).toBe('Someone accepted the match for “Soup”');
    for (const kind of KINDS) {
      expect(notificationText(note(kind, { actorName: 'X', title: 'T' }), en)).not.toMatch(/[{}]|notif\./);
      expect(notificationText(note(kind, { actorName: 'X', title: 'T' }), es)).not.toMatch(/[{}]|notif\./);
    }
  });

  it('lead to the match when they are about one, else to the post', () => {
    expect(notificationHref(note('match.proposed'))).toBe(`/matches/${MATCH}`);
    expect(notificationHref(note('message.created'))).toBe(`/matches/${MATCH}`);
    expect(notificationHref(note('still_needed'))).toBe(`/posts/${POST}`);
    expect(notificationHref(note('late_cancellation'))).toBe(`/posts/${POST}`);
    expect(notificationHref(note('need_nearby', {}, { matchId: null }))).toBe(`/posts/${POST}`);
    expect(notificationHref(note('need_nearby', {}, { matchId: null, postId: null }))).toBeNull();
  });

  it('tell the time relative to now, in the reader’s language', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime('2026-01-01T11:59:40Z', 'en', now)).toBe('now');
    expect(relativeTime('2026-01-01T11:55:00Z', 'en', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-01-01T09:00:00Z', 'es', now)).toBe('hace 3 horas');
    expect(relativeTime('2025-12-31T12:00:00Z', 'en', now)).toBe('yesterday');
    expect(relativeTime('2025-12-18T12:00:00Z', 'en', now)).toBe('2 weeks ago');
  });
});
