// Password hashing: argon2id, and a decoy so an unknown email costs as much as a wrong password.
import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes): slow enough against offline guessing,
// fast enough that sign-up and log-in stay well under a second on a small machine.
const hashOptions = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string) => argon2.hash(password, hashOptions);

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash of no password, so an unknown email costs as much time as a wrong password. */
let decoyHash: Promise<string> | undefined;
export const getDecoyHash = () => {
  decoyHash ??= hashPassword('decoy password that matches nothing');
  return decoyHash;
};
