// The one client of the configured Nominatim-compatible geocoder: browsers
// never reach it (their addresses stay ours, and one User-Agent speaks for
// the app). Nominatim's usage policy (https://operations.osmfoundation.org/
// policies/nominatim/) asks for at most one request a second per app, an
// identifying User-Agent, and results kept rather than asked again: so
// requests leave spaced by `intervalMs` (one process's share; see
// README), identical ones in flight are asked once, and answers are kept in
// memory. A caller never waits long: a turn further off than `maxWaitMs`,
// a geocoder slower than `timeoutMs` or one answering with an error is a
// 503 with Retry-After, and the page shows what it showed without names.
import { HttpProblem } from '../http/problem';
import type { NominatimPlace } from './names';

export interface GeocoderOptions {
  /** GEOCODER_URL, without a trailing slash: `/search` and `/reverse` are appended. */
  baseUrl: string;
  /** Fewest milliseconds between two requests leaving this process. */
  intervalMs: number;
  userAgent: string;
  timeoutMs?: number;
  maxWaitMs?: number;
  /** Answers kept, and for how long. */
  cacheSize?: number;
  cacheTtlMs?: number;
  fetch?: typeof fetch;
  /** Told why a request failed ("answered 500", "timed out"), for the log: never what was asked. */
  onFailure?: (reason: string) => void;
}

/** A geocoder's place, reduced to what we read (the rest is not kept). */
function reduce(p: NominatimPlace): NominatimPlace {
  return {
    ...(typeof p.lat === 'string' ? { lat: p.lat } : {}),
    ...(typeof p.lon === 'string' ? { lon: p.lon } : {}),
    ...(typeof p.name === 'string' ? { name: p.name } : {}),
    ...(typeof p.display_name === 'string' ? { display_name: p.display_name } : {}),
    address: Object.fromEntries(Object.entries(p.address ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
  };
}

/** 503 with Retry-After: try again later (the page goes on without names meanwhile). */
export function unavailable(detail: string, retryAfterS: number): HttpProblem {
  const problem = new HttpProblem(503, detail);
  problem.retryAfterS = retryAfterS;
  return problem;
}

/** Least recently used entries leave first; each lasts `ttlMs`. */
class Kept<T> {
  private entries = new Map<string, { value: T; until: number }>();
  constructor(
    private readonly size: number,
    private readonly ttlMs: number,
  ) {}
  get(key: string): { value: T } | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    this.entries.delete(key);
    if (entry.until <= Date.now()) {
      return undefined;
    }
    this.entries.set(key, entry);
    return { value: entry.value };
  }
  set(key: string, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
    while (this.entries.size > this.size) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}

export interface Lookup {
  /**
   * Whose answer this is, in the cache's key. Points only their viewer may
   * know (an exact place, a point being chosen, a search) are kept per
   * person: were they shared, how fast an answer came would tell a stranger
   * that someone had asked for that very address. Public points are shared.
   */
  scope: string;
  lang: string;
  /** Runs before a request that must go to the geocoder (not for kept answers): a rate limit. */
  beforeRequest: () => Promise<void>;
}

export class Geocoder {
  private readonly kept: Kept<unknown>;
  private readonly pending = new Map<string, Promise<unknown>>();
  private nextTurn = 0;
  private readonly timeoutMs: number;
  private readonly maxWaitMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GeocoderOptions) {
    this.kept = new Kept(options.cacheSize ?? 5000, options.cacheTtlMs ?? 24 * 3_600_000);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxWaitMs = options.maxWaitMs ?? 5000;
    this.fetch = options.fetch ?? ((...args) => fetch(...args));
  }

  /** Places matching what a person wrote, best first; `near` puts results around it first (not only there). */
  async search(q: string, near: { lat: number; lng: number } | undefined, lookup: Lookup): Promise<NominatimPlace[]> {
    const params = new URLSearchParams({ q, format: 'jsonv2', addressdetails: '1', limit: '5', 'accept-language': lookup.lang });
    if (near) {
      // About 25 km around the map: a street name found in the neighbourhood before one across the world.
      const [w, s, e, n] = [near.lng - 0.25, near.lat - 0.25, near.lng + 0.25, near.lat + 0.25];
      params.set('viewbox', [Math.max(w, -180), Math.max(s, -90), Math.min(e, 180), Math.min(n, 90)].map((x) => x.toFixed(4)).join(','));
      params.set('bounded', '0');
    }
    const answer = await this.ask(`search|${lookup.scope}|${params}`, '/search', params, lookup);
    if (!Array.isArray(answer)) {
      throw unavailable('Address search got an answer it cannot read; please try again later.', 60);
    }
    return answer.filter((p): p is NominatimPlace => typeof p === 'object' && p !== null).map(reduce);
  }

  /**
   * What is at a point: `zoom` 18 a building, 17 a street (Nominatim's
   * detail levels). Null when the geocoder knows nothing there.
   */
  async reverse(point: { lat: number; lng: number }, zoom: 17 | 18, lookup: Lookup): Promise<NominatimPlace | null> {
    const params = new URLSearchParams({ lat: String(point.lat), lon: String(point.lng), zoom: String(zoom), format: 'jsonv2', addressdetails: '1', 'accept-language': lookup.lang });
    const answer = await this.ask(`reverse|${lookup.scope}|${params}`, '/reverse', params, lookup);
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
      throw unavailable('Place names got an answer they cannot read; please try again later.', 60);
    }
    // Nominatim answers a point it knows nothing of with 200 and {"error": "Unable to geocode"}.
    return 'error' in answer ? null : reduce(answer as NominatimPlace);
  }

  private async ask(key: string, path: string, params: URLSearchParams, lookup: Lookup): Promise<unknown> {
    const kept = this.kept.get(key);
    if (kept) {
      return kept.value;
    }
    const asked = this.pending.get(key);
    if (asked) {
      return asked;
    }
    await lookup.beforeRequest();
    // Asked meanwhile (the rate limit awaited the database)?
    const again = this.pending.get(key);
    if (again) {
      return again;
    }
    const request = this.request(path, params)
      .then((value) => {
        this.kept.set(key, value);
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }

  /** Waits for this process's next turn (none further off than maxWaitMs), then asks. */
  private async request(path: string, params: URLSearchParams): Promise<unknown> {
    const now = Date.now();
    const turn = Math.max(now, this.nextTurn);
    if (turn - now > this.maxWaitMs) {
      throw unavailable('Many addresses are being looked up right now; please try again in a few seconds.', Math.ceil((turn - now) / 1000));
    }
    this.nextTurn = turn + this.options.intervalMs;
    if (turn > now) {
      await new Promise((resolve) => setTimeout(resolve, turn - now));
    }
    let res: Response;
    try {
      res = await this.fetch(`${this.options.baseUrl}${path}?${params}`, {
        headers: { 'user-agent': this.options.userAgent, accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      this.options.onFailure?.((err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : 'unreachable');
      throw unavailable('Address lookups are not answering right now; please try again later.', 30);
    }
    if (!res.ok) {
      await res.body?.cancel();
      this.options.onFailure?.(`answered ${res.status}`);
      throw unavailable('Address lookups are not answering right now; please try again later.', res.status === 429 ? 60 : 30);
    }
    try {
      return (await res.json()) as unknown;
    } catch {
      this.options.onFailure?.('answered with something not JSON');
      throw unavailable('Address lookups are not answering right now; please try again later.', 30);
    }
  }
}
