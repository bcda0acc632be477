// Each user's private calendar address: an iCalendar feed of their accepted
// matches that calendar apps subscribe to. The address holds a random token
// (stored hashed, like sessions); making a new one retires the old.
import { createHash, randomBytes } from 'node:crypto';
import type { DB } from '../../db';
import { listMatches } from '../matches/service';
import { calendar, type IcsEvent } from './ics';
import { type Match } from '../contract/matches';
import { calendarTokensRepo } from './repository';

const hash = (token: string) => createHash('sha256').update(token).digest();

/** A new address for the user (the previous one stops working). */
export async function newCalendarToken(db: DB, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await calendarTokensRepo.replace(db, userId, hash(token));
  return token;
}

/** Whether the user has an address, and since when (the address itself is not kept: only its hash). */
export async function calendarStatus(db: DB, userId: string): Promise<{ active: boolean; createdAt?: string }> {
  const createdAt = await calendarTokensRepo.createdAt(db, userId);
  return createdAt ? { active: true, createdAt: createdAt.toISOString() } : { active: false };
}

export async function revokeCalendarToken(db: DB, userId: string): Promise<void> {
  await calendarTokensRepo.delete(db, userId);
}

/** The owner of a token, or null (unknown, or replaced since). */
export async function calendarOwner(db: DB, token: string): Promise<{ id: string; displayName: string } | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) {
    return null;
  }
  return (await calendarTokensRepo.owner(db, hash(token))) ?? null;
}

/** When the two meet: the first upcoming overlap of their windows, else the need's next window. */
function when(m: Match, now: Date): { start: Date; end: Date } | null {
  const future = (w: { start: string; end: string }) => Date.parse(w.end) > now.getTime();
  for (const a of m.need.schedule.filter(future)) {
    for (const b of m.offer.schedule.filter(future)) {
      const start = Math.max(Date.parse(a.start), Date.parse(b.start));
      const end = Math.min(Date.parse(a.end), Date.parse(b.end));
      if (start < end) {
        return { start: new Date(start), end: new Date(end) };
      }
    }
  }
  const next = m.need.schedule.find(future);
  return next ? { start: new Date(next.start), end: new Date(next.end) } : null;
}

export async function calendarFeed(db: DB, owner: { id: string; displayName: string }, baseUrl: string, now: Date): Promise<string> {
  const events: IcsEvent[] = [];
  for (const status of ['accepted', 'completed'] as const) {
    const { items } = await listMatches(db, owner, { status, limit: 200 }, now);
    for (const m of items) {
      const slot = when(m, now);
      if (!slot) {
        continue;
      }
      const mineIsNeed = m.need.author.id === owner.id;
      const other = mineIsNeed ? m.offer.author : m.need.author;
      const place = m.need.location; // exact: both parties see it once accepted
      events.push({
        uid: `${m.id}@aidmap`,
        ...slot,
        summary: `${mineIsNeed ? 'Help from' : 'Helping'} ${other.displayName}: ${m.need.title}`,
        description: `${m.need.title} / ${m.offer.title}`,
        location: `${place.lat}, ${place.lng}`,
        geo: place,
        url: `${baseUrl}/matches/${m.id}`,
      });
    }
  }
  events.sort((a, b) => a.start.getTime() - b.start.getTime());
  return calendar(`Aidmap — ${owner.displayName}`, events, now);
}
