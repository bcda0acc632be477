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
  /** LOG_FORMAT: `json` lines for log collectors, `pretty` lines for a person, `auto` (pretty in a terminal). */
  readonly logFormat: 'auto' | 'json' | 'pretty';
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
  /** A session ends after this long without a request (SESSION_IDLE_DAYS, default 14). */
  readonly sessionIdleMs: number;
  /** …and this long after sign-in, however busy (SESSION_MAX_DAYS, default 30). */
  readonly sessionMaxMs: number;
  /**
   * Origins besides our own and PUBLIC_URL's whose pages may write and open
   * /ws (ALLOWED_ORIGINS, comma-separated, like https://aidmap.example.org).
   */
  readonly allowedOrigins: readonly string[];
  /** Live sockets one client IP may hold open at once (WS_MAX_PER_IP, default 50). */
  readonly wsMaxPerIp: number;
  /** Longest a request's SQL statement may run (STATEMENT_TIMEOUT_MS, default 5000; 0: no limit); past it, 503. */
  readonly statementTimeoutMs: number;
  /** Longest to wait for a new database connection (DATABASE_CONNECT_TIMEOUT_MS, default 5000). */
  readonly connectTimeoutMs: number;
  /** Heavy organizer reads (exports, triage, coverage, plans) running at once per process (HEAVY_CONCURRENCY, default 2). */
  readonly heavyConcurrency: number;
  /** …and waiting for a turn, at most 10 s each (HEAVY_QUEUE, default 4); beyond it, 503. */
  readonly heavyQueue: number;
  /** smtp:// or smtps:// server mails go through (SMTP_URL); absent: mails are written to the log and to `dataDir`/mail. */
  readonly smtpUrl: string | undefined;
  /** The From of every mail (MAIL_FROM, default `Aidmap <aidmap@localhost>`). */
  readonly mailFrom: string;
  /** Fewest minutes between two mails to one person (MAIL_DIGEST_MINUTES, default 5): a burst goes as one mail. */
  readonly mailDigestMs: number;
  /** VAPID contact push services may write to (PUSH_CONTACT, a mailto: or https: address; default mailto: of MAIL_FROM's address). */
  readonly pushContact: string;
  /** How often each process looks for due jobs without being woken (JOBS_POLL_MS, default 1000). */
  readonly jobsPollMs: number;
  /**
   * A Nominatim-compatible geocoder the server asks for address search and
   * place names (GEOCODER_URL, like https://nominatim.openstreetmap.org);
   * absent: places are chosen on the map and shown without names.
   */
  readonly geocoderUrl: string | undefined;
  /** Fewest milliseconds between two requests to it from this process (GEOCODER_INTERVAL_MS, default 1000: Nominatim's public servers allow one a second). */
  readonly geocoderIntervalMs: number;
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
  const logFormat = env.LOG_FORMAT?.trim() || 'auto';
  if (!['auto', 'json', 'pretty'].includes(logFormat)) {
    problems.push(`LOG_FORMAT must be auto, json or pretty, got "${env.LOG_FORMAT}"`);
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
  const idleDays = Number(env.SESSION_IDLE_DAYS ?? '14');
  const maxDays = Number(env.SESSION_MAX_DAYS ?? '30');
  // 400 days: browsers cap a cookie's Max-Age there (RFC 6265bis).
  if (!(maxDays > 0 && maxDays <= 400)) {
    problems.push(`SESSION_MAX_DAYS must be a number of days above 0 and at most 400, got "${env.SESSION_MAX_DAYS}"`);
  }
  if (!(idleDays > 0 && idleDays <= maxDays)) {
    problems.push(`SESSION_IDLE_DAYS must be a number of days above 0 and at most SESSION_MAX_DAYS, got "${env.SESSION_IDLE_DAYS}"`);
  }
  const allowedOrigins: string[] = [];
  for (const item of (env.ALLOWED_ORIGINS ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    if (isHttpUrl(item) && new URL(item).pathname === '/') {
      allowedOrigins.push(new URL(item).origin);
    } else {
      problems.push(`ALLOWED_ORIGINS must be origins like https://aidmap.example.org (scheme and host, no path), comma-separated, got "${item}"`);
    }
  }
  const wsMaxPerIp = Number(env.WS_MAX_PER_IP ?? '50');
  if (!(Number.isInteger(wsMaxPerIp) && wsMaxPerIp >= 1)) {
    problems.push(`WS_MAX_PER_IP must be a whole number of sockets, 1 or more, got "${env.WS_MAX_PER_IP}"`);
  }
  const statementTimeoutMs = Number(env.STATEMENT_TIMEOUT_MS ?? '5000');
  if (!(Number.isInteger(statementTimeoutMs) && statementTimeoutMs >= 0)) {
    problems.push(`STATEMENT_TIMEOUT_MS must be a whole number of milliseconds (0: no limit), got "${env.STATEMENT_TIMEOUT_MS}"`);
  }
  const connectTimeoutMs = Number(env.DATABASE_CONNECT_TIMEOUT_MS ?? '5000');
  if (!(Number.isInteger(connectTimeoutMs) && connectTimeoutMs >= 100)) {
    problems.push(`DATABASE_CONNECT_TIMEOUT_MS must be a whole number of milliseconds, 100 or more, got "${env.DATABASE_CONNECT_TIMEOUT_MS}"`);
  }
  const heavyConcurrency = Number(env.HEAVY_CONCURRENCY ?? '2');
  if (!(Number.isInteger(heavyConcurrency) && heavyConcurrency >= 1)) {
    problems.push(`HEAVY_CONCURRENCY must be a whole number, 1 or more, got "${env.HEAVY_CONCURRENCY}"`);
  }
  const heavyQueue = Number(env.HEAVY_QUEUE ?? '4');
  if (!(Number.isInteger(heavyQueue) && heavyQueue >= 0)) {
    problems.push(`HEAVY_QUEUE must be a whole number, 0 or more, got "${env.HEAVY_QUEUE}"`);
  }
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    problems.push(`SMTP_URL must be an smtp:// or smtps:// address like smtp://user:password@mail.example.org:587, got "${smtpUrl.replace(/\/\/[^@/]*@/, '//…@')}"`);
  }
  const mailFrom = env.MAIL_FROM?.trim() || 'Aidmap <aidmap@localhost>';
  const fromAddress = /<([^<>@\s]+@[^<>@\s]+)>\s*$/.exec(mailFrom)?.[1] ?? (/^[^<>@\s]+@[^<>@\s]+$/.test(mailFrom) ? mailFrom : undefined);
  if (!fromAddress) {
    problems.push(`MAIL_FROM must be an address, alone or as "Name <address>", got "${mailFrom}"`);
  }
  const digestMinutes = Number(env.MAIL_DIGEST_MINUTES ?? '5');
  if (!(digestMinutes >= 0 && digestMinutes <= 24 * 60)) {
    problems.push(`MAIL_DIGEST_MINUTES must be a number of minutes from 0 to 1440, got "${env.MAIL_DIGEST_MINUTES}"`);
  }
  const pushContact = env.PUSH_CONTACT?.trim() || `mailto:${fromAddress ?? 'aidmap@localhost'}`;
  if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(pushContact)) {
    problems.push(`PUSH_CONTACT must be a mailto: or https: address, got "${env.PUSH_CONTACT}"`);
  }
  const jobsPollMs = Number(env.JOBS_POLL_MS ?? '1000');
  if (!(Number.isInteger(jobsPollMs) && jobsPollMs >= 10)) {
    problems.push(`JOBS_POLL_MS must be a whole number of milliseconds, 10 or more, got "${env.JOBS_POLL_MS}"`);
  }
  const geocoderUrl = env.GEOCODER_URL?.trim().replace(/\/+$/, '') || undefined;
  if (geocoderUrl && !isHttpUrl(geocoderUrl)) {
    problems.push(`GEOCODER_URL must be an http:// or https:// address without query or fragment, like https://nominatim.openstreetmap.org, got "${env.GEOCODER_URL}"`);
  }
  const geocoderIntervalMs = Number(env.GEOCODER_INTERVAL_MS ?? '1000');
  if (!(Number.isInteger(geocoderIntervalMs) && geocoderIntervalMs >= 0)) {
    problems.push(`GEOCODER_INTERVAL_MS must be a whole number of milliseconds, 0 or more, got "${env.GEOCODER_INTERVAL_MS}"`);
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
    logFormat: logFormat as Config['logFormat'],
    cookieSecure: env.COOKIE_SECURE === 'true',
    proposalTtlMs: ttl * 3_600_000,
    trustProxy,
    webRoot: resolve(env.WEB_ROOT ?? resolve(import.meta.dirname, '../web/dist')),
    publicUrl,
    rateLimitScale,
    sessionIdleMs: idleDays * 86_400_000,
    sessionMaxMs: maxDays * 86_400_000,
    allowedOrigins: Object.freeze(allowedOrigins),
    wsMaxPerIp,
    statementTimeoutMs,
    connectTimeoutMs,
    heavyConcurrency,
    heavyQueue,
    smtpUrl,
    mailFrom,
    mailDigestMs: digestMinutes * 60_000,
    pushContact,
    jobsPollMs,
    geocoderUrl,
    geocoderIntervalMs,
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
