// The application server's VAPID key pair (RFC 8292): push services accept
// a message only with a JWT signed by the key the browser subscribed with,
// so the pair must outlive restarts and be the same on every instance. It
// is derived from a stored secret (`secrets.vapid`, made once by whichever
// process starts first) rather than kept as a second copy of a key.
import { createECDH, createHash } from 'node:crypto';
import { type DB, loadSecret } from '../../db';

export const VAPID_SECRET = 'vapid';

/** Both keys base64url, as web-push and `PushManager.subscribe({ applicationServerKey })` take them. */
export interface VapidKeys {
  /** The uncompressed P-256 point (65 bytes): the browser's `applicationServerKey`. */
  readonly publicKey: string;
  /** The 32-byte private scalar. */
  readonly privateKey: string;
}

/**
 * The P-256 key pair of a 32-byte secret. A random 32 bytes is a valid
 * private key unless it is 0 or at least the group order (odds about
 * 2^-32); then its hash is tried, and so on, so the result is still a
 * function of the secret alone and every instance gets the same pair.
 */
export function vapidKeysOf(secret: Buffer): VapidKeys {
  let scalar = secret;
  for (;;) {
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(scalar);
    } catch {
      scalar = createHash('sha256').update(scalar).digest();
      continue;
    }
    // The scalar as given: getPrivateKey could drop leading zero bytes, and web-push wants all 32.
    return { publicKey: ecdh.getPublicKey('base64url', 'uncompressed'), privateKey: scalar.toString('base64url') };
  }
}

/** This deployment's pair: made on first start, the same on every instance after. */
export async function loadVapidKeys(db: DB): Promise<VapidKeys> {
  return vapidKeysOf(await loadSecret(db, VAPID_SECRET));
}
