import { hash, verify } from '@node-rs/argon2';

// OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
// @node-rs/argon2 ships prebuilt binaries per platform; no compiler needed at install.
// `algorithm: 2` is Algorithm.Argon2id, a const enum that isolated modules cannot import.
const OPTIONS = { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** A hash of nothing anyone knows, verified when the e-mail is unknown so both failures take as long. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(hashed: string | undefined, password: string): Promise<boolean> {
  if (hashed === undefined) {
    decoy ??= hashPassword(crypto.randomUUID());
    await verify(await decoy, password);
    return false;
  }
  return verify(hashed, password);
}
