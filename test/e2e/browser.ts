// Browser-test harness: a real Aidmap server process on a fresh database,
// and Debian's Chromium driven by playwright-core at a phone's size.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, expect } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
/** Screenshots; E2E_ARTIFACTS moves them (two runs side by side keep their own). */
export const ARTIFACTS = process.env.E2E_ARTIFACTS ? resolve(process.env.E2E_ARTIFACTS) : join(ROOT, 'test/e2e/artifacts');
/** The built web app the server serves: web/dist, or WEB_ROOT (the server reads the same variable). */
const WEB_ROOT = process.env.WEB_ROOT ? resolve(process.env.WEB_ROOT) : join(ROOT, 'web/dist');
export const PHONE = { width: 390, height: 844 };
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Headless, and quiet: without the background-networking flags Chromium keeps calling Google's hosts, which this machine's network refuses. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface Server {
  url: string;
  /** The server's own database (PostgreSQL runs only; null on the embedded one). */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/**
 * Starts `server/main.ts` as `npm start` does (the built web app must be in
 * web/dist), with `args` (say `--demo`): on a fresh PostgreSQL database when
 * DATABASE_URL is set, else on a fresh embedded one. `nodeArgs` go to Node
 * itself (a benchmark's `--cpu-prof`, which NODE_OPTIONS may not carry).
 */
export async function startServer(env: Record<string, string> = {}, args: string[] = [], nodeArgs: string[] = []): Promise<Server> {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(`${WEB_ROOT} is missing: run \`npm run build\` first (npm run test:e2e does)`);
  }
  const port = await freePort();
  let dropDb: (() => Promise<void>) | null = null;
  let dataDir: string | null = null;
  // Every browser in these tests signs up from 127.0.0.1: the per-IP limits are raised unless a test sets them.
  // The browsers reach the server at 127.0.0.1, so that is its public address (calendar links, CSP, origins).
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_SCALE: '1000',
    ...env,
  };
  const base = process.env.DATABASE_URL;
  if (base) {
    const name = `aidmap_e2e_${process.pid}_${port}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    // A copy of the migrated template when the run made one (test/e2e/global-setup.ts).
    const template = process.env.E2E_TEMPLATE_DATABASE;
    await admin.unsafe(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    childEnv.DATABASE_URL = url.toString();
    dropDb = async () => {
      const a = postgres(base, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  } else {
    delete childEnv.DATABASE_URL;
    dataDir = mkdtempSync(join(tmpdir(), 'aidmap-e2e-'));
    childEnv.DATA_DIR = dataDir;
  }
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts', ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const discard = async () => {
    await dropDb?.();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      // Its database goes too: a server that never started leaves nothing behind.
      await discard();
      throw new Error(`the server exited (${child.exitCode}):\n${log}`);
    }
    try {
      if ((await fetch(`${url}/api/health`)).ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await discard();
      throw new Error(`the server did not answer within 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    databaseUrl: childEnv.DATABASE_URL ?? null,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
      await discard();
    },
  };
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}

export interface PhoneOptions {
  locale?: string;
  /** The phone's clock's zone (default New York's, the demo's). */
  timezoneId?: string;
  /** 'block': the app's service worker never takes the page over (default 'allow'). */
  serviceWorkers?: 'allow' | 'block';
}

/** Signs a phone in as an API client: puts its session cookie (`name=value`) into the phone's context. */
export async function signInPhone(context: BrowserContext, cookie: string, url: string): Promise<void> {
  const at = cookie.indexOf('=');
  await context.addCookies([{ name: cookie.slice(0, at), value: cookie.slice(at + 1), url }]);
}

/** A phone-sized context, English, in New York's zone (the demo's), no location shared. */
export async function phone(browser: Browser, options: PhoneOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: options.locale ?? 'en-US',
    timezoneId: options.timezoneId ?? 'America/New_York',
    serviceWorkers: options.serviceWorkers ?? 'allow',
  });
}

/** The map list's card of the post titled `title` (a link that opens it). */
export function card(page: Page, title: string) {
  return page.locator('a.card', { has: page.locator('.title', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) });
}

let shots = 0;
/** Saves a screenshot under test/e2e/artifacts (emptied by the run's first one), numbered in the order taken. */
export async function shot(page: Page, name: string): Promise<string> {
  if (shots === 0) {
    rmSync(ARTIFACTS, { recursive: true, force: true });
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${String(++shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** axe-core in the page: the serious and critical violations of WCAG 2.x A/AA rules. */
export async function axe(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  const source = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  // Evaluated through DevTools, not added as an inline <script>: the page's CSP refuses those.
  await page.evaluate(source);
  return page.evaluate(async () => {
    // Runs in the page: its globals, typed by hand (this file is type-checked for Node).
    const w = globalThis as unknown as {
      document: unknown;
      axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> };
    };
    const result = await w.axe.run(w.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/**
 * A test file's server and browser: started before its tests, stopped after,
 * with every phone opened through it closed too. `env` is the server's
 * (read when it starts, so it may name what an earlier hook started).
 */
export function e2eSession(env: () => Record<string, string> = () => ({})): { readonly server: Server; phone(options?: PhoneOptions): Promise<BrowserContext> } {
  let server: Server | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    server = await startServer(env());
    browser = await launch();
  });
  afterAll(async () => {
    for (const c of contexts) {
      await c.close().catch(() => {});
    }
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      return server!;
    },
    async phone(options = {}) {
      const context = await phone(browser!, options);
      contexts.push(context);
      return context;
    },
  };
}

/** Calls the API as a script does (no Origin), keeping the session cookie; an answer of 300 or more fails the test. */
export function apiClient(baseUrl: string) {
  let cookie = '';
  const call = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), cookie },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] || cookie;
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { call, cookie: () => cookie };
}

/**
 * The page's document as the tests' page.evaluate functions use it (they run
 * in the page): declared per file as `declare const document: PageDocument`,
 * since the project's types are Node's and the DOM library would retype
 * fetch's bodies for the server.
 */
export interface PageElement {
  id: string;
  name?: string;
  textContent: string | null;
  classList: { contains(name: string): boolean };
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  closest(selector: string): PageElement | null;
}
export interface PageDocument {
  activeElement: PageElement | null;
  body: PageElement;
  documentElement: { scrollWidth: number };
  elementFromPoint(x: number, y: number): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}
