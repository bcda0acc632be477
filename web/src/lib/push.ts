// Web Push on this browser: whether it can, whether it is subscribed, and
// subscribing or unsubscribing (the server keeps the subscription, and the
// service worker, web/public/sw.js, shows what arrives).
// https://developer.mozilla.org/docs/Web/API/Push_API
import type { Api } from './api';

/** Why turning push on did not happen (the interface says each in words). */
export type PushRefusal = 'unsupported' | 'denied' | 'dismissed';

export class PushRefused extends Error {
  constructor(readonly reason: PushRefusal) {
    super(`push ${reason}`);
    this.name = 'PushRefused';
  }
}

/** This browser can take push messages (iOS only from an installed app, over HTTPS). */
export function pushSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof PushManager !== 'undefined' && typeof Notification !== 'undefined';
}

/** The worker registration, if the app's worker is registered (it is, after load, in production builds). */
async function registration(): Promise<ServiceWorkerRegistration | null> {
  return (await navigator.serviceWorker.getRegistration('/')) ?? null;
}

/** This browser's subscription, or null (none, or push unsupported). */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) {
    return null;
  }
  const reg = await registration();
  return (await reg?.pushManager.getSubscription()) ?? null;
}

/** The VAPID key as the bytes `subscribe` wants (RFC 8292 §3.2: base64url of the P-256 point). */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) {
    bytes[i] = raw.charCodeAt(i);
  }
  return bytes;
}

/**
 * Asks the person's permission, subscribes this browser with the server's
 * key and gives the server the subscription. Throws PushRefused when the
 * browser cannot or the person said no, else the API's or browser's error.
 */
export async function enablePush(api: Api): Promise<PushSubscription> {
  if (!pushSupported()) {
    throw new PushRefused('unsupported');
  }
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    throw new PushRefused(permission === 'denied' ? 'denied' : 'dismissed');
  }
  const reg = (await registration()) ?? (await navigator.serviceWorker.ready);
  const publicKey = await api.pushKey();
  let subscription = await reg.pushManager.getSubscription();
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  }
  await api.savePushSubscription(subscription.toJSON());
  return subscription;
}

/** Unsubscribes this browser and tells the server to forget it (both, even if one fails first). */
export async function disablePush(api: Api): Promise<void> {
  const subscription = await currentSubscription();
  if (!subscription) {
    return;
  }
  const { endpoint } = subscription;
  await subscription.unsubscribe().catch(() => false);
  await api.deletePushSubscription(endpoint);
}

/**
 * Unsubscribes this browser without telling the server (it forgot the
 * subscription already: the account was deleted). Nothing for anyone
 * else then shows on this device.
 */
export async function forgetPushHere(): Promise<void> {
  await (await currentSubscription().catch(() => null))?.unsubscribe().catch(() => false);
}
