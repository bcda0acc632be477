import { resolve } from 'node:path';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** postgres://… to run on PostgreSQL + PostGIS; absent: embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly tileUrl: string;
  readonly logLevel: string;
  /** Always mark the session cookie `Secure` (it is anyway on requests that came over HTTPS). */
  readonly cookieSecure: boolean;
  /** Fastify's trustProxy: whom to believe for X-Forwarded-For/-Proto (client IPs, https). */
  readonly trustProxy: boolean | string;
  /** Built web app served at `/`. */
  readonly webRoot: string;
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
  const trust = env.TRUST_PROXY?.trim() ?? 'false';
  // 'true', or the proxies' addresses/CIDRs, comma-separated (Fastify's trustProxy).
  const trustProxy = trust === 'true' ? true : trust === 'false' || trust === '' ? false : trust;
  if (problems.length > 0) {
    throw new Error(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
  return Object.freeze({
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir: resolve(env.DATA_DIR ?? './data'),
    tileUrl: env.TILE_URL ?? 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    logLevel,
    cookieSecure: env.COOKIE_SECURE === 'true',
    trustProxy,
    webRoot: resolve(env.WEB_ROOT ?? resolve(import.meta.dirname, '../web/dist')),
  });
}
