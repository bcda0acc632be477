// Places people can read (issue 16, item 3): address search and place names
// through a Nominatim-compatible geocoder (test/geocoder.ts, a careless one
// that puts house numbers in every answer). Those entitled to a post's true
// place read its address; everyone else reads a name of its public point
// made of street, neighbourhood and town only, and the geocoder is never
// asked about the true place for them. Without a geocoder every place route
// is a 503 problem and the app shows places as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceM, type LatLng } from '../../server/geo/geo';
import { Geocoder } from '../../server/places/geocoder';
import { HttpProblem } from '../../server/http/problem';
import { loadConfig } from '../../server/config';
import { approximateName, fullName } from '../../server/places/names';
import { buildTestApp, postBody, signup, TestClock, type TestContext, type TestUser } from '../helper';
import { addressPoint, houseNumberAt, neighbourhoodAt, streetAt, TestGeocoder } from '../geocoder';

// A true place and a destination on the test geocoder's streets.
const HOME = addressPoint(1104, 'St Johns Place');
const DEST = addressPoint(1520, 'Sterling Place');
/** Inside the community of the organizers' test. */
const INSIDE = addressPoint(1104, 'Carroll Street');
const THU = { start: '2026-12-03T09:00:00-05:00', end: '2026-12-03T10:00:00-05:00' };

const logs: string[] = [];
let geocoder: TestGeocoder;
let ctx: TestContext;
/** The same database, served by an app without a geocoder. */
let bare: TestContext;

beforeAll(async () => {
  geocoder = await TestGeocoder.start();
  ctx = await buildTestApp({ env: { GEOCODER_URL: `${geocoder.url}/`, GEOCODER_INTERVAL_MS: '0' }, logStream: { write: (line: string) => void logs.push(line) } });
  bare = await buildTestApp({ database: { ...ctx.database, close: async () => {} } });
});
afterAll(async () => {
  await bare?.app.close();
  await ctx?.app.close();
  await geocoder?.stop();
});

function call(user: TestUser | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, app = ctx.app) {
  return app.inject({ method, url, headers: user ? { cookie: user.cookie } : {}, ...(payload === undefined ? {} : { payload: payload as never }) });
}

async function rideNeed(author: TestUser, location: LatLng = HOME) {
  const res = await call(author, 'POST', '/api/posts', postBody({ kind: 'need', category: 'ride', title: 'Ride to the clinic', capacity: 1, location, windows: [THU], details: { destination: DEST } }));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().post as { id: string };
}

/** The name the app may show for a public point: street, neighbourhood, town of what the geocoder says is there. */
function approximateAt(p: LatLng): string {
  return `${streetAt(p.lat).name}, ${neighbourhoodAt(streetAt(p.lat).lat)}, New York`;
}

describe('without a geocoder', () => {
  it('says so, and every place route is a 503 problem', async () => {
    const user = await signup(bare.app, 'Bare');
    expect((await call(null, 'GET', '/api/places/status', undefined, bare.app)).json()).toEqual({ available: false });
    const post = await rideNeed(user);
    for (const url of ['/api/places/search?q=1520%20Sterling', `/api/places/name?lat=${HOME.lat}&lng=${HOME.lng}`, `/api/posts/${post.id}/place`]) {
      const res = await call(user, 'GET', url, undefined, bare.app);
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toMatch(/not set up on this server/);
    }
    expect((await call(null, 'GET', '/api/places/status')).json()).toEqual({ available: true });
  });
});

describe('address search', () => {
  it('finds addresses near the map, through the server, with its own User-Agent; kept for the one who asked', async () => {
    const user = await signup(ctx.app, 'Searcher');
    const before = geocoder.requests.length;
    const res = await call(user, 'GET', '/api/places/search?q=1520%20sterling&lat=40.67&lng=-73.94&lang=en');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as { label: string; lat: number; lng: number }[];
    expect(items).toEqual([{ label: 'Corner Deli, 1520 Sterling Place, Crown Heights, New York 11213', ...DEST }]);
    const sent = geocoder.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/search');
    expect(sent[0]!.userAgent).toBe('Aidmap (+http://localhost:3000)');
    expect(Object.fromEntries(sent[0]!.params)).toMatchObject({ q: '1520 sterling', format: 'jsonv2', addressdetails: '1', 'accept-language': 'en', viewbox: '-74.1900,40.4200,-73.6900,40.9200', bounded: '0' });

    // Asked again: kept. Asked by someone else: theirs to ask (a shared answer would tell them someone looked it up).
    expect((await call(user, 'GET', '/api/places/search?q=1520%20sterling&lat=40.67&lng=-73.94&lang=en')).json().items).toEqual(items);
    expect(geocoder.requests.length).toBe(before + 1);
    const other = await signup(ctx.app, 'Other searcher');
    expect((await call(other, 'GET', '/api/places/search?q=1520%20sterling&lat=40.67&lng=-73.94&lang=en')).json().items).toEqual(items);
    expect(geocoder.requests.length).toBe(before + 2);

    expect((await call(user, 'GET', '/api/places/search?q=nowhere%20at%20all')).json().items).toEqual([]);
  });

  it('is for people signed in, and refuses bad questions with a 400 problem', async () => {
    expect((await call(null, 'GET', '/api/places/search?q=1520%20sterling')).statusCode).toBe(401);
    const user = await signup(ctx.app, 'Careless');
    const before = geocoder.requests.length;
    for (const q of ['q=ab', 'q=%20%20%20%20%20', 'q=', '', 'q=1520%20sterling&lat=40.6', 'q=1520%20sterling&lat=91&lng=0', 'q=1520%20sterling&lang=fr', `q=${'x'.repeat(201)}`, 'q=1520%20sterling&radius=5']) {
      const res = await call(user, 'GET', `/api/places/search?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toBeTruthy();
    }
    expect(geocoder.requests.length).toBe(before);
  });
});

describe('the name of a point being chosen', () => {
  it('is its whole address, in the language asked; null where the geocoder knows nothing', async () => {
    const user = await signup(ctx.app, 'Chooser');
    expect((await call(user, 'GET', `/api/places/name?lat=${HOME.lat}&lng=${HOME.lng}`)).json()).toEqual({ name: 'Corner Deli, 1104 St Johns Place, Crown Heights, New York 11213' });
    expect((await call(user, 'GET', `/api/places/name?lat=${HOME.lat}&lng=${HOME.lng}&lang=es`)).json()).toEqual({ name: 'Corner Deli, 1104 St Johns Place, Crown Heights, Nueva York 11213' });
    expect((await call(user, 'GET', '/api/places/name?lat=10&lng=10')).json()).toEqual({ name: null });
    expect((await call(null, 'GET', `/api/places/name?lat=${HOME.lat}&lng=${HOME.lng}`)).statusCode).toBe(401);
    for (const q of ['lat=91&lng=0', 'lat=abc&lng=0', 'lat=40.6', 'lat=40.6&lng=-73.9&lang=de']) {
      const res = await call(user, 'GET', `/api/places/name?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});

describe("a post's place names", () => {
  it('give the author the addresses, and anyone else only street, neighbourhood and town of the public points, never asking about the true ones', async () => {
    const author = await signup(ctx.app, 'Author');
    const stranger = await signup(ctx.app, 'Stranger');
    const post = await rideNeed(author);

    const own = await call(author, 'GET', `/api/posts/${post.id}/place`);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toEqual({
      exact: true,
      location: `Corner Deli, ${houseNumberAt(HOME.lng)} St Johns Place, Crown Heights, New York 11213`,
      destination: `Corner Deli, ${houseNumberAt(DEST.lng)} Sterling Place, Crown Heights, New York 11213`,
    });

    const shown = (await call(null, 'GET', `/api/posts/${post.id}`)).json().post as { location: LatLng; details: { destination: LatLng } };
    expect(distanceM(shown.location, HOME)).toBeGreaterThanOrEqual(149);
    const before = geocoder.reversePoints().length;
    for (const viewer of [null, stranger]) {
      for (const lang of ['en', 'es']) {
        const res = await call(viewer, 'GET', `/api/posts/${post.id}/place?lang=${lang}`);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json() as { exact: boolean; location: string; destination: string };
        expect(body.exact).toBe(false);
        const town = (s: string) => (lang === 'es' ? s.replace('New York', 'Nueva York') : s);
        expect(body.location).toBe(town(approximateAt(shown.location)));
        expect(body.destination).toBe(town(approximateAt(shown.details.destination)));
        // No house number, postcode or building: nothing with a digit, nothing of the shop at the point.
        expect(JSON.stringify(body)).not.toMatch(/\d|Corner Deli/);
      }
    }
    // The geocoder heard only of the public points (each once per language: shared, and kept), at street level.
    const asked = geocoder.reversePoints().slice(before);
    expect(asked).toHaveLength(4);
    for (const p of asked) {
      expect(p.zoom).toBe(17);
      expect([shown.location, shown.details.destination].some((q) => q.lat === p.lat && q.lng === p.lng)).toBe(true);
      expect(distanceM(p, HOME)).toBeGreaterThanOrEqual(149);
      expect(distanceM(p, DEST)).toBeGreaterThanOrEqual(149);
    }
  });

  it('give the addresses to the other party once a match is accepted, and to organizers of the author’s community; follow the post’s 404s', async () => {
    const organizer = await signup(ctx.app, 'Organizer');
    const ring = [[-73.962, 40.664], [-73.92, 40.664], [-73.92, 40.68], [-73.962, 40.68], [-73.962, 40.664]];
    const made = await call(organizer, 'POST', '/api/communities', { name: 'Crown Heights', slug: `ch-${Date.now().toString(36)}`, boundary: { type: 'Polygon', coordinates: [ring] }, timezone: 'America/New_York', joinPolicy: 'open' });
    expect(made.statusCode, made.body).toBe(201);
    const community = made.json().community.id as string;
    const author = await signup(ctx.app, 'Member');
    const helper = await signup(ctx.app, 'Helper');
    const post = await rideNeed(author, INSIDE);
    const exactOf = async (who: TestUser | null) => (await call(who, 'GET', `/api/posts/${post.id}/place`)).json().exact as boolean;

    // The author is no member yet: the organizer reads what everyone reads.
    expect(await exactOf(organizer)).toBe(false);
    expect((await call(author, 'POST', `/api/communities/${community}/join`, {})).statusCode).toBe(201);
    expect(await exactOf(organizer)).toBe(true);

    const offer = await call(helper, 'POST', '/api/posts', postBody({ kind: 'offer', category: 'ride', title: 'Morning rides', capacity: 2, location: HOME, windows: [THU], details: {} }));
    expect(offer.statusCode, offer.body).toBe(201);
    const proposed = await call(helper, 'POST', '/api/matches', { needId: post.id, offerId: offer.json().post.id });
    expect(proposed.statusCode, proposed.body).toBe(201);
    expect(await exactOf(helper)).toBe(false);
    expect((await call(author, 'POST', `/api/matches/${proposed.json().match.id}/accept`)).statusCode).toBe(200);
    const helpers = await call(helper, 'GET', `/api/posts/${post.id}/place`);
    expect(helpers.json()).toMatchObject({ exact: true, location: expect.stringContaining(`${houseNumberAt(INSIDE.lng)} Carroll Street`) });

    // Hidden by the organizer: gone for everyone else, as the post itself is.
    expect((await call(organizer, 'POST', `/api/posts/${post.id}/hide`, { reason: 'Duplicate' })).statusCode).toBe(200);
    const stranger = await signup(ctx.app, 'Passer-by');
    expect((await call(stranger, 'GET', `/api/posts/${post.id}/place`)).statusCode).toBe(404);
    expect((await call(null, 'GET', `/api/posts/${post.id}/place`)).statusCode).toBe(404);
    expect(await exactOf(author)).toBe(true);

    // Blocked either way: no post.
    const other = await rideNeed(author, addressPoint(1300, 'Park Place'));
    expect((await call(stranger, 'POST', '/api/blocks', { userId: author.id })).statusCode).toBe(201);
    expect((await call(stranger, 'GET', `/api/posts/${other.id}/place`)).statusCode).toBe(404);

    expect((await call(null, 'GET', '/api/posts/00000000-0000-4000-8000-000000000000/place')).statusCode).toBe(404);
    expect((await call(null, 'GET', '/api/posts/not-an-id/place')).statusCode).toBe(400);
    expect((await call(null, 'GET', `/api/posts/${other.id}/place?lang=xx`)).statusCode).toBe(400);
  });

  it('are a 503 with Retry-After while the geocoder fails, and come back after', async () => {
    const author = await signup(ctx.app, 'Patient');
    const post = await rideNeed(author, addressPoint(1700, 'Union Street'));
    geocoder.fail();
    try {
      for (const [who, url] of [[null, `/api/posts/${post.id}/place`], [author, '/api/places/search?q=1700%20union'], [author, '/api/places/name?lat=40.68&lng=-73.95']] as const) {
        const res = await call(who, 'GET', url);
        expect(res.statusCode, url).toBe(503);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    } finally {
      geocoder.heal();
    }
    // A failure is not kept.
    expect((await call(null, 'GET', `/api/posts/${post.id}/place`)).json().location).toMatch(/, Crown Heights, New York$/);
  });
});

describe('the ride destination', () => {
  it('is required of a ride need, when posted and when edited', async () => {
    const author = await signup(ctx.app, 'Rider');
    const without = await call(author, 'POST', '/api/posts', postBody({ kind: 'need', category: 'ride', capacity: 1, location: HOME, windows: [THU], details: {} }));
    expect(without.statusCode).toBe(400);
    expect(without.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(without.json().errors).toEqual([expect.objectContaining({ path: '/details/destination', message: expect.stringMatching(/required/) })]);
    const post = await rideNeed(author);
    const dropped = await call(author, 'PATCH', `/api/posts/${post.id}`, { details: { wheelchair: true } });
    expect(dropped.statusCode).toBe(400);
    expect(dropped.json().errors).toEqual([expect.objectContaining({ path: '/details/destination' })]);
    // An offer need not name one.
    expect((await call(author, 'POST', '/api/posts', postBody({ kind: 'offer', category: 'ride', capacity: 2, location: HOME, windows: [THU], details: {} }))).statusCode).toBe(201);
  });
});

describe('budgets', () => {
  it('lookups that reach the geocoder count against the person (kept answers do not); 429 beyond', async () => {
    // Its own hour of the shared counters (another clock), and 2 lookups an account (200 × 0.01).
    const limited = await buildTestApp({
      database: { ...ctx.database, close: async () => {} },
      clock: new TestClock('2027-03-01T12:00:00Z'),
      env: { GEOCODER_URL: geocoder.url, GEOCODER_INTERVAL_MS: '0', RATE_LIMIT_SCALE: '0.01' },
    });
    try {
      const user = await signup(limited.app, 'Busy');
      const name = (lat: number) => call(user, 'GET', `/api/places/name?lat=${lat}&lng=-73.95`, undefined, limited.app);
      expect((await name(40.661)).statusCode).toBe(200);
      expect((await name(40.663)).statusCode).toBe(200);
      expect((await name(40.661)).statusCode).toBe(200);
      const refused = await name(40.665);
      expect(refused.statusCode).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json().detail).toMatch(/looked up/);
    } finally {
      await limited.app.close();
    }
  });

  it('one process sends at most one request per interval; a turn too far off is a 503, kept answers still come', async () => {
    const slow = new Geocoder({ baseUrl: geocoder.url, intervalMs: 60_000, userAgent: 'Aidmap test' });
    const lookup = { scope: 'public', lang: 'en', beforeRequest: async () => {} };
    const before = geocoder.requests.length;
    expect(await slow.reverse({ lat: 40.667, lng: -73.95 }, 17, lookup)).not.toBeNull();
    const busy = await slow.reverse({ lat: 40.669, lng: -73.95 }, 17, lookup).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(HttpProblem);
    expect((busy as HttpProblem).status).toBe(503);
    expect((busy as HttpProblem).retryAfterS).toBeGreaterThanOrEqual(55);
    expect(await slow.reverse({ lat: 40.667, lng: -73.95 }, 17, lookup)).not.toBeNull();
    expect(geocoder.requests.length).toBe(before + 1);
  });
});

describe('logs', () => {
  it('never hold an address searched for, nor a point named', async () => {
    const user = await signup(ctx.app, 'Quiet');
    const from = logs.length;
    expect((await call(user, 'GET', '/api/places/search?q=1732%20president%20street&lat=40.66791&lng=-73.95237')).statusCode).toBe(200);
    expect((await call(user, 'GET', '/api/places/name?lat=40.66791&lng=-73.95237')).statusCode).toBe(200);
    geocoder.fail();
    try {
      expect((await call(user, 'GET', '/api/places/search?q=1733%20president%20street')).statusCode).toBe(503);
    } finally {
      geocoder.heal();
    }
    const lines = logs.slice(from).join('\n');
    expect(lines).toMatch(/places\/search\?q=…&lat=…&lng=…/);
    // The failure is logged, for whoever runs the server, without what was asked.
    expect(lines).toMatch(/"reason":"answered 500","msg":"the geocoder failed"/);
    for (const secret of ['1732', '1733', 'president', '40.6679', '73.9523']) {
      expect(lines.toLowerCase()).not.toContain(secret);
    }
  });
});

describe('names and settings', () => {
  it('an approximate name is street, neighbourhood and town, whatever else the geocoder says', () => {
    const address = {
      house_number: '12',
      house_name: 'Rosa’s House',
      building: 'The Lenox',
      amenity: 'Corner Deli',
      road: 'Sterling Place',
      neighbourhood: 'Crown Heights',
      suburb: 'Brooklyn',
      city: 'New York',
      postcode: '11213',
      country: 'United States',
    };
    const place = { name: 'Rosa’s House', display_name: '12, Sterling Place, Crown Heights, Brooklyn, New York, 11213', address };
    expect(approximateName(place)).toBe('Sterling Place, Crown Heights, New York');
    expect(approximateName({ address: { village: 'Tarrytown', house_number: '3' } })).toBe('Tarrytown');
    expect(approximateName({ display_name: '12, Sterling Place', address: { house_number: '12', postcode: '11213' } })).toBeNull();
    expect(fullName(place)).toBe('Rosa’s House, 12 Sterling Place, Crown Heights, New York 11213');
    expect(fullName({ display_name: 'Somewhere, Earth', address: {} })).toBe('Somewhere, Earth');
  });

  it('GEOCODER_URL is optional, an http(s) address; GEOCODER_INTERVAL_MS a whole number', () => {
    expect(loadConfig({}).geocoderUrl).toBeUndefined();
    expect(loadConfig({}).geocoderIntervalMs).toBe(1000);
    expect(loadConfig({ GEOCODER_URL: 'https://nominatim.example.org/geo/', GEOCODER_INTERVAL_MS: '0' })).toMatchObject({ geocoderUrl: 'https://nominatim.example.org/geo', geocoderIntervalMs: 0 });
    expect(() => loadConfig({ GEOCODER_URL: 'ftp://nominatim.example.org' })).toThrow(/GEOCODER_URL must be an http/);
    expect(() => loadConfig({ GEOCODER_URL: 'https://nominatim.example.org/?key=1' })).toThrow(/GEOCODER_URL/);
    expect(() => loadConfig({ GEOCODER_INTERVAL_MS: '0.5' })).toThrow(/GEOCODER_INTERVAL_MS/);
    expect(() => loadConfig({ GEOCODER_INTERVAL_MS: '-1' })).toThrow(/GEOCODER_INTERVAL_MS/);
  });
});
