// Whose turn it is in a match, one rule for the match page and the list.
import type { Match } from './api';

/** The side of the match `me` is on (the offer's when not the need's author). */
export function sideOf(match: Match, me: string | null): 'need' | 'offer' {
  return match.need.author.id === me ? 'need' : 'offer';
}

/**
 * Whether `me` must answer a proposal: the side that did not propose it. An
 * organizer proposes on the need's behalf, so the offer's author answers, as
 * when the need's author proposes.
 */
export function mustAnswer(match: Match, me: string | null): boolean {
  const proposerSide = match.proposedBy === match.offer.author.id ? 'offer' : 'need';
  return match.status === 'proposed' && sideOf(match, me) !== proposerSide;
}
