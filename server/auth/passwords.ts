import argon2 from 'argon2';

// OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/** A hash of nothing anyone knows, verified when the e-mail is unknown so both failures take as long. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    decoy ??= hashPassword(crypto.randomUUID());
    await argon2.verify(await decoy, password);
    return false;
  }
  return argon2.verify(hash, password);
}
