// Sends one Web Push message (RFC 8030) to one browser's push service:
// encrypted for that browser (RFC 8291, aes128gcm) and signed with our
// VAPID key (RFC 8292), both by web-push. The request itself is made here
// with fetch: web-push's own sendNotification always speaks TLS (it calls
// https.request whatever the endpoint's scheme), so it could not reach the
// plain-http stand-in push service the tests run on 127.0.0.1, and fetch
// gives a whole-request deadline rather than a socket-idle one.
import webPush from 'web-push';
import type { DB } from '../../db';
import type { StoredPushKeys } from '../../db/json';
import { loadVapidKeys, type VapidKeys } from './vapid';

/** A browser's subscription as stored: where its push service takes messages, and its keys. */
export interface PushTarget {
  endpoint: string;
  keys: StoredPushKeys;
}

/** RFC 8030 §5.3: how soon the push service should wake the device for it. */
export type PushUrgency = 'very-low' | 'low' | 'normal' | 'high';

/** What became of a message: taken by the push service, or the subscription is gone for good (404/410). */
export type PushOutcome = 'delivered' | 'gone';

/** The push service refused the message in a way trying again will not mend (a 4xx other than 404, 410, 429). */
export class PushRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'PushRefusedError';
  }
}

/** The push service could not take it now (429, 5xx, no answer in time, no connection): try again later. */
export class PushUnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** Seconds, from the push service's Retry-After, when it sent one. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'PushUnavailableError';
  }
}

export interface PushSenderOptions {
  /** VAPID `sub`: a mailto: or https: address the push service may write to (config.pushContact). */
  contact: string;
  /** How long the push service keeps a message for a device that is offline (default a day). */
  ttlS?: number;
  /** Longest a push service may take to answer (default 5 s). */
  timeoutMs?: number;
}

export const PUSH_TTL_S = 86_400;
export const PUSH_TIMEOUT_MS = 5_000;
/**
 * RFC 8291 §4: a push message is at most 4096 bytes, of which aes128gcm's
 * header and one record's tag take 103 with a 65-byte key id: JSON longer
 * than this is refused here rather than by the push service.
 */
export const MAX_PAYLOAD_BYTES = 3993;

export class PushSender {
  readonly publicKey: string;
  private readonly ttlS: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly vapid: VapidKeys,
    private readonly options: PushSenderOptions,
  ) {
    this.publicKey = vapid.publicKey;
    this.ttlS = options.ttlS ?? PUSH_TTL_S;
    this.timeoutMs = options.timeoutMs ?? PUSH_TIMEOUT_MS;
  }

  /**
   * Sends `payload` (UTF-8 text, JSON for our service worker) to `target`.
   * Resolves `delivered` (2xx) or `gone` (404/410: the browser unsubscribed
   * or the subscription expired, so it should be deleted); throws
   * PushUnavailableError when a later try may succeed and PushRefusedError
   * when none will.
   */
  async send(target: PushTarget, payload: string, urgency: PushUrgency = 'normal'): Promise<PushOutcome> {
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      throw new PushRefusedError(`the push message is ${Buffer.byteLength(payload)} bytes, over the ${MAX_PAYLOAD_BYTES} a push service takes`, null);
    }
    let request: webPush.RequestDetails;
    try {
      request = webPush.generateRequestDetails({ endpoint: target.endpoint, keys: target.keys }, payload, {
        vapidDetails: { subject: this.options.contact, publicKey: this.vapid.publicKey, privateKey: this.vapid.privateKey },
        TTL: this.ttlS,
        urgency,
        contentEncoding: 'aes128gcm',
      });
    } catch (err) {
      // Keys that are not a P-256 point, say: the same every time.
      throw new PushRefusedError(`the message could not be made for this subscription: ${err instanceof Error ? err.message : String(err)}`, null);
    }
    let response: Response;
    try {
      response = await fetch(request.endpoint, {
        method: request.method,
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
        body: request.body,
        // RFC 8030 has no redirects: one is an answer like any other, not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(err);
      throw new PushUnavailableError(`the push service could not be reached: ${reason}`, null);
    }
    // Only the status matters; the body is read (and capped) for the error's message.
    const body = (await response.text().catch(() => '')).slice(0, 200);
    const status = response.status;
    if (status >= 200 && status < 300) {
      return 'delivered';
    }
    if (status === 404 || status === 410) {
      return 'gone';
    }
    if (status === 429 || status >= 500) {
      throw new PushUnavailableError(`the push service answered ${status}${body ? `: ${body}` : ''}`, status, retryAfterS(response.headers.get('retry-after')));
    }
    throw new PushRefusedError(`the push service refused the message with ${status}${body ? `: ${body}` : ''}`, status);
  }
}

/** The sender with this deployment's VAPID keys (made on first start, shared by every instance). */
export async function loadPushSender(db: DB, options: PushSenderOptions): Promise<PushSender> {
  return new PushSender(await loadVapidKeys(db), options);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    // fetch's "fetch failed" says nothing: the reason is its cause (ECONNREFUSED, ENOTFOUND…).
    const cause = err.cause as { code?: string; message?: string } | undefined;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/** RFC 9110 §10.2.3: seconds, or an HTTP date (not used by push services; ignored). */
function retryAfterS(value: string | null): number | null {
  return value !== null && /^\d{1,7}$/.test(value.trim()) ? Number(value.trim()) : null;
}
