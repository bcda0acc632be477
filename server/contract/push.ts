// Web Push: the application server key a browser subscribes with, the
// subscriptions the web app registers (the browser's PushSubscription as
// JSON), and the message our service worker (web/public/sw.js) shows.
import Type, { type Static } from 'typebox';
import { DateTime, Uuid } from './types';

/** The most browsers one person may keep subscribed; a new one past it replaces their oldest. */
export const MAX_PUSH_SUBSCRIPTIONS = 20;

/** Decoded sizes RFC 8291 §3 fixes: an uncompressed P-256 point, and the authentication secret. */
export const P256DH_BYTES = 65;
export const AUTH_BYTES = 16;

const base64url = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$', description: 'base64url (RFC 4648 §5)' });

const Endpoint = Type.String({ minLength: 1, maxLength: 2048, description: "the push service's https: address the browser gave" });

export const PushKeySchema = Type.Object({
  publicKey: Type.String({ description: 'the VAPID public key (RFC 8292), base64url: pass it as `applicationServerKey` to `PushManager.subscribe`' }),
});
export type PushKey = Static<typeof PushKeySchema>;

/** `PushSubscription.toJSON()`, as the browser makes it. */
export const PushSubscriptionBodySchema = Type.Object(
  {
    endpoint: Endpoint,
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'ignored: push services answer 404 or 410 once it has passed' })),
    keys: Type.Object(
      {
        p256dh: base64url(100),
        auth: base64url(40),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PushSubscriptionBody = Static<typeof PushSubscriptionBodySchema>;

export const PushUnsubscribeBodySchema = Type.Object({ endpoint: Endpoint }, { additionalProperties: false });
export type PushUnsubscribeBody = Static<typeof PushUnsubscribeBodySchema>;

export const PushSubscriptionSchema = Type.Object({ id: Uuid, createdAt: DateTime });
export type PushSubscriptionView = Static<typeof PushSubscriptionSchema>;

/** What a push message carries (JSON, encrypted for the browser): the service worker shows it. */
export interface PushMessage {
  title: string;
  body: string;
  /** The app's path to open when the notification is clicked, like `/matches/<id>`. */
  url: string;
  /** A newer notification with the same tag replaces the one shown (one per match or post). */
  tag: string;
}
