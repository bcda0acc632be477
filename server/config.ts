import { resolve } from 'node:path';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** postgres://… to run on PostgreSQL + PostGIS; absent: embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly tileUrl: string;
  /** Credit shown on the map for the tiles (OpenStreetMap's requires it). */
  readonly tileAttribution: string;
  /** Where the map opens when the link names no place and the browser gives none. */
  readonly defaultCenter: { lat: number; lng: number; zoom: number };
  readonly logLevel: string;
  /** A proposal nobody answers this long is withdrawn (PROPOSAL_TTL_HOURS, default 12). */
  readonly proposalTtlMs: number;
  /** Always mark the session cookie `Secure` (it is anyway on requests that came over HTTPS). */
  readonly cookieSecure: boolean;
  /** Fastify's trustProxy: whom to believe for X-Forwarded-For/-Proto (client IPs, https). */
  readonly trustProxy: boolean | string;
  /** Built web app served at `/`. */
  readonly webRoot: string;
  /**
   * Where people reach Aidmap (PUBLIC_URL, no trailing slash): every absolute
   * link the server writes (the calendar address, links in messages) starts
   * with it, never with the request's Host header, which a client chooses.
   */
  readonly publicUrl: string;
  /** Every rate limit's maximum times this (RATE_LIMIT_SCALE, default 1): a large event, or a load test, raises them all at once. */
  readonly rateLimitScale: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Environment → one validated, frozen config; a bad value stops the start with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT must be an integer 0–65535, got "${env.PORT}"`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const center = (env.DEFAULT_CENTER ?? '40.6694,-73.9422,14').split(',').map((x) => Number(x.trim()));
  const [lat, lng, zoom] = center as [number, number, number];
  if (center.length !== 3 || !(Math.abs(lat) <= 90) || !(Math.abs(lng) <= 180) || !Number.isInteger(zoom) || zoom < 1 || zoom > 19) {
    problems.push(`DEFAULT_CENTER must be "lat,lng,zoom" (zoom 1–19), got "${env.DEFAULT_CENTER}"`);
  }
  const ttl = Number(env.PROPOSAL_TTL_HOURS ?? '12');
  if (!(ttl > 0 && ttl <= 24 * 30)) {
    problems.push(`PROPOSAL_TTL_HOURS must be a number of hours above 0 and at most 720, got "${env.PROPOSAL_TTL_HOURS}"`);
  }
  const trust = env.TRUST_PROXY?.trim() ?? 'false';
  // 'true', or the proxies' addresses/CIDRs, comma-separated (Fastify's trustProxy).
  const trustProxy = trust === 'true' ? true : trust === 'false' || trust === '' ? false : trust;
  const publicUrl = (env.PUBLIC_URL?.trim() || `http://localhost:${port}`).replace(/\/+$/, '');
  if (!isHttpUrl(publicUrl)) {
    problems.push(`PUBLIC_URL must be an http:// or https:// address without query or fragment, like https://aidmap.example.org, got "${env.PUBLIC_URL}"`);
  }
  const rateLimitScale = Number(env.RATE_LIMIT_SCALE ?? '1');
  if (!(rateLimitScale > 0 && rateLimitScale <= 1_000_000)) {
    problems.push(`RATE_LIMIT_SCALE must be a number above 0 (1 is the limits as documented), got "${env.RATE_LIMIT_SCALE}"`);
  }
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze({
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir: resolve(env.DATA_DIR ?? './data'),
    tileUrl: env.TILE_URL ?? 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    tileAttribution: env.TILE_ATTRIBUTION ?? '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    defaultCenter: Object.freeze({ lat, lng, zoom }),
    logLevel,
    cookieSecure: env.COOKIE_SECURE === 'true',
    proposalTtlMs: ttl * 3_600_000,
    trustProxy,
    webRoot: resolve(env.WEB_ROOT ?? resolve(import.meta.dirname, '../web/dist')),
    publicUrl,
    rateLimitScale,
  });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
