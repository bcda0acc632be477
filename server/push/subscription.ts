// Whether a subscription a browser sent can be pushed to. Pure.
//
// The server POSTs to whatever address is registered here, so the address
// is held to what push services use (https:, a host name) and the server
// is not a way to reach its own network: http: and loopback addresses are
// accepted only while the app itself runs on a loopback http: address
// (development, the tests' stand-in push service).
import { createECDH } from 'node:crypto';
import { isIP } from 'node:net';
import type { FieldError } from '../contract/problem';
import { AUTH_BYTES, P256DH_BYTES, type PushSubscriptionBody } from '../contract/push';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `publicUrl` (config.publicUrl) is a loopback http: address: then loopback push services are accepted. */
export function servesLoopback(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

function endpointProblem(endpoint: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an https: address';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not hold a user name or password';
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (allowLoopback && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return null;
  }
  if (url.protocol !== 'https:') {
    return 'must be an https: address';
  }
  // Push services are named hosts; an address or a single label names a machine near the server.
  if (loopback || isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 || !url.hostname.includes('.')) {
    return "must be a push service's address";
  }
  return null;
}

function decoded(text: string): Buffer {
  return Buffer.from(text.replace(/=+$/, ''), 'base64url');
}

function isP256Point(key: Buffer): boolean {
  if (key.length !== P256DH_BYTES || key[0] !== 0x04) {
    return false;
  }
  try {
    // Refuses a point not on the curve, as encrypting for it later would.
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(key);
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with the subscription, as field errors (none: it can be stored). */
export function subscriptionProblems(body: PushSubscriptionBody, options: { allowLoopback: boolean }): FieldError[] {
  const errors: FieldError[] = [];
  const endpoint = endpointProblem(body.endpoint, options.allowLoopback);
  if (endpoint) {
    errors.push({ path: '/endpoint', message: endpoint });
  }
  if (!isP256Point(decoded(body.keys.p256dh))) {
    errors.push({ path: '/keys/p256dh', message: `must be an uncompressed P-256 public key (${P256DH_BYTES} bytes)` });
  }
  if (decoded(body.keys.auth).length !== AUTH_BYTES) {
    errors.push({ path: '/keys/auth', message: `must be ${AUTH_BYTES} bytes` });
  }
  return errors;
}

/** The keys as stored and handed to the encryption: base64url without padding. */
export function storedKeys(body: PushSubscriptionBody): { p256dh: string; auth: string } {
  return { p256dh: decoded(body.keys.p256dh).toString('base64url'), auth: decoded(body.keys.auth).toString('base64url') };
}
