// Whether a need and an offer fit, how well, and why — pure functions over
// plain post data (no database, no clock of its own). The SQL in
// candidates.ts only narrows by indexes; every rule is decided here.
import { DateTime } from 'luxon';
import { distanceM, type LatLng } from '../geo/geo';
import { type Interval } from '../posts/windows';

export interface MatchPost {
  id: string;
  kind: 'need' | 'offer';
  category: string;
  authorId: string;
  location: LatLng;
  radiusM: number;
  capacity: number;
  capacityLeft: number;
  details: Record<string, unknown>;
  /** Exact destination of a ride, if any. */
  destination: LatLng | null;
  createdAt: Date;
  /** Upcoming concrete windows. */
  schedule: Interval[];
  /** IANA zone or fixed offset ("UTC-05:00") the post's times are shown in. */
  zone: string;
}

export const DEFAULT_MAX_DETOUR_M = 3000;
const MIN_OVERLAP_MS = 30 * 60 * 1000;

export type TutoringMode = 'in_person' | 'remote' | 'either';

/** A pair is local within reach: the larger of the two radii. */
export function reach(need: Pick<MatchPost, 'radiusM'>, offer: Pick<MatchPost, 'radiusM'>): number {
  return Math.max(need.radiusM, offer.radiusM);
}

/** Extra distance a trip start→end makes to pick up and drop off: d(s,p) + d(p,q) + d(q,e) − d(s,e). */
export function detourMeters(start: LatLng, end: LatLng, pickup: LatLng, dropoff: LatLng): number {
  return distanceM(start, pickup) + distanceM(pickup, dropoff) + distanceM(dropoff, end) - distanceM(start, end);
}

export function modeOf(details: Record<string, unknown>): TutoringMode {
  const mode = details.mode;
  return mode === 'in_person' || mode === 'remote' ? mode : 'either';
}

/** in_person meets either/in_person; remote meets either/remote; either meets anything. */
export function modesCompatible(a: TutoringMode, b: TutoringMode): boolean {
  return a === 'either' || b === 'either' || a === b;
}

/** Remote tutoring, where distance does not count: both remote, or one remote and the other either. */
export function isRemotePair(a: TutoringMode, b: TutoringMode): boolean {
  return (a === 'remote' && b !== 'in_person') || (b === 'remote' && a !== 'in_person');
}

/** "Math", " math ", "MA TH" are one subject. */
export function normalizeSubject(subject: unknown): string {
  return String(subject ?? '')
    .toLowerCase()
    .replace(/\s+/g, '');
}

/** Languages both list, by primary subtag (en meets en-US); null when either lists none (no constraint). */
export function commonLanguages(a: unknown, b: unknown): string[] | null {
  const primary = (list: unknown) =>
    Array.isArray(list) ? [...new Set(list.map((t) => String(t).split('-')[0]!.toLowerCase()))] : [];
  const pa = primary(a);
  const pb = primary(b);
  if (pa.length === 0 || pb.length === 0) {
    return null;
  }
  return pa.filter((l) => pb.includes(l));
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });

/** Whether a schedule's windows come in order of their starts (windows.ts gives them so). */
function startsInOrder(schedule: Interval[]): boolean {
  for (let i = 1; i < schedule.length; i++) {
    if (schedule[i]!.start.getTime() < schedule[i - 1]!.start.getTime()) {
      return false;
    }
  }
  return true;
}

/**
 * Where the windows meet: for each pair of a need window and an offer window,
 * their intersection when it lasts at least min(30 minutes, the need window),
 * in order of the intersections' starts.
 *
 * On the hot path of plans (tens of thousands of pairs of ~16 windows each),
 * so it skips what cannot meet when both schedules are in order — an offer
 * window ending before a need window starts is passed for the later ones too,
 * and none starting after it ends is looked at — and the intersections reuse
 * their ends' Dates rather than making new ones. Out of order, every pair is
 * compared; the result is the same either way.
 */
export function overlapWindows(needSchedule: Interval[], offerSchedule: Interval[]): { need: Interval; offer: Interval; overlap: Interval }[] {
  const out: { need: Interval; offer: Interval; overlap: Interval }[] = [];
  const ordered = startsInOrder(needSchedule) && startsInOrder(offerSchedule);
  let first = 0;
  for (const n of needSchedule) {
    const ns = n.start.getTime();
    const ne = n.end.getTime();
    const required = Math.min(MIN_OVERLAP_MS, ne - ns);
    if (ordered) {
      while (first < offerSchedule.length && offerSchedule[first]!.end.getTime() <= ns) {
        first++;
      }
    }
    for (let i = first; i < offerSchedule.length; i++) {
      const o = offerSchedule[i]!;
      const os = o.start.getTime();
      if (ordered && os >= ne) {
        break;
      }
      const oe = o.end.getTime();
      const start = Math.max(ns, os);
      const end = Math.min(ne, oe);
      if (end - start >= required && end > start) {
        out.push({ need: n, offer: o, overlap: { start: os > ns ? o.start : n.start, end: oe < ne ? o.end : n.end } });
      }
    }
  }
  return out.length > 1 ? out.sort((a, b) => a.overlap.start.getTime() - b.overlap.start.getTime()) : out;
}

/**
 * One reason as a code and its values, for a client to write in its reader's
 * language and clock (the API's `why`); `reasons` says the same in English.
 * Distances are to 100 m, as `reasons` and the map give them.
 */
export type Reason =
  | { code: 'distance'; m: number }
  | { code: 'remote' }
  /** The reader's post is the need ('free': when the helper is free) or the offer ('needs': when help is needed). */
  | { code: 'free' | 'needs'; theirs: Interval; yours: Interval }
  | { code: 'speaks'; languages: string[] }
  | { code: 'wheelchair' }
  | { code: 'noDetour' }
  | { code: 'detour'; m: number }
  | { code: 'withinArea'; m: number }
  | { code: 'covers'; dietary: string[] }
  | { code: 'busy'; n: number };

export interface Fit {
  score: number;
  /** True distance between the two posts, metres. */
  distanceM: number;
  overlap: Interval[];
  reasons: string[];
  /** The same reasons, in the same order, as codes (empty when not explained). */
  why: Reason[];
}

export interface FitContext {
  now: Date;
  /** Matches the offer's author accepted in the last 7 days (the fairness term). */
  helperRecentAccepts: number;
  /** Whose side the reasons speak to: the post the candidates were asked for. */
  viewer: 'need' | 'offer';
  /**
   * false: rules and score only, `reasons` left empty. Ranking many pairs
   * scores them all and explains only those shown (candidates.ts).
   */
  explain?: boolean;
  /**
   * The zone of the person reading the reasons (IANA), which their times are
   * written in; without one, the zone of the viewer's own post.
   */
  zone?: string;
}

// Built once: toLocaleString builds a formatter per call, on the scoring hot path (bench:match).
const kmFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** To 100 m, as `km` writes it. */
const to100 = (m: number) => Math.round(m / 100) * 100;

function km(m: number): string {
  const rounded = Math.round(m / 100) / 10;
  return rounded < 0.1 ? 'under 100 m' : `${kmFormat.format(rounded)} km`;
}

interface LocalTime {
  /** "Tue" */
  weekday: string;
  /** "17:00" */
  time: string;
  /** Calendar day in the zone, to tell whether two instants fall on one day. */
  date: string;
}

/** One Intl formatter per IANA zone (building one costs ~30 µs; reasons are on the hot path). */
const zoneFormats = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormat(zone: string): Intl.DateTimeFormat | null {
  let format = zoneFormats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      format = null; // a fixed offset such as "UTC-05:00", which Intl on Node 20 does not take: Luxon below
    }
    zoneFormats.set(zone, format);
  }
  return format;
}

function localTime(at: Date, zone: string): LocalTime {
  const format = zoneFormat(zone);
  if (!format) {
    const t = DateTime.fromJSDate(at, { zone });
    return { weekday: t.toFormat('ccc'), time: t.toFormat('HH:mm'), date: t.toISODate() ?? '' };
  }
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of format.formatToParts(at)) {
    part[p.type] = p.value;
  }
  return { weekday: part.weekday!, time: `${part.hour}:${part.minute}`, date: `${part.year}-${part.month}-${part.day}` };
}

/** "Tue 17:00–19:00" (or "17:00–19:00"), "Tue 22:00–Wed 01:00" across midnight, in `zone`. */
export function span(i: Interval, zone: string, withDay: boolean): string {
  const s = localTime(i.start, zone);
  const e = localTime(i.end, zone);
  const day = withDay ? `${s.weekday} ` : '';
  const end = e.date === s.date ? e.time : `${e.weekday} ${e.time}`;
  return `${day}${s.time}–${end}`;
}

/**
 * Whether `offer` can serve `need`, and if so how well and why; null when a
 * rule excludes the pair. Status, ownership, capacity and category are the
 * caller's to check (candidates.ts filters them in SQL, matches service checks them again).
 */
export function evaluatePair(need: MatchPost, offer: MatchPost, ctx: FitContext): Fit | null {
  const d = distanceM(need.location, offer.location);
  const explain = ctx.explain !== false;
  const reasons: string[] = [];
  const why: Reason[] = [];
  let remote = false;

  if (need.category === 'tutoring') {
    if (normalizeSubject(need.details.subject) !== normalizeSubject(offer.details.subject)) {
      return null;
    }
    const common = commonLanguages(need.details.languages, offer.details.languages);
    if (common !== null && common.length === 0) {
      return null;
    }
    const [nm, om] = [modeOf(need.details), modeOf(offer.details)];
    if (!modesCompatible(nm, om)) {
      return null;
    }
    remote = isRemotePair(nm, om);
    if (explain && common && common.length > 0) {
      reasons.push(`speaks ${common.map((l) => languageNames.of(l) ?? l).join(', ')}`);
      why.push({ code: 'speaks', languages: common });
    }
  }

  const pairReach = reach(need, offer);
  if (!remote && d > pairReach) {
    return null;
  }

  if (need.category === 'ride') {
    if (need.details.wheelchair === true) {
      if (offer.details.wheelchair !== true) {
        return null;
      }
      if (explain) {
        reasons.push('wheelchair accessible');
        why.push({ code: 'wheelchair' });
      }
    }
    const dropoff = need.destination;
    if (dropoff) {
      if (offer.destination) {
        const maxDetour = typeof offer.details.maxDetourM === 'number' ? offer.details.maxDetourM : DEFAULT_MAX_DETOUR_M;
        const detour = detourMeters(offer.location, offer.destination, need.location, dropoff);
        if (detour > maxDetour) {
          return null;
        }
        if (explain) {
          reasons.push(detour < 100 ? 'on their way, no detour' : `${km(detour)} detour on their trip`);
          why.push(detour < 100 ? { code: 'noDetour' } : { code: 'detour', m: to100(detour) });
        }
      } else {
        if (distanceM(offer.location, need.location) > offer.radiusM || distanceM(offer.location, dropoff) > offer.radiusM) {
          return null;
        }
        if (explain) {
          reasons.push(`pickup and drop-off within their ${km(offer.radiusM)} area`);
          why.push({ code: 'withinArea', m: to100(offer.radiusM) });
        }
      }
    }
  }

  if (need.category === 'meal') {
    const wanted = Array.isArray(need.details.dietary) ? (need.details.dietary as string[]) : [];
    const covered = Array.isArray(offer.details.dietary) ? (offer.details.dietary as string[]) : [];
    if (!wanted.every((tag) => covered.includes(tag))) {
      return null;
    }
    if (explain && wanted.length > 0) {
      reasons.push(`covers ${wanted.join(', ')}`);
      why.push({ code: 'covers', dietary: wanted });
    }
  }

  const meets = overlapWindows(need.schedule, offer.schedule);
  if (meets.length === 0) {
    return null;
  }

  // Nearer, longer overlap, fresher rank higher; a light fairness term spreads work.
  const distanceScore = remote ? 0.5 : 1 - Math.min(d / pairReach, 1);
  const needMs = need.schedule.reduce((sum, w) => sum + (w.end.getTime() - w.start.getTime()), 0);
  const overlapMs = meets.reduce((sum, m) => sum + (m.overlap.end.getTime() - m.overlap.start.getTime()), 0);
  const overlapScore = Math.min(1, overlapMs / Math.max(needMs, 1));
  const candidate = ctx.viewer === 'need' ? offer : need;
  const ageDays = Math.max(0, ctx.now.getTime() - candidate.createdAt.getTime()) / 86_400_000;
  const freshness = Math.exp(-ageDays / 14);
  const fairness = ctx.viewer === 'need' ? -0.1 * (Math.min(ctx.helperRecentAccepts, 5) / 5) : 0;
  const score = Math.round((0.5 * distanceScore + 0.3 * overlapScore + 0.2 * freshness + fairness) * 1000) / 1000;
  const overlap = meets.map((m) => m.overlap);
  if (!explain) {
    return { score, distanceM: d, overlap, reasons, why };
  }

  const first = meets[0]!;
  const viewerZone = ctx.zone ?? (ctx.viewer === 'need' ? need.zone : offer.zone);
  const timeReason =
    ctx.viewer === 'need'
      ? `free ${span(first.offer, viewerZone, true)}, you need ${span(first.need, viewerZone, false)}`
      : `needs ${span(first.need, viewerZone, true)}, you are free ${span(first.offer, viewerZone, false)}`;
  reasons.unshift(remote ? 'remote, so distance does not matter' : `${km(d)} away`, timeReason);
  why.unshift(
    remote ? { code: 'remote' } : { code: 'distance', m: to100(d) },
    ctx.viewer === 'need' ? { code: 'free', theirs: first.offer, yours: first.need } : { code: 'needs', theirs: first.need, yours: first.offer },
  );
  if (ctx.viewer === 'need' && ctx.helperRecentAccepts > 0) {
    reasons.push(
      `already helping ${ctx.helperRecentAccepts} ${ctx.helperRecentAccepts === 1 ? 'neighbor' : 'neighbors'} this week, ranked a little lower to spread the work`,
    );
    why.push({ code: 'busy', n: ctx.helperRecentAccepts });
  }
  return { score, distanceM: d, overlap, reasons, why };
}
