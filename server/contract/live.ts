// The /ws protocol, written once: the server sends these and the web client
// (web/src/lib/live.ts) reads them by `import type`.
import type { Match, Message } from './matches';
import type { Post } from './posts';

export type BBox = [west: number, south: number, east: number, north: number];

export type ClientFrame =
  | { type: 'subscribe'; bbox: BBox; kinds?: ('need' | 'offer')[]; categories?: string[]; since?: number }
  | { type: 'resume'; since: number }
  | { type: 'ping' };

export type PostEventType = 'post.created' | 'post.updated' | 'post.closed';
export type MatchEventType = 'match.suggested' | 'match.proposed' | 'match.accepted' | 'match.declined' | 'match.cancelled' | 'match.completed';

/**
 * Hygiene notices, to the people they concern: `still_needed` to a need's
 * author (24 hours before it is due, no helper yet); `proposal_expired` to
 * both parties of a proposal nobody answered in time (withdrawn);
 * `late_cancellation` to the organizers of the need's community when a
 * helper cancels an accepted match less than 24 hours before it is due.
 */
export interface Notice {
  kind: 'still_needed' | 'proposal_expired' | 'late_cancellation';
  postId: string;
  matchId?: string;
  communityId?: string;
  title: string;
}

export type LiveEvent =
  | { type: PostEventType; seq: number; post: Post }
  | { type: MatchEventType; seq: number; match: Match }
  | { type: 'message.created'; seq: number; matchId: string; message: Message }
  | { type: 'notice'; seq: number; notice: Notice }
  /** Something was added to your inbox that no other event tells of (a new need near one of your alerts). */
  | { type: 'inbox'; seq: number };

export type FrameErrorCode = 'bad_json' | 'too_large' | 'unknown_type' | 'bad_frame' | 'rate_limited' | 'unavailable';

export type ServerFrame =
  | LiveEvent
  | { type: 'subscribed'; seq: number }
  | { type: 'resync' }
  | { type: 'pong' }
  | { type: 'error'; code: FrameErrorCode; message: string };
