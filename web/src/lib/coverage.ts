// Coverage as organizers read it: for each grid cell, how many needs of the
// chosen category no member's offer can serve ("short": the API's
// `unserved`, counted as triage and plans count), and how many offers are
// spare. Pure (no Leaflet, no DOM), so it is unit-tested and the
// map drawing in coverageMap.ts stays small.
import type { Coverage } from './api';
import { type Locale, translate } from './i18n';

export type CoverageCell = Coverage['cells'][number];

/** The cell sizes the API draws (coarse on purpose: overlaid fine cells would pin a post down). */
export const CELL_SIZES = [500, 1000, 2000, 5000] as const;

/**
 * How a cell is drawn, worst first: needs without help (by how many), needs
 * all covered, or offers only. Each has a color and a mark, so a cell reads
 * without color too (WCAG 1.4.1).
 */
export const LEVELS = ['short4', 'short2', 'short1', 'covered', 'spare'] as const;
export type Level = (typeof LEVELS)[number];

/** Fill colors: a red scale where help is missing, yellow where it is covered, green where offers wait. */
export const LEVEL_COLOR: Record<Level, string> = {
  short4: '#7f0000',
  short2: '#c62828',
  short1: '#f4845f',
  covered: '#ffd54f',
  spare: '#2e7d32',
};

export interface CellCounts {
  needs: number;
  offers: number;
  /** Needs that no member's offer can serve (wherever the offer is). */
  short: number;
  /** Offers beyond the needs of their category in the cell. */
  spare: number;
}

/**
 * A cell's counts for one category (null: all of them), or null when the cell
 * holds nothing of that category (then it is not drawn). The shortfall is the
 * API's: needs no member's offer can serve by area, time and kind, so three
 * ride needs are not covered by three meal offers, nor by a ride offer whose
 * area does not reach them; one in the next cell that does reach them covers them.
 */
export function cellCounts(cell: CoverageCell, category: string | null): CellCounts | null {
  const parts = category === null ? Object.values(cell.byCategory) : cell.byCategory[category] ? [cell.byCategory[category]] : [];
  const out: CellCounts = { needs: 0, offers: 0, short: 0, spare: 0 };
  for (const c of parts) {
    out.needs += c.needs;
    out.offers += c.offers;
    out.short += c.unserved;
    out.spare += Math.max(0, c.offers - c.needs);
  }
  return out.needs + out.offers > 0 ? out : null;
}

export function levelOf(c: CellCounts): Level {
  if (c.short >= 4) {
    return 'short4';
  }
  if (c.short >= 2) {
    return 'short2';
  }
  if (c.short === 1) {
    return 'short1';
  }
  return c.needs > 0 ? 'covered' : 'spare';
}

/** The mark written in a cell: how many needs lack help, ✓ when all are covered, + when only offers wait. */
export function markOf(c: CellCounts): string {
  return c.short > 0 ? String(c.short) : c.needs > 0 ? '✓' : '+';
}

export interface Period {
  /** `week`, or `d0` (today) … `d6`. */
  key: string;
  from: Date;
  to: Date;
}

/**
 * The periods an organizer picks from: the next 7 days, then each of them, in
 * the viewer's time zone (local midnights, so a day stays a calendar day
 * across a daylight-saving change). Today and the week start now: what has
 * already passed needs no helper.
 */
export function periods(now: Date, days = 7): Period[] {
  const midnight = (i: number) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + i);
  const out: Period[] = [{ key: 'week', from: now, to: midnight(days) }];
  for (let i = 0; i < days; i++) {
    out.push({ key: `d${i}`, from: i === 0 ? now : midnight(i), to: midnight(i + 1) });
  }
  return out;
}

/** How a period of periods() (or a plan's 'fortnight') is named in the picker: "This week", "Today", "Tomorrow", then the weekday and date. */
export function periodLabel(locale: Locale, key: string, from: Date): string {
  if (key === 'fortnight') {
    return translate(locale, 'plan.fortnight');
  }
  if (key === 'week') {
    return translate(locale, 'period.week');
  }
  if (key === 'd0') {
    return translate(locale, 'period.today');
  }
  if (key === 'd1') {
    return translate(locale, 'period.tomorrow');
  }
  return from.toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'short' });
}

/** The [south-west, north-east] corners of a GeoJSON Polygon or MultiPolygon, or null when it has no positions. */
export function boundsOf(boundary: { type: string; coordinates: unknown }): [[number, number], [number, number]] | null {
  let s = Infinity;
  let w = Infinity;
  let n = -Infinity;
  let e = -Infinity;
  const visit = (x: unknown): void => {
    if (Array.isArray(x) && typeof x[0] === 'number' && typeof x[1] === 'number') {
      const [lng, lat] = x as [number, number];
      s = Math.min(s, lat);
      n = Math.max(n, lat);
      w = Math.min(w, lng);
      e = Math.max(e, lng);
    } else if (Array.isArray(x)) {
      x.forEach(visit);
    }
  };
  visit(boundary.coordinates);
  return s <= n ? [[s, w], [n, e]] : null;
}
