// The floor both candidate benchmarks compare against (bench:match, bench:organize).
import type { PostRow } from '../../server/posts/repository';

const HERE = 'ST_SetSRID(ST_MakePoint($4::float8, $5::float8), 4326)::geography';

/** The floors' query: `walk` is the distance the index walk covers, `keep` what each post kept must meet. */
function floorSql(walk: string, keep: string): string {
  return `
SELECT p.id FROM posts p
WHERE p.kind = $1::post_kind AND p.category = $2::post_category AND p.status = 'open'
  AND (p.ends_at IS NULL OR p.ends_at > $3::timestamptz)
  AND ST_DWithin(p.public_location, ${HERE}, ${walk})${keep}
  AND p.schedule && (SELECT range_agg(sw.during) FROM post_windows sw WHERE sw.post_id = $7::uuid AND upper(sw.during) > $3::timestamptz)
  AND p.week_hours && (SELECT array_agg(h) FROM post_windows sw, unnest(week_hours(sw.during)) h WHERE sw.post_id = $7::uuid AND upper(sw.during) > $3::timestamptz)
ORDER BY p.public_location <-> ${HERE}
LIMIT 300`;
}

/**
 * The floor: the bare indexed query on the same indexes (the others' public points, as candidates are found). The subject's
 * radius on the GiST-indexed geography, the `&&` of the schedules (ranges and hours of the week), the same
 * kind / category / open filters, the nearest 300 like findCandidates'
 * prefilter; ids only: no rows, no windows, no scoring, no JS.
 */
export const FLOOR_SQL = floorSql('$6::float8', '');

export function floorParams(s: PostRow, now: Date): (string | number)[] {
  return [s.kind === 'need' ? 'offer' : 'need', s.category, now.toISOString(), s.location.lng, s.location.lat, s.radiusM, s.id];
}

/**
 * The floor of the rows findCandidates decides on: as FLOOR_SQL, but walking
 * as far as the candidate query must — the larger of the subject's radius
 * and the largest among open posts of the other kind in the category
 * (posts_open_radius_idx) — and keeping each post within the pair's reach,
 * the larger of the two radii. Still ids only (no rows, windows, authors or
 * scoring); remote tutoring, which findCandidates also admits, is left out.
 */
export const REACH_FLOOR_SQL = floorSql(
  `GREATEST($6::int, (SELECT max(b.radius_m) FROM posts b WHERE b.kind = $1::post_kind AND b.category = $2::post_category AND b.status = 'open'))`,
  `\n  AND ST_DWithin(p.public_location, ${HERE}, GREATEST(p.radius_m, $6::int))`,
);
