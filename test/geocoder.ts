// A small geocoder for tests, speaking Nominatim's HTTP API (`/search` and
// `/reverse`, format=jsonv2 with addressdetails=1; see
// https://nominatim.org/release-docs/latest/api/Output/) over a made-up
// Crown Heights: east–west streets every 0.002° of latitude, house numbers
// rising westward with longitude. It is careless on purpose: every answer
// carries a house number, a postcode, a shop's name and the full
// display_name, even at street level, so a test sees that the app itself
// keeps them from those not entitled to a place. It keeps every request it
// got (path, parameters, User-Agent); `fail()` makes it answer 500 until
// `heal()`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GeocoderRequest {
  path: string;
  params: URLSearchParams;
  userAgent: string | undefined;
}

const SOUTH = 40.66;
const STEP = 0.002;
export const STREETS = [
  'Maple Street',
  'Midwood Street',
  'Rutland Road',
  'Fenimore Street',
  'Lefferts Avenue',
  'Sullivan Place',
  'Montgomery Street',
  'Carroll Street',
  'President Street',
  'Union Street',
  'Lincoln Place',
  'St Johns Place',
  'Sterling Place',
  'Park Place',
  'Prospect Place',
];
const WEST = -74;
const EAST = -73.9;

/** The house number at a longitude: 2 per 0.0001° (about 8 m), rising westward, even on this side. */
export function houseNumberAt(lng: number): number {
  return 2 * Math.round((EAST - lng) * 10_000);
}

/** The street nearest a latitude, and its own latitude. */
export function streetAt(lat: number): { name: string; lat: number } {
  const i = Math.min(STREETS.length - 1, Math.max(0, Math.round((lat - SOUTH) / STEP)));
  return { name: STREETS[i]!, lat: Number((SOUTH + i * STEP).toFixed(6)) };
}

/** Where a house number on a street stands. */
export function addressPoint(number: number, street: string): { lat: number; lng: number } {
  const i = STREETS.findIndex((s) => s.toLowerCase() === street.toLowerCase());
  if (i < 0) {
    throw new Error(`no street ${street}`);
  }
  return { lat: Number((SOUTH + i * STEP).toFixed(6)), lng: Number((EAST - number / 20_000).toFixed(6)) };
}

/** Crown Heights up to Park Place, Prospect Heights north of it. */
export function neighbourhoodAt(lat: number): string {
  return lat < 40.686 ? 'Crown Heights' : 'Prospect Heights';
}

function place(lat: number, lng: number, lang: string) {
  const street = streetAt(lat);
  const number = String(houseNumberAt(lng));
  const city = lang === 'es' ? 'Nueva York' : 'New York';
  const address = {
    amenity: 'Corner Deli',
    house_number: number,
    road: street.name,
    neighbourhood: neighbourhoodAt(street.lat),
    suburb: 'Brooklyn',
    city,
    county: 'Kings County',
    state: 'New York',
    postcode: '11213',
    country: lang === 'es' ? 'Estados Unidos' : 'United States',
    country_code: 'us',
  };
  return {
    place_id: Math.round(lat * 1e6) ^ Math.round(lng * 1e6),
    licence: 'Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright',
    osm_type: 'way',
    osm_id: 1000 + houseNumberAt(lng),
    lat: street.lat.toFixed(7),
    lon: lng.toFixed(7),
    category: 'building',
    type: 'yes',
    place_rank: 30,
    importance: 0.00001,
    addresstype: 'building',
    name: 'Corner Deli',
    display_name: `Corner Deli, ${number}, ${street.name}, ${address.neighbourhood}, Brooklyn, Kings County, ${city}, New York, 11213, ${address.country}`,
    address,
    boundingbox: [street.lat - 0.0001, street.lat + 0.0001, lng - 0.0001, lng + 0.0001].map((x) => x.toFixed(7)),
  };
}

function inArea(lat: number, lng: number): boolean {
  return lat >= SOUTH - STEP && lat <= SOUTH + STREETS.length * STEP && lng >= WEST && lng <= EAST;
}

export class TestGeocoder {
  readonly requests: GeocoderRequest[] = [];
  private failing = false;
  private server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => this.answer(req, res));
  }

  static async start(): Promise<TestGeocoder> {
    const geocoder = new TestGeocoder();
    await new Promise<void>((resolve) => geocoder.server.listen(0, '127.0.0.1', resolve));
    geocoder.url = `http://127.0.0.1:${(geocoder.server.address() as AddressInfo).port}`;
    return geocoder;
  }

  /** Answers 500 to everything until heal(). */
  fail(): void {
    this.failing = true;
  }
  heal(): void {
    this.failing = false;
  }

  /** The reverse lookups it was asked, as points. */
  reversePoints(): { lat: number; lng: number; zoom: number }[] {
    return this.requests.filter((r) => r.path === '/reverse').map((r) => ({ lat: Number(r.params.get('lat')), lng: Number(r.params.get('lon')), zoom: Number(r.params.get('zoom')) }));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://geocoder');
    const params = url.searchParams;
    this.requests.push({ path: url.pathname, params, userAgent: req.headers['user-agent'] });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (this.failing) {
      return send(500, { error: { code: 500, message: 'Internal Server Error' } });
    }
    if (params.get('format') !== 'jsonv2') {
      return send(400, { error: { code: 400, message: 'this test geocoder speaks only format=jsonv2' } });
    }
    const lang = params.get('accept-language') ?? 'en';
    if (url.pathname === '/reverse') {
      const lat = Number(params.get('lat'));
      const lng = Number(params.get('lon'));
      if (!Number.isFinite(lat) || !Number.isFinite(lng)) {
        return send(400, { error: { code: 400, message: 'Parameter lat/lon missing' } });
      }
      // Nominatim answers a point it has nothing for with 200 and an error object.
      return send(200, inArea(lat, lng) ? place(lat, lng, lang) : { error: 'Unable to geocode' });
    }
    if (url.pathname === '/search') {
      const q = (params.get('q') ?? '').trim().toLowerCase();
      const limit = Number(params.get('limit') ?? 10);
      const numbered = /^(\d+)\s+(.+)$/.exec(q);
      const found: ReturnType<typeof place>[] = [];
      for (const street of STREETS) {
        const name = street.toLowerCase();
        if (numbered && name.startsWith(numbered[2]!)) {
          const p = addressPoint(Number(numbered[1]), street);
          found.push(place(p.lat, p.lng, lang));
        } else if (!numbered && name.startsWith(q)) {
          const p = addressPoint(1000, street);
          found.push(place(p.lat, p.lng, lang));
        }
      }
      return send(200, found.slice(0, limit));
    }
    send(404, { error: { code: 404, message: 'Not found' } });
  }
}
