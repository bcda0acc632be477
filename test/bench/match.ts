// `npm run bench:match`: how fast candidates come back (findCandidates, the
// engine behind GET /api/posts/:id/matches and the suggestions) on a metro
// area of open posts in PostgreSQL + PostGIS, against the floor: the bare
// indexed query (ST_DWithin on the GiST-indexed geography + the `&&` of the
// schedules, same kind/category/open filters, ids only, no scoring, no JS),
// and a second floor, "floor, reaches", that walks as far as the candidate
// query must (both sides' radii decide a pair's reach), still ids only.
//
//   npm run bench:match
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/aidmap_bench,
// created when missing), POSTS (open posts, default 1,000,000), SUBJECTS
// (posts asked for candidates, default 2,000), USERS (authors, default
// 5,000), RESEED=1 (seed again even if the set is there), BUDGET_S (seconds
// per measured phase, default 120; the subjects are random, so a phase cut
// short is a fair sample). The database is seeded once per POSTS and USERS
// and reused; a database holding posts this script did not seed is refused,
// never wiped.
// Targets (issue 3): p99 <= 10 ms at 1M posts, >= 1,000 matches/s at
// concurrency 8, within 1.5x of the floor.
import { sql as dsql } from 'drizzle-orm';
import postgres from 'postgres';
import { type DB, loadSecret, openDatabase, rowsOf } from '../../db';
import { FLOOR_SQL, floorParams, REACH_FLOOR_SQL } from './candidate-floor';
import { ensureDatabase, recordingDb } from './database';
import { hashPassword } from '../../server/auth/passwords';
import { AUTHOR_VIEW, ENTITLED_VIEW, findCandidates, type Perspective, PUBLIC_VIEW } from '../../server/matching/candidates';
import { type PostRow, postsRepo } from '../../server/posts/repository';
import { createPost, LOCATION_KEY } from '../../server/posts/service';
import { eachLimited } from '../../server/communities/assignments';
import { intEnv, machineLoad } from './env';
import { percentile } from './figures';
import { type CreatePostBody } from '../../server/contract/posts';

/** A database of its own on the local server unless told otherwise (never the app's: it is filled and refilled). */
const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/aidmap_bench';
const N = intEnv('POSTS', 1_000_000);
const SUBJECTS = intEnv('SUBJECTS', 2_000);
const USERS = intEnv('USERS', 5_000);
const LIMIT = 20;
const CHUNK = 100_000;
const TZ = 'America/Chicago';
const TARGET = { p99Ms: 10, qps8: 1000, ratio: 1.5 };


// ---------------------------------------------------------------------------
// The metro area: Chicago, 60 km north–south, Lake Michigan to the east.
// ---------------------------------------------------------------------------

const BOX = { south: 41.6, north: 42.14, west: -88.0, east: -87.52 };
/** Neighborhood centers: lat, lng, spread (sigma, m), weight (people). */
const HOODS: [string, number, number, number, number][] = [
  ['Rogers Park', 42.0087, -87.6676, 900, 3],
  ['Edgewater', 41.9837, -87.6607, 800, 3],
  ['Uptown', 41.9665, -87.6533, 800, 3],
  ['Lincoln Square', 41.9688, -87.6891, 900, 2],
  ['Albany Park', 41.9684, -87.722, 900, 3],
  ['Jefferson Park', 41.9703, -87.7631, 1200, 1.5],
  ['Portage Park', 41.9583, -87.765, 1100, 2.5],
  ['Irving Park', 41.953, -87.7364, 1000, 2],
  ['Lakeview', 41.9434, -87.6553, 1000, 5],
  ['Lincoln Park', 41.9214, -87.6513, 1000, 4],
  ['Logan Square', 41.9232, -87.7093, 1000, 4],
  ['Avondale', 41.9387, -87.7112, 800, 2],
  ['Belmont Cragin', 41.9317, -87.7686, 1100, 3],
  ['Austin', 41.8948, -87.7656, 1300, 4],
  ['Humboldt Park', 41.9006, -87.7209, 1000, 3],
  ['Wicker Park', 41.9088, -87.6796, 700, 2],
  ['West Town', 41.896, -87.672, 900, 3],
  ['River North', 41.8925, -87.6341, 700, 2.5],
  ['Loop', 41.8786, -87.6251, 600, 1],
  ['West Loop', 41.8825, -87.648, 700, 2],
  ['South Loop', 41.8569, -87.6244, 800, 2],
  ['Pilsen', 41.8564, -87.6569, 800, 2.5],
  ['Little Village', 41.8442, -87.7134, 1000, 3.5],
  ['Garfield Park', 41.881, -87.7196, 900, 2],
  ['North Lawndale', 41.86, -87.718, 900, 2],
  ['Bridgeport', 41.838, -87.651, 900, 2],
  ['Bronzeville', 41.817, -87.618, 1000, 2],
  ['Back of the Yards', 41.809, -87.666, 1000, 2.5],
  ['Gage Park', 41.795, -87.696, 1000, 2.5],
  ['Hyde Park', 41.7943, -87.5907, 800, 2],
  ['Woodlawn', 41.7807, -87.596, 800, 1.5],
  ['South Shore', 41.762, -87.576, 900, 3],
  ['Chatham', 41.74, -87.612, 1000, 2.5],
  ['Englewood', 41.78, -87.644, 1000, 2.5],
  ['Chicago Lawn', 41.775, -87.696, 1000, 3],
  ['Ashburn', 41.747, -87.711, 1300, 2.5],
  ['Beverly', 41.718, -87.67, 1200, 1.5],
  ['Roseland', 41.7, -87.623, 1200, 2.5],
  ['South Chicago', 41.74, -87.55, 900, 1.5],
  ['Evanston', 42.045, -87.6877, 1300, 3],
  ['Skokie', 42.0324, -87.7416, 1500, 2.5],
  ['Oak Park', 41.885, -87.7845, 1100, 2.5],
  ['Cicero', 41.8456, -87.7539, 1100, 3],
  ['Berwyn', 41.8506, -87.7937, 1000, 2],
];
/** Posts spread uniformly over the whole box (then moved out of the lake). */
const BACKGROUND = 0.15;
/** Lake Michigan's shore, south to north: east of it is water. */
const SHORE: [number, number][] = [
  [41.6, -87.52],
  [41.73, -87.53],
  [41.8, -87.58],
  [41.88, -87.61],
  [41.92, -87.625],
  [42.0, -87.655],
  [42.06, -87.675],
  [42.14, -87.73],
];
/** Where rides go: hospitals, stations, airports, downtown. */
const HUBS: [number, number][] = [
  [41.8955, -87.6213], // Northwestern Memorial
  [41.8745, -87.6694], // Rush
  [41.7886, -87.6045], // UChicago Medicine
  [41.8744, -87.6733], // Stroger
  [41.8787, -87.6403], // Union Station
  [41.9786, -87.9048], // O'Hare
  [41.7868, -87.7522], // Midway
  [41.9373, -87.6496], // Illinois Masonic
  [41.8625, -87.695], // Mount Sinai
  [41.8819, -87.6278], // the Loop
];

const CATEGORIES = ['ride', 'meal', 'tutoring', 'grocery', 'errand', 'childcare', 'repair', 'lending', 'companionship', 'other'];
/** Share of each category among needs and among offers (same order as CATEGORIES). */
const NEED_MIX = [0.15, 0.15, 0.07, 0.17, 0.12, 0.08, 0.08, 0.05, 0.09, 0.04];
const OFFER_MIX = [0.13, 0.16, 0.1, 0.14, 0.12, 0.07, 0.08, 0.08, 0.08, 0.04];

const TITLES: Record<string, [string[], string[]]> = {
  ride: [
    ['Ride to a medical appointment', 'Ride to dialysis', 'Lift to the pharmacy and back', 'Ride to a job interview', 'Ride to the food pantry', 'Airport drop-off'],
    ['Driving downtown weekday mornings', 'Free seats on my way to work', 'Can drive neighbors to appointments', 'Accessible van, errands', 'Weekend rides around the neighborhood'],
  ],
  meal: [
    ['Meals for a family after surgery', 'Dinners this week, recovering from flu', 'Hot meal for an older neighbor', 'Halal meals for a family of 4', 'Gluten-free dinners'],
    ['Extra soup on Wednesdays', 'Vegetarian Sunday dinners', 'Cooking a big pot, servings to share', 'Home-cooked meals for new parents', 'Kosher challah and soup Fridays'],
  ],
  tutoring: [
    ['Algebra help for my daughter', 'English conversation practice', 'Reading help for a 2nd grader', 'Chemistry homework help', 'SAT prep'],
    ['Math tutoring, online or at the library', 'ESL tutor, Spanish speaker', 'Reading help for early readers', 'Physics and chemistry help', 'Writing coach for essays'],
  ],
  grocery: [
    ['Weekly grocery pickup', 'Groceries while I am quarantined', 'Pick up my order at Jewel-Osco', 'Heavy items from Mariano\'s'],
    ['I shop at Aldi on Saturdays, can bring yours', 'Grocery runs for neighbors', 'Picking up orders from Jewel-Osco', 'Farmers market trip, room for your list'],
  ],
  errand: [
    ['Pick up a prescription at Walgreens', 'Mail a package', 'Drop off library books', 'Return a parcel at the UPS store'],
    ['Post office and pharmacy runs at lunch', 'Errands on my way home', 'Can pick up prescriptions', 'Saturday errand runs'],
  ],
  childcare: [
    ['Sitter during a job interview', 'School pickup on Friday', 'Someone to watch the kids for an evening', 'After-school care this week'],
    ['After-school care, Tuesdays', 'Babysitting evenings', 'Retired teacher, homework and snacks', 'Weekend childcare swap'],
  ],
  repair: [
    ['Leaky kitchen faucet', 'Wheelchair tire needs fixing', 'Help mounting shelves', 'Bike brakes need adjusting'],
    ['Handyman: shelves, faucets, bikes', 'Bike repairs on weekends', 'Small electrical fixes', 'Sewing and mending'],
  ],
  lending: [
    ['Borrow a drill for an afternoon', 'Need a car seat for a week', 'Borrow a folding table', 'Need a ladder'],
    ['Lending a folding wheelchair', 'Tools to lend', 'Kids\' books and a car seat to lend', 'Camping gear to borrow'],
  ],
  companionship: [
    ['Someone to sit with my mother', 'Walking buddy after hip surgery', 'Phone calls for a lonely neighbor', 'Company at a hospital visit'],
    ['Phone calls or a walk with an older neighbor', 'Visiting neighbors on weekends', 'Board games and tea', 'Reading aloud to seniors'],
  ],
  other: [
    ['Help filling in a benefits form', 'Help moving a couch', 'Translate a letter', 'Set up a new phone'],
    ['Tech help for seniors', 'Help with forms and letters', 'Strong arms for moving day', 'Translation: Spanish, Polish'],
  ],
};
const DESCRIPTIONS = [
  'Happy to coordinate details by message.',
  'Flexible within the window; message me.',
  'First time asking, thank you neighbors!',
  'I have done this for a few neighbors already.',
  'Building has an elevator; buzzer 3B.',
  'Can pay for gas or groceries.',
  'Please bring a mask.',
  'Spanish or English is fine.',
];
const DIETARY = ['vegetarian', 'vegan', 'halal', 'kosher', 'gluten-free', 'nut-free', 'dairy-free'];
const DIETARY_NEED_P = [0.35, 0.12, 0.22, 0.1, 0.2, 0.15, 0.12];
const DIETARY_OFFER_P = [0.55, 0.25, 0.2, 0.1, 0.3, 0.45, 0.3];
/** Tutoring subjects as people type them (matching ignores case and spaces). */
const SUBJECTS_LIST = ['Math', 'math', 'Math ', 'Algebra', 'algebra', 'English', 'english', 'ESL', 'Reading', 'reading', 'Science', 'Chemistry', 'Physics', 'Spanish', 'History', 'Computer science', 'SAT prep', 'Writing'];
const LEVELS = ['K-2', '3rd grade', '8th grade', 'high school', 'college', 'adult', 'beginner'];
const LANGUAGES = ['en', 'es', 'pl', 'zh', 'ar', 'fr'];
const LANGUAGE_P = [0.85, 0.35, 0.06, 0.05, 0.05, 0.04];

// ---- SQL text helpers (every value below is a constant of this file or a number) ----

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const textArray = (xs: string[]) => `ARRAY[${xs.map(lit).join(',')}]::text[]`;
const numArray = (xs: number[]) => `ARRAY[${xs.join(',')}]::float8[]`;
/** Lower bounds of buckets for width_bucket: [0, w1, w1+w2, …] of normalised weights. */
function bounds(weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  for (const w of weights) {
    out.push(Number(acc.toFixed(9)));
    acc += w / total;
  }
  return out;
}
const pick = (array: string, r: string, n: number) => `(${array})[1 + floor(${r} * ${n})::int]`;

/** The shore's longitude at latitude `lat` (SQL), linear between SHORE points. */
function shoreSql(lat: string): string {
  const parts = SHORE.slice(1).map(([la, ln], i) => {
    const [la0, ln0] = SHORE[i]!;
    return `WHEN ${lat} < ${la} THEN ${ln0} + (${lat} - ${la0}) * ${(ln - ln0) / (la - la0)}`;
  });
  return `(CASE ${parts.join(' ')} ELSE ${SHORE[SHORE.length - 1]![1]} END)`;
}
/** A point in the lake is mirrored onto land across the shore; then rounded as a client would send it. */
const landLng = (lat: string, lng: string) =>
  `round(greatest(${BOX.west}, least(${BOX.east}, CASE WHEN ${lng} > ${shoreSql(lat)} THEN 2 * ${shoreSql(lat)} - ${lng} ELSE ${lng} END))::numeric, 6)::float8`;
const clampLat = (lat: string) => `round(greatest(${BOX.south}, least(${BOX.north}, ${lat}))::numeric, 6)::float8`;
const point = (lat: string, lng: string) => `ST_SetSRID(ST_MakePoint(${lng}, ${lat}), 4326)::geography`;

/**
 * One chunk of posts [lo, hi] and their post_windows, in one statement.
 * `open`: open posts created in the last 6 days, one-off windows in the next
 * two weeks or a weekly rule. `history`: fulfilled posts from last week (the
 * other side of the completed matches the fairness term counts).
 *
 * Every column is what createPost writes for the same body (checked after
 * seeding by selfCheck): windows and recurrence as the client sent them,
 * ends_at = lastWindowEnd, recurrence_from_at = ruleStart, windows_until =
 * horizon (max(now, from) + 8 weeks) + 1 week, and post_windows = the
 * one-offs plus the rule expanded over [created_at, windows_until), less
 * what the server's pruning (ended > 24 h ago) has dropped by `now`.
 */
function postsChunkSql(mode: 'open' | 'history', lo: number, hi: number, now: Date, users: number): string {
  const nowTs = `${lit(now.toISOString())}::timestamptz`;
  const base = `(${nowTs} AT TIME ZONE ${lit(TZ)})::date`;
  const K = HOODS.length;
  const hoodBounds = bounds([...HOODS.map((h) => h[4] * (1 - BACKGROUND)), BACKGROUND * HOODS.reduce((a, h) => a + h[4], 0)]);
  // Authors live in the neighborhoods in proportion to their weights.
  const userBounds = bounds(HOODS.map((h) => h[4]));
  const userShare = HOODS.map((h) => h[4] / HOODS.reduce((a, x) => a + x[4], 0));
  const fmt = `'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'`;
  const loc = (tsExpr: string) => `to_char(${tsExpr}, ${fmt})`;
  const atTz = (localTs: string) => `((${localTs}) AT TIME ZONE ${lit(TZ)})`;
  const titleCase = CATEGORIES.map((c) => {
    const [needs, offers] = TITLES[c]!;
    return `WHEN ${lit(c)} THEN CASE kind WHEN 'need' THEN ${pick(textArray(needs), 'r_title', needs.length)} ELSE ${pick(textArray(offers), 'r_title', offers.length)} END`;
  }).join(' ');
  const dayNames = textArray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  const someDays = (k: number) =>
    `(SELECT jsonb_agg(dn ORDER BY i) FROM (SELECT dn, i FROM unnest(${dayNames}) WITH ORDINALITY u(dn, i) ORDER BY random() + 0 * e.n LIMIT ${k}) x)`;
  const hhmm = (mins: string) => `lpad(((${mins}) / 60)::text, 2, '0') || ':' || lpad(((${mins}) % 60)::text, 2, '0')`;
  const prune = `${nowTs} - interval '24 hours'`;
  return `
WITH a AS (
  SELECT g AS n,
    width_bucket(random(), ${numArray(hoodBounds)}) AS k,
    sqrt(-2 * ln(1 - random())) AS rho, 2 * pi() * random() AS theta, random() AS ux, random() AS uy,
    random() AS r_kind, random() AS r_cat, random() AS r_rad, random() AS r_cap, random() AS r_rec,
    random() AS r_pat, random() AS r_until, random() AS r_from, random() AS r_n, random() AS r_step,
    random() AS r_d0, random() AS r_dur, random() AS r_long, random() AS r_start,
    random() AS r_d1, random() AS r_d2, random() AS r_d3, random() AS r_d4,
    random() AS r_dest, random() AS r_dest2, random() AS r_dest3, random() AS r_dest4,
    random() AS r_title, random() AS r_desc, random() AS r_desc2, random() AS r_author, random() AS r_created,
    random() AS r_pd, random() AS r_pb, random() AS r_qd, random() AS r_qb
  FROM generate_series(${lo}, ${hi}) g
),
b AS (
  SELECT a.*,
    CASE WHEN r_kind < 0.55 THEN 'need' ELSE 'offer' END AS kind,
    CASE WHEN k <= ${K} THEN (${numArray(HOODS.map((h) => h[1]))})[k] + rho * (${numArray(HOODS.map((h) => h[3]))})[k] * cos(theta) / 111195.0
         ELSE ${BOX.south} + uy * ${BOX.north - BOX.south} END AS lat0,
    CASE WHEN k <= ${K} THEN (${numArray(HOODS.map((h) => h[2]))})[k] + rho * (${numArray(HOODS.map((h) => h[3]))})[k] * sin(theta)
                              / (111195.0 * cos(radians((${numArray(HOODS.map((h) => h[1]))})[k])))
         ELSE ${BOX.west} + ux * ${BOX.east - BOX.west} END AS lng0,
    CASE WHEN k <= ${K} THEN least(${users - 1}, floor(((${numArray(userBounds)})[k] + r_author * (${numArray(userShare)})[k]) * ${users}))
         ELSE floor(r_author * ${users}) END::int AS author_no
  FROM a
),
c AS MATERIALIZED (
  SELECT b.*,
    CASE WHEN kind = 'need' THEN (${textArray(CATEGORIES)})[width_bucket(r_cat, ${numArray(bounds(NEED_MIX))})]
         ELSE (${textArray(CATEGORIES)})[width_bucket(r_cat, ${numArray(bounds(OFFER_MIX))})] END AS category,
    ${clampLat('lat0')} AS lat,
    ${landLng('lat0', 'lng0')} AS lng
  FROM b
),
d AS (
  SELECT c.*,
    (CASE WHEN kind = 'need' THEN 500 + 100 * floor(r_rad ^ 2 * 56) ELSE 1000 + 100 * floor(r_rad ^ 1.5 * 91) END)::int AS radius_m,
    (CASE category
       WHEN 'ride' THEN CASE WHEN kind = 'offer' THEN 1 + floor(r_cap * 4) WHEN r_cap > 0.9 THEN 2 ELSE 1 END
       WHEN 'meal' THEN CASE WHEN kind = 'offer' THEN 2 + floor(r_cap * 7) ELSE 1 + floor(r_cap ^ 2 * 4) END
       WHEN 'tutoring' THEN CASE WHEN kind = 'offer' THEN 1 + floor(r_cap * 3) ELSE 1 END
       ELSE 1 END)::int AS capacity,
    ${mode === 'open' ? `r_rec < CASE WHEN kind = 'offer' THEN 0.55 ELSE 0.25 END` : 'false'} AS recurring,
    (CASE WHEN category = 'ride' THEN 30 + 15 * floor(r_dur * 7)
          WHEN category = 'meal' THEN 60 + 30 * floor(r_dur * 5)
          WHEN r_long < 0.1 THEN 240 + 60 * floor(r_dur * 6)
          ELSE 60 + 30 * floor(r_dur * 7) END)::int AS dur,
    (1 + floor(r_n ^ 2 * 3))::int AS nwin,
    (1 + floor(r_step * 3))::int AS step,
    category = 'ride' AND (kind = 'need' OR r_dest < 0.4) AS has_dest,
    ${mode === 'open' ? `${nowTs} - make_interval(secs => floor(r_created * 518400))` : `${nowTs} - make_interval(secs => 691200 + floor(r_created * 345600))`} AS created_at
  FROM c
),
e AS MATERIALIZED (
  SELECT d.*,
    (420 + 15 * floor(r_start * ((1380 - dur - 420) / 15 + 1)))::int AS start_min,
    (${mode === 'open' ? '1 + floor(r_d0 * (14 - (nwin - 1) * step))' : '-7 + floor(r_d0 * (7 - (nwin - 1) * step))'})::int AS d0,
    CASE WHEN r_until < 0.6 THEN ${base} + 28 + floor(r_until / 0.6 * 155)::int END AS until_date,
    CASE WHEN r_from < 0.1 THEN ${base} + floor(r_from * 100)::int END AS from_date,
    CASE WHEN NOT has_dest THEN NULL WHEN r_dest2 < 0.45 THEN (${numArray(HUBS.map((h) => h[0]))})[1 + floor(r_dest3 * ${HUBS.length})::int]
         ELSE lat + (1000 + r_dest3 * 11000) * cos(2 * pi() * r_dest4) / 111195.0 END AS dlat0,
    CASE WHEN NOT has_dest THEN NULL WHEN r_dest2 < 0.45 THEN (${numArray(HUBS.map((h) => h[1]))})[1 + floor(r_dest3 * ${HUBS.length})::int]
         ELSE lng + (1000 + r_dest3 * 11000) * sin(2 * pi() * r_dest4) / (111195.0 * cos(radians(lat))) END AS dlng0
  FROM d
),
f AS (
  SELECT e.*,
    CASE WHEN has_dest THEN ${clampLat('dlat0')} END AS dlat,
    CASE WHEN has_dest THEN ${landLng('dlat0', 'dlng0')} END AS dlng,
    CASE WHEN recurring THEN jsonb_strip_nulls(jsonb_build_object(
      'days', CASE WHEN r_pat < 0.30 THEN ${someDays(1)} WHEN r_pat < 0.55 THEN ${someDays(2)} WHEN r_pat < 0.70 THEN ${someDays(3)}
                   WHEN r_pat < 0.85 THEN '["mon","tue","wed","thu","fri"]'::jsonb WHEN r_pat < 0.95 THEN '["sat","sun"]'::jsonb
                   ELSE '["mon","tue","wed","thu","fri","sat","sun"]'::jsonb END,
      'startTime', ${hhmm('start_min')},
      'endTime', ${hhmm('start_min + dur')},
      'timezone', ${lit(TZ)},
      'from', to_char(from_date, 'YYYY-MM-DD'),
      'until', to_char(until_date, 'YYYY-MM-DD'))) END AS rule,
    CASE WHEN recurring THEN '[]'::jsonb ELSE (
      SELECT jsonb_agg(jsonb_build_object(
        'start', ${loc(atTz(`(${base} + e.d0 + (i - 1) * e.step) + make_interval(mins => e.start_min)`))},
        'end', ${loc(atTz(`(${base} + e.d0 + (i - 1) * e.step) + make_interval(mins => e.start_min + e.dur)`))}) ORDER BY i)
      FROM generate_series(1, e.nwin) i) END AS windows,
    CASE category
      WHEN 'ride' THEN jsonb_strip_nulls(jsonb_build_object(
        'wheelchair', CASE WHEN r_d1 < CASE WHEN kind = 'need' THEN 0.08 ELSE 0.12 END THEN true WHEN r_d1 > 0.97 THEN false END,
        'maxDetourM', CASE WHEN kind = 'offer' AND has_dest AND r_d2 < 0.3 THEN 1000 + 500 * floor(r_d3 * 9)::int END))
      WHEN 'meal' THEN CASE WHEN r_d1 < CASE WHEN kind = 'need' THEN 0.5 ELSE 0.3 END THEN '{}'::jsonb ELSE jsonb_build_object('dietary', COALESCE((
        SELECT jsonb_agg(t ORDER BY i) FROM unnest(${textArray(DIETARY)}, ${numArray(DIETARY_NEED_P)}, ${numArray(DIETARY_OFFER_P)}) WITH ORDINALITY u(t, pn, po, i)
        WHERE random() < CASE WHEN e.kind = 'need' THEN pn ELSE po END), '[]'::jsonb)) END
      WHEN 'tutoring' THEN jsonb_strip_nulls(jsonb_build_object(
        'subject', ${pick(textArray(SUBJECTS_LIST), 'r_d1', SUBJECTS_LIST.length)},
        'level', CASE WHEN r_d2 < 0.4 THEN ${pick(textArray(LEVELS), 'r_d2 / 0.4', LEVELS.length)} END,
        'languages', CASE WHEN r_d3 < CASE WHEN kind = 'need' THEN 0.7 ELSE 0.8 END THEN COALESCE((
          SELECT jsonb_agg(CASE WHEN l = 'en' AND random() < 0.1 THEN 'en-US' ELSE l END ORDER BY i)
          FROM unnest(${textArray(LANGUAGES)}, ${numArray(LANGUAGE_P)}) WITH ORDINALITY u(l, p, i) WHERE random() < p + 0 * e.n), '["en"]'::jsonb) END,
        'mode', CASE WHEN r_d4 < 0.35 THEN 'in_person' WHEN r_d4 < 0.6 THEN 'remote' WHEN r_d4 < 0.85 THEN 'either' END))
      ELSE '{}'::jsonb END AS details,
    CASE category ${titleCase} END AS title,
    CASE WHEN r_desc < 0.4 THEN NULL ELSE ${pick(textArray(DESCRIPTIONS), 'r_desc2', DESCRIPTIONS.length)} END AS description
  FROM e
),
g AS MATERIALIZED (
  SELECT f.*,
    CASE WHEN from_date IS NOT NULL AND recurring THEN ${atTz('from_date::timestamp')} END AS recurrence_from_at
  FROM f
),
-- Ids, ends_at and windows_until first: each post's windows (and so its
-- schedule, range_agg of them) are known before the post row is written.
g2 AS MATERIALIZED (
  SELECT g.*, gen_random_uuid() AS id,
    (CASE WHEN NOT recurring THEN ${atTz(`(${base} + d0 + (nwin - 1) * step) + make_interval(mins => start_min + dur)`)}
         WHEN until_date IS NULL THEN NULL
         ELSE (SELECT max(${atTz('dd + make_interval(mins => g.start_min + g.dur)')})
               FROM generate_series((g.until_date - 13)::timestamp, g.until_date::timestamp, interval '1 day') dd
               WHERE rule->'days' ? to_char(dd, 'dy') AND (g.from_date IS NULL OR dd >= g.from_date)) END) AS ends_at,
    CASE WHEN recurring THEN greatest(created_at, COALESCE(recurrence_from_at, created_at)) + interval '1512 hours' END AS windows_until,
    rule AS recurrence
  FROM g
),
wins AS MATERIALIZED (
SELECT g2.id AS post_id, tstzrange((w->>'start')::timestamptz, (w->>'end')::timestamptz, '[)') AS during, false AS recurring
FROM g2, jsonb_array_elements(g2.windows) w
WHERE (w->>'end')::timestamptz > ${prune}
UNION ALL
SELECT g2.id, tstzrange(x.s, x.s + r.dur, '[)'), true
FROM g2
-- Local dates from two days before creation to a day past windows_until (as expandRecurrence walks them),
-- only those on the rule's weekdays (day 0 = 2000-01-03, a Monday), within from/until. Windows are
-- 07:00–23:00 local, never across a DST change, so the end is the start plus the length.
CROSS JOIN LATERAL (
  SELECT greatest(((g2.created_at AT TIME ZONE ${lit(TZ)})::date - 2), COALESCE((g2.recurrence->>'from')::date, '-infinity')) - DATE '2000-01-03' AS lo,
         least(((g2.windows_until AT TIME ZONE ${lit(TZ)})::date + 1), COALESCE((g2.recurrence->>'until')::date, 'infinity')) - DATE '2000-01-03' AS hi,
         (g2.recurrence->>'startTime')::interval AS st,
         (g2.recurrence->>'endTime')::interval - (g2.recurrence->>'startTime')::interval AS dur) r
CROSS JOIN LATERAL jsonb_array_elements_text(g2.recurrence->'days') dn
CROSS JOIN LATERAL generate_series(r.lo + ((array_position(${dayNames}, dn) - 1 - r.lo) % 7 + 7) % 7, r.hi, 7) day
CROSS JOIN LATERAL (SELECT ${atTz(`DATE '2000-01-03' + day + r.st`)} AS s) x
WHERE g2.recurrence IS NOT NULL
  AND x.s + r.dur > g2.created_at AND x.s < g2.windows_until AND x.s + r.dur > ${prune}
),
sched AS (
  SELECT r.post_id, r.schedule, h.week_hours, r.stored_windows
  FROM (SELECT post_id, range_agg(during) AS schedule,
          json_agg(json_build_array(date_part('epoch', lower(during)), date_part('epoch', upper(during)), recurring) ORDER BY during) AS stored_windows
        FROM wins GROUP BY post_id) r
  JOIN (SELECT post_id, uniq(sort(array_agg(h))) AS week_hours FROM wins, unnest(week_hours(during)) h GROUP BY post_id) h USING (post_id)),
ins AS (
  INSERT INTO posts (id, author_id, kind, category, title, description, location, public_location, location_precision_m, radius_m,
                     destination, public_destination, capacity, capacity_left, details, windows, recurrence, status, ends_at,
                     recurrence_from_at, windows_until, created_at, updated_at, schedule, week_hours, stored_windows)
  SELECT g2.id, md5('aidmap-bench-user:' || author_no)::uuid, kind::post_kind, category::post_category, title, description,
    ${point('lat', 'lng')},
    ST_Project(${point('lat', 'lng')}, 150 + r_pd * 250, 2 * pi() * r_pb),
    400, radius_m,
    CASE WHEN has_dest THEN ${point('dlat', 'dlng')} END,
    CASE WHEN has_dest THEN ST_Project(${point('dlat', 'dlng')}, 150 + r_qd * 250, 2 * pi() * r_qb) END,
    capacity, capacity, details, windows, rule, ${mode === 'open' ? `'open'` : `'fulfilled'`}::post_status,
    ends_at,
    recurrence_from_at,
    windows_until,
    created_at, created_at, COALESCE(s.schedule, '{}'), COALESCE(s.week_hours, '{}'), COALESCE(s.stored_windows, '[]')
  FROM g2 LEFT JOIN sched s ON s.post_id = g2.id
)
INSERT INTO post_windows (post_id, during, recurring) SELECT post_id, during, recurring FROM wins`;
}

// ---------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------

const MARKER = 'bench_match_seed';
interface Marker {
  posts: number;
  users: number;
  now: Date;
  seconds: number | null;
  complete: boolean;
  pending_indexes: { name: string; def: string }[] | null;
}

type Sql = postgres.Sql;

async function readMarker(admin: Sql): Promise<Marker | undefined> {
  await admin.unsafe(`CREATE TABLE IF NOT EXISTS ${MARKER} (
    id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), posts int NOT NULL, users int NOT NULL, now timestamptz NOT NULL,
    seconds real, complete boolean NOT NULL DEFAULT false, pending_indexes jsonb)`);
  const [row] = await admin.unsafe<Marker[]>(`SELECT posts, users, now, seconds, complete, pending_indexes FROM ${MARKER}`);
  return row;
}

/** Builds indexes over a few connections (one GiST build is single-threaded; this machine has 2 cores). */
async function buildIndexes(indexes: { name: string; def: string }[], log: (s: string) => void): Promise<void> {
  const builders = postgres(databaseUrl, {
    max: 2,
    onnotice: () => {},
    connection: { maintenance_work_mem: '768MB', max_parallel_maintenance_workers: 1 },
  });
  try {
    const queue = [...indexes];
    await Promise.all(
      [0, 1].map(async () => {
        for (let ix = queue.shift(); ix; ix = queue.shift()) {
          const t = performance.now();
          await builders.unsafe(ix.def);
          log(`    index ${ix.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
        }
      }),
    );
  } finally {
    await builders.end({ timeout: 5 });
  }
}

/** Seeds N open posts (and their history) unless the database already holds that set; returns the time-base. */
async function ensureSeeded(log: (s: string) => void): Promise<{ now: Date; seeded: boolean; seconds: number | null }> {
  const admin = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    connection: { TimeZone: TZ, work_mem: '256MB', synchronous_commit: 'off', jit: 'off' },
  });
  try {
    let marker = await readMarker(admin);
    if (marker?.pending_indexes?.length) {
      log(`  a previous seeding stopped before its indexes were rebuilt; rebuilding ${marker.pending_indexes.length}`);
      await buildIndexes(marker.pending_indexes, log);
      await admin.unsafe(`UPDATE ${MARKER} SET pending_indexes = NULL`);
      marker = await readMarker(admin);
    }
    if (marker?.complete && marker.posts === N && marker.users === USERS && !process.env.RESEED) {
      const [{ open }] = (await admin.unsafe(`SELECT count(*)::int AS open FROM posts WHERE status = 'open'`)) as unknown as [{ open: number }];
      if (open === N) {
        return { now: new Date(marker.now), seeded: false, seconds: marker.seconds };
      }
      log(`  the seeded set changed (${open} open posts, expected ${N}); seeding again`);
    }
    if (!marker) {
      const [{ n }] = (await admin.unsafe(`SELECT count(*)::int AS n FROM posts`)) as unknown as [{ n: number }];
      if (n > 0) {
        throw new Error(
          `${databaseUrl} already holds ${n} posts that bench:match did not seed; it only fills a database of its own ` +
            '(create one, e.g. `createdb aidmap_bench`, and point DATABASE_URL at it).',
        );
      }
    }

    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const started = performance.now();
    const step = (label: string, t: number) => log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    log(`seeding ${N.toLocaleString('en')} open posts, time-base ${now.toISOString()}`);
    // Secondary indexes are dropped and rebuilt after the load (saved first, so a crash can rebuild them);
    // foreign keys are not checked row by row (session_replication_role): the rows are consistent by construction.
    const indexes = await admin.unsafe<{ name: string; def: string }[]>(`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('posts', 'post_windows')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
      ORDER BY (i.tablename = 'post_windows') DESC, (i.indexdef LIKE '%gist%') DESC, i.indexname`);
    await admin.unsafe(`
      INSERT INTO ${MARKER} (id, posts, users, now, complete, pending_indexes) VALUES (1, ${N}, ${USERS}, ${lit(now.toISOString())}, false, ${lit(JSON.stringify(indexes))}::jsonb)
      ON CONFLICT (id) DO UPDATE SET posts = EXCLUDED.posts, users = EXCLUDED.users, now = EXCLUDED.now, seconds = NULL,
        complete = false, pending_indexes = EXCLUDED.pending_indexes`);
    let t = performance.now();
    await admin.unsafe(`DROP TABLE IF EXISTS proto_posts, proto_matches, proto_post_windows`);
    await admin.unsafe(`TRUNCATE messages, matches, post_windows, posts, sessions, users CASCADE`);
    for (const ix of indexes) {
      await admin.unsafe(`DROP INDEX IF EXISTS ${ix.name}`);
    }
    step('truncate, drop indexes', t);

    t = performance.now();
    const passwordHash = await hashPassword('aidmap-bench');
    await admin.unsafe(`
      INSERT INTO users (id, email, password_hash, display_name, created_at)
      SELECT md5('aidmap-bench-user:' || i)::uuid, 'bench-user-' || i || '@example.org', ${lit(passwordHash)},
             (${textArray(['Rosa', 'Malik', 'Ines', 'Dmitri', 'Grace', 'Tomás', 'Aisha', 'Wen', 'Olu', 'Hannah', 'Marek', 'Lupe', 'Jamal', 'Mei', 'Kofi', 'Ana'])})[1 + i % 16]
               || ' ' || chr(65 + (i / 16) % 26) || '.',
             ${lit(now.toISOString())}::timestamptz - make_interval(days => 30 + i % 600)
      FROM generate_series(0, ${USERS - 1}) i`);
    step(`${USERS.toLocaleString('en')} users`, t);

    // Chunks of posts on two connections (one statement keeps one core busy; this machine has 2),
    // each chunk with its own random seed so the data does not depend on which connection ran it.
    const history = Math.max(2, Math.round(N / 25));
    const chunks: { mode: 'open' | 'history'; lo: number; hi: number }[] = [];
    for (let lo = 1; lo <= N; lo += CHUNK) {
      chunks.push({ mode: 'open', lo, hi: Math.min(N, lo + CHUNK - 1) });
    }
    for (let lo = 1; lo <= history; lo += CHUNK) {
      chunks.push({ mode: 'history', lo, hi: Math.min(history, lo + CHUNK - 1) });
    }
    t = performance.now();
    const loaders = postgres(databaseUrl, {
      max: 2,
      onnotice: () => {},
      connection: { TimeZone: TZ, work_mem: '256MB', synchronous_commit: 'off', jit: 'off', session_replication_role: 'replica' },
    });
    try {
      const queue = chunks.map((chunk, i) => ({ ...chunk, seed: (i + 1) / (chunks.length + 1) }));
      await Promise.all(
        [0, 1].map(async () => {
          for (let c = queue.shift(); c; c = queue.shift()) {
            const { mode, lo, hi, seed } = c;
            const started = performance.now();
            await loaders.begin(async (tx) => {
              await tx.unsafe(`SELECT setseed(${seed})`);
              await tx.unsafe(postsChunkSql(mode, lo, hi, now, USERS));
            });
            log(`    ${mode} posts ${lo.toLocaleString('en')}–${hi.toLocaleString('en')}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
          }
        }),
      );
    } finally {
      await loaders.end({ timeout: 5 });
    }
    step(`${N.toLocaleString('en')} open + ${history.toLocaleString('en')} fulfilled posts with their windows`, t);

    // The completed matches between last week's fulfilled needs and offers, accepted in the last 7
    // days: what the fairness term counts.
    t = performance.now();
    await admin.unsafe(`
      WITH h AS (
        SELECT id, kind, category, author_id, capacity,
               row_number() OVER (PARTITION BY kind, category ORDER BY ST_GeoHash(location::geometry, 8)) AS rn
        FROM posts WHERE status = 'fulfilled'),
      pairs AS (
        SELECT n.id AS need_id, o.id AS offer_id, n.author_id, o.author_id AS helper_id, least(n.capacity, o.capacity) AS amount,
               ${lit(now.toISOString())}::timestamptz - make_interval(secs => 43200 + floor(random() * 561600)) AS accepted_at
        FROM h n JOIN h o ON n.kind = 'need' AND o.kind = 'offer' AND o.category = n.category AND o.rn = n.rn)
      INSERT INTO matches (need_id, offer_id, helper_id, status, proposed_by, amount, score, accepted_at, created_at, updated_at)
      SELECT need_id, offer_id, helper_id, 'completed', author_id, amount, round((0.4 + random() * 0.5)::numeric, 3),
             accepted_at, accepted_at - interval '3 hours', accepted_at + interval '1 day'
      FROM pairs`);
    step('completed matches', t);

    t = performance.now();
    await buildIndexes(indexes, log);
    await admin.unsafe(`UPDATE ${MARKER} SET pending_indexes = NULL`);
    step('indexes', t);
    t = performance.now();
    await admin.unsafe(`VACUUM (ANALYZE) users, posts, post_windows, matches`);
    step('VACUUM ANALYZE', t);
    const seconds = (performance.now() - started) / 1000;
    await admin.unsafe(`UPDATE ${MARKER} SET complete = true, seconds = ${seconds}`);
    log(`  seeded in ${seconds.toFixed(1)} s`);
    return { now, seeded: true, seconds };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------
// Self-check: seeded rows are what createPost writes for the same body.
// ---------------------------------------------------------------------------

class Rollback extends Error {}

async function selfCheck(db: DB, raw: Sql, now: Date, count: number): Promise<number> {
  const locationKey = await loadSecret(db, LOCATION_KEY);
  const ids = (
    await raw.unsafe<{ id: string }[]>(`
      (SELECT id FROM posts WHERE status = 'open' AND recurrence IS NOT NULL ORDER BY md5(id::text || 'check-r') LIMIT ${count})
      UNION ALL
      (SELECT id FROM posts WHERE status = 'open' AND recurrence IS NULL ORDER BY md5(id::text || 'check-w') LIMIT ${count})`)
  ).map((r) => r.id);
  const seeded = await postsRepo.findMany(db, ids);
  const problems: string[] = [];
  // A post's post_windows not yet pruned, and its stored_windows likewise, as text (they must be the same).
  const windowsOf = async (ex: DB, id: string) => {
    const since = dsql`${now.toISOString()}::timestamptz - interval '24 hours'`;
    const [row] = rowsOf<{ w: string | null; s: string | null }>(
      await ex.execute(dsql`SELECT
        (SELECT string_agg(during::text || recurring, ' ' ORDER BY during) FROM post_windows WHERE post_id = ${id}::uuid AND upper(during) > ${since}) AS w,
        (SELECT string_agg(tstzrange(to_timestamp((e->>0)::float8), to_timestamp((e->>1)::float8), '[)')::text || (e->>2), ' ' ORDER BY i)
          FROM posts p, json_array_elements(p.stored_windows) WITH ORDINALITY AS x(e, i)
          WHERE p.id = ${id}::uuid AND to_timestamp((e->>1)::float8) > ${since}) AS s`),
    );
    if (row!.w !== row!.s) {
      problems.push(`${id} stored_windows differ from post_windows:\n    post_windows   ${row!.w}\n    stored_windows ${row!.s}`);
    }
    return row!.w ?? '';
  };
  const expected = new Map<string, string>();
  for (const id of ids) {
    expected.set(id, await windowsOf(db, id));
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
  try {
    await db.transaction(async (tx) => {
      for (const id of ids) {
        const row = seeded.get(id)!;
        const { destination, ...details } = { ...(row.details as Record<string, unknown>), destination: row.destination };
        const body = {
          kind: row.kind,
          category: row.category,
          title: row.title,
          ...(row.description !== null ? { description: row.description } : {}),
          location: row.location,
          radiusM: row.radiusM,
          windows: row.windows,
          ...(row.recurrence ? { recurrence: row.recurrence } : {}),
          capacity: row.capacity,
          details: destination ? { ...details, destination } : details,
        } as CreatePostBody;
        const author = { id: row.authorId, email: '', displayName: row.authorName, createdAt: row.createdAt };
        const created = await createPost(tx as unknown as DB, author, body, { now: row.createdAt, locationKey });
        if (!('row' in created)) {
          throw new Error('createPost replayed a post without an Idempotency-Key');
        }
        const made = created.row;
        for (const key of Object.keys(row) as (keyof PostRow)[]) {
          if (['id', 'publicLocation', 'publicDestination'].includes(key)) {
            continue;
          }
          if (!same(row[key], made[key])) {
            problems.push(`${id} ${key}: seeded ${JSON.stringify(row[key])}, createPost ${JSON.stringify(made[key])}`);
          }
        }
        const got = await windowsOf(tx as unknown as DB, made.id);
        if (got !== expected.get(id)) {
          problems.push(`${id} post_windows:\n    seeded     ${expected.get(id)}\n    createPost ${got}`);
        }
      }
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) {
      throw error;
    }
  }
  if (problems.length > 0) {
    throw new Error(`seeded rows differ from what createPost writes:\n  ${problems.slice(0, 10).join('\n  ')}`);
  }
  return ids.length;
}

function normalize(v: unknown): unknown {
  if (v instanceof Date) {
    return v.toISOString();
  }
  if (Array.isArray(v)) {
    return v.map(normalize);
  }
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normalize((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

interface Figures {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  qps: number;
  rows: number;
  /** Latency per subject (index as in the subject list); NaN when the budget ran out first. */
  lat: number[];
}

const BUDGET_MS = intEnv('BUDGET_S', 120) * 1000;


/**
 * Runs `fn` once per subject with `concurrency` callers pulling from one
 * queue, until every subject is done or the time budget is spent (the
 * subjects are in random order, so a prefix is a fair sample).
 */
async function measure<T>(subjects: T[], concurrency: number, fn: (s: T) => Promise<number>, budgetMs = BUDGET_MS): Promise<Figures> {
  const lat: number[] = new Array<number>(subjects.length).fill(Number.NaN);
  let next = 0;
  let rows = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < subjects.length && performance.now() - t0 < budgetMs) {
        const i = next++;
        const t = performance.now();
        const n = await fn(subjects[i]!);
        lat[i] = performance.now() - t;
        rows += n;
      }
    }),
  );
  const wall = performance.now() - t0;
  const done = lat.filter((x) => !Number.isNaN(x));
  const sorted = [...done].sort((a, b) => a - b);
  return {
    n: done.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    qps: (done.length / wall) * 1000,
    rows: rows / done.length,
    lat,
  };
}


const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const pad = (s: string, n: number) => s.padEnd(n);

async function explain(raw: Sql, text: string, params: unknown[]): Promise<string[]> {
  const rows = await raw.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params as never[], { prepare: false });
  return rows.map((r) => r['QUERY PLAN']);
}

/** Subjects whose candidate sets are compared across the three ways of reading places. */
const QUALITY_SUBJECTS = intEnv('QUALITY_SUBJECTS', 1_000);

/**
 * What the privacy rule costs matching (issue 12): the pairs found when
 * every place is read exactly (the rule before: ENTITLED_VIEW), against the
 * author's view (own post exact, others at public points: what
 * GET /api/posts/:id/matches shows) and both public (what suggestions use).
 * Whole eligible sets (up to the 300-row prefilter), the best one, and the
 * best five (what suggestions record).
 */
async function quality(db: DB, subjects: PostRow[], now: Date, log: (s: string) => void): Promise<void> {
  const views: [string, Perspective][] = [
    ['author view (own exact, others public)', AUTHOR_VIEW],
    ['both public (suggestions)', PUBLIC_VIEW],
  ];
  const ids = (s: PostRow, view: Perspective) => findCandidates(db, s, now, 300, view, { reasons: false }).then((found) => found.map((c) => c.row.id));
  const exact = await eachLimited(subjects, 4, (s) => ids(s, ENTITLED_VIEW));
  const seen: string[][][] = [];
  for (const [, view] of views) {
    seen.push(await eachLimited(subjects, 4, (s) => ids(s, view)));
  }
  const pairs = exact.reduce((n, e) => n + e.length, 0);
  const served = exact.filter((e) => e.length > 0).length;
  log(`
match quality under the privacy rule, ${subjects.length} subjects: exact places find ${pairs.toLocaleString('en')} pairs; ${served} subjects have a candidate`);
  for (const [v, [name]] of views.entries()) {
    let both = 0;
    let found = 0;
    let sameBest = 0;
    let withBest = 0;
    let top5 = 0;
    let top5Of = 0;
    let bestIn5 = 0;
    let bestIn20 = 0;
    let servedHere = 0;
    // Subjects with few candidates: their whole eligible set is read under both rules (no 300-row cut).
    let fewPairs = 0;
    let fewBoth = 0;
    let fewFound = 0;
    exact.forEach((e, i) => {
      const mine = seen[v]![i]!;
      const set = new Set(mine);
      found += mine.length;
      const common = e.filter((id) => set.has(id)).length;
      both += common;
      servedHere += mine.length > 0 ? 1 : 0;
      if (e.length < 100 && mine.length < 100) {
        fewPairs += e.length;
        fewBoth += common;
        fewFound += mine.length;
      }
      if (e.length > 0) {
        withBest++;
        sameBest += mine[0] === e[0] ? 1 : 0;
        bestIn5 += mine.slice(0, 5).includes(e[0]!) ? 1 : 0;
        bestIn20 += mine.slice(0, 20).includes(e[0]!) ? 1 : 0;
        const best5 = new Set(mine.slice(0, 5));
        top5 += e.slice(0, 5).filter((id) => best5.has(id)).length;
        top5Of += Math.min(5, e.length);
      }
    });
    const pct = (a: number, b: number) => `${b === 0 ? '–' : ((100 * a) / b).toFixed(1)}%`;
    log(`  ${name}:`);
    log(`    ${found.toLocaleString('en')} pairs (sets cut at the 300 nearest rows); ${pct(both, pairs)} of the exact pairs found again; ${servedHere} subjects with a candidate`);
    log(`    subjects with under 100 candidates (whole sets): ${pct(fewBoth, fewPairs)} of their ${fewPairs.toLocaleString('en')} exact pairs found again, ${pct(fewFound - fewBoth, fewFound)} of the ${fewFound.toLocaleString('en')} found are new`);
    log(
      `    the exact best candidate is first for ${pct(sameBest, withBest)}, in the first 5 for ${pct(bestIn5, withBest)}, in the first 20 (a page) for ${pct(bestIn20, withBest)}; ` +
        `${pct(top5, top5Of)} of the exact best five kept in the best five`,
    );
  }
}

async function main(): Promise<void> {
  const log = (s: string) => console.log(s);
  log(`database: ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}; ${machineLoad()}`);
  await ensureDatabase(databaseUrl, 'bench:match', log);
  if (process.env.PRINT_SQL) {
    console.log(postsChunkSql(process.env.PRINT_SQL as 'open', 1, 10000, new Date('2026-11-27T05:25:24Z'), USERS));
    return;
  }
  const { db, close } = await openDatabase({ databaseUrl: databaseUrl, max: 10 });
  // Without JIT, as the app's own connections (db/index.ts): at 1M rows the planner's costs pass
  // jit_above_cost and compiling costs more than the query (measured: 541 ms with JIT, 249 ms without).
  const raw = postgres(databaseUrl, { max: 10, onnotice: () => {}, connection: { jit: 'off' } });
  const floorDb = postgres(databaseUrl, { max: 10, onnotice: () => {}, connection: { jit: 'off' } });
  try {
    const { now, seeded, seconds } = await ensureSeeded(log);
    const [sizes] = await raw.unsafe<{ open: number; windows: number; users: number; matches: number; db: string; jit: string }[]>(`
      SELECT (SELECT count(*) FROM posts WHERE status = 'open')::int AS open,
             (SELECT count(*) FROM post_windows)::int AS windows,
             (SELECT count(*) FROM users)::int AS users,
             (SELECT count(*) FROM matches)::int AS matches,
             pg_size_pretty(pg_database_size(current_database())) AS db, current_setting('jit') AS jit`);
    log(
      `data: ${sizes!.open.toLocaleString('en')} open posts, ${sizes!.windows.toLocaleString('en')} post_windows, ` +
        `${sizes!.users.toLocaleString('en')} users, ${sizes!.matches.toLocaleString('en')} completed matches; database ${sizes!.db}; ` +
        `time-base ${now.toISOString()}; ${seeded ? 'seeded now' : 'reused'} (seeding took ${seconds?.toFixed(1) ?? '?'} s); jit=${sizes!.jit} on the benchmark's connections`,
    );
    const checked = await selfCheck(db, raw, now, 25);
    log(`self-check: ${checked} seeded posts re-created through createPost give the same columns and post_windows, and stored_windows hold their post_windows`);

    const ids = (
      await raw.unsafe<{ id: string }[]>(`SELECT id FROM posts WHERE status = 'open' ORDER BY md5(id::text || 'subjects') LIMIT ${SUBJECTS}`)
    ).map((r) => r.id);
    const byId = await postsRepo.findMany(db, ids);
    const subjects = ids.map((id) => byId.get(id)!);
    log(
      `subjects: ${subjects.length} random open posts (${subjects.filter((s) => s.kind === 'need').length} needs, ` +
        `${subjects.filter((s) => s.recurrence).length} weekly, ${new Set(subjects.map((s) => s.category)).size} categories); budget ${BUDGET_MS / 1000} s per phase`,
    );

    await quality(db, subjects.slice(0, QUALITY_SUBJECTS), now, log);
    if (process.env.QUALITY_ONLY) {
      return;
    }

    const results: Record<string, Record<number, Figures>> = {};
    const run = async (name: string, c: number, fn: (s: PostRow) => Promise<number>) => {
      const f = await measure(subjects, c, fn);
      (results[name] ??= {})[c] = f;
      log(
        `  ${pad(name, 16)} c=${c}  n=${pad(String(f.n), 5)} p50 ${pad(ms(f.p50), 9)} p95 ${pad(ms(f.p95), 9)} p99 ${pad(ms(f.p99), 9)} ` +
          `${pad(f.qps.toFixed(f.qps < 10 ? 1 : 0), 6)} q/s  ${f.rows.toFixed(1)} rows`,
      );
    };
    const floorFn = (s: PostRow) => floorDb.unsafe(FLOOR_SQL, floorParams(s, now), { prepare: false }).then((r) => r.length);
    const reachFn = (s: PostRow) => floorDb.unsafe(REACH_FLOOR_SQL, floorParams(s, now), { prepare: false }).then((r) => r.length);
    const engine = (s: PostRow) => findCandidates(db, s, now, LIMIT, AUTHOR_VIEW).then((r) => r.length);
    // Warm-up (caches), not counted.
    await measure(subjects, 8, floorFn, Math.min(BUDGET_MS, 20_000));
    await measure(subjects, 8, reachFn, Math.min(BUDGET_MS, 20_000));
    await measure(subjects, 8, engine, Math.min(BUDGET_MS, 20_000));

    log(`\nlatency per call and calls/s (n = subjects done within the budget); ${machineLoad()} before`);
    for (const c of [1, 8]) {
      await run('floor', c, floorFn);
      await run('floor, reaches', c, reachFn);
      await run('findCandidates', c, engine);
    }

    // Where findCandidates' time goes, per call at concurrency 1: its two statements replayed
    // (captured through drizzle's logger; the engine sends them together), the rest is JS.
    const sample = subjects.slice(0, Math.min(300, subjects.length));
    const rec = recordingDb(databaseUrl);
    let tNearby = 0;
    let tOwn = 0;
    let tWhole = 0;
    let nRows = 0;
    let done = 0;
    const captured = new Map<string, { sql: string; params: unknown[] }>();
    const t0 = performance.now();
    for (const s of sample) {
      if (performance.now() - t0 > BUDGET_MS) {
        break;
      }
      rec.queries.length = 0;
      await findCandidates(rec.db, s, now, LIMIT, AUTHOR_VIEW);
      const nearby = rec.queries.find((q) => q.sql.includes('ST_DWithin'))!;
      const own = rec.queries.find((q) => q !== nearby)!;
      captured.set(s.id, nearby);
      let t = performance.now();
      nRows += (await raw.unsafe(nearby.sql, nearby.params as never[], { prepare: false })).length;
      tNearby += performance.now() - t;
      t = performance.now();
      await raw.unsafe(own.sql, own.params as never[], { prepare: false });
      tOwn += performance.now() - t;
      t = performance.now();
      await findCandidates(db, s, now, LIMIT, AUTHOR_VIEW);
      tWhole += performance.now() - t;
      done++;
    }
    await rec.close();
    const per = (x: number) => ms(x / done);
    log(`\nbreakdown of findCandidates at c=1, mean per call over ${done} subjects (${(nRows / done).toFixed(0)} prefiltered rows each)`);
    log(`  candidate SQL (round trip, rows parsed by postgres.js)   ${per(tNearby)}`);
    log(`  the subject's own windows (sent alongside)              ${per(tOwn)}`);
    log(`  findCandidates, whole call                              ${per(tWhole)}`);
    log(`  of which JS (rows to posts, rules, score, reasons)       ~${per(Math.max(0, tWhole - tNearby))}`);

    const e1 = results.findCandidates![1]!;
    log(`\nfindCandidates at c=1 by subject (p50 / max, n)`);
    const groups = new Map<string, number[]>();
    subjects.forEach((s, i) => {
      const x = e1.lat[i]!;
      if (!Number.isNaN(x)) {
        const key = `${s.kind} ${s.category}`;
        groups.set(key, [...(groups.get(key) ?? []), x]);
      }
    });
    for (const [key, xs] of [...groups].sort()) {
      const sorted = [...xs].sort((a, b) => a - b);
      log(`  ${pad(key, 22)} ${ms(percentile(sorted, 50))} / ${ms(sorted[sorted.length - 1]!)}  (${xs.length})`);
    }

    // EXPLAIN for a typical subject (latency nearest the median) and for the slowest one measured.
    const timed = subjects.map((s, i) => ({ s, x: e1.lat[i]! })).filter(({ s, x }) => captured.has(s.id) && !Number.isNaN(x));
    const typical = [...timed].sort((a, b) => Math.abs(a.x - e1.p50) - Math.abs(b.x - e1.p50))[0]!.s;
    const slowest = [...timed].sort((a, b) => b.x - a.x)[0]!.s;
    for (const [label, subject] of [
      ['a typical subject', typical],
      ['the slowest subject of those', slowest],
    ] as const) {
      const q = captured.get(subject.id)!;
      log(
        `\ncandidate SQL as findCandidates sends it, ${label} (${subject.kind} ${subject.category}, radius ${subject.radiusM} m, ` +
          `${subject.recurrence ? 'weekly' : 'one-off'}):`,
      );
      log(q.sql);
      log(`params: ${JSON.stringify(q.params)}`);
      log('\nEXPLAIN (ANALYZE, BUFFERS):');
      log((await explain(raw, q.sql, q.params)).join('\n'));
      log('\nfloor, same subject, EXPLAIN (ANALYZE, BUFFERS):');
      log((await explain(floorDb, FLOOR_SQL, floorParams(subject, now))).join('\n'));
      log("\nfloor with both sides' reach, same subject, EXPLAIN (ANALYZE, BUFFERS):");
      log((await explain(floorDb, REACH_FLOOR_SQL, floorParams(subject, now))).join('\n'));
    }

    const verdict = (name: string, floorName: string) => {
      const e1x = results[name]![1]!;
      const e8x = results[name]![8]!;
      log(`\n${name} against the targets (${N.toLocaleString('en')} open posts):`);
      log(`  p99 at c=1: ${ms(e1x.p99)}, at c=8: ${ms(e8x.p99)} (target <= ${TARGET.p99Ms} ms at 1M posts) ${e1x.p99 <= TARGET.p99Ms ? 'MET at c=1' : 'MISSED'}`);
      log(`  calls/s at c=8: ${e8x.qps.toFixed(1)} (target >= ${TARGET.qps8}) ${e8x.qps >= TARGET.qps8 ? 'MET' : 'MISSED'}`);
      for (const c of [1, 8]) {
        const f = results[floorName]![c]!;
        const e = results[name]![c]!;
        const worst = Math.max(e.p50 / f.p50, e.p99 / f.p99, f.qps / e.qps);
        log(
          `  vs ${floorName} at c=${c}: p50 ${(e.p50 / f.p50).toFixed(1)}x, p99 ${(e.p99 / f.p99).toFixed(1)}x, throughput ${(f.qps / e.qps).toFixed(1)}x ` +
            `(target <= ${TARGET.ratio}x) ${worst <= TARGET.ratio ? 'MET' : 'MISSED'}`,
        );
      }
    };

    verdict('findCandidates', 'floor');
    // The same against the floor that walks as far as the candidate query must: what is left is
    // reading the rows (columns, windows, authors, accepts) and the JS.
    verdict('findCandidates', 'floor, reaches');
    log(`\n${machineLoad()} at the end`);
  } finally {
    await raw.end({ timeout: 5 });
    await floorDb.end({ timeout: 5 });
    await close();
  }
}

await main();
