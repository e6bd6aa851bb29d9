// Password hashes for http.users: scrypt from node:crypto in the PHC string form
// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64 without padding), verified in constant time.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

/** About 100 ms and 32 MiB per hash on a small gateway CPU: slow for a guesser, fine for a login. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{32,})$/;
export const PASSWORD_HASH_PATTERN = PHC;
export const PASSWORD_HASH_DOC = 'a scrypt hash $scrypt$ln=15,r=8,p=1$SALT$HASH (make one with `kirchhoff hash-password`)';

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/** Why a stored hash cannot be used, or null when it can. */
export function hashProblem(encoded: string): string | null {
  const m = PHC.exec(encoded);
  if (!m) return `is not ${PASSWORD_HASH_DOC}`;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20) return `has ln=${ln}: expected 10..20 (15 recommended)`;
  if (r < 1 || r > 32 || p < 1 || p > 16) return `has r=${r}, p=${p}: expected r 1..32 and p 1..16`;
  return null;
}

/** True when `password` matches `encoded`; false for a wrong password or an unusable hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const m = PHC.exec(encoded);
  if (!m || hashProblem(encoded)) return false;
  const expected = Buffer.from(m[5], 'base64');
  const key = await derive(password, Buffer.from(m[4], 'base64'), { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }, expected.length);
  return timingSafeEqual(key, expected);
}

/**
 * Password checks one at a time (each scrypt is ~100 ms and 32 MiB), an unknown user costing the
 * same scrypt as a wrong password so that timing does not tell which names exist. Returns null,
 * without checking, while `maxWaiting` checks are already queued.
 */
export function serialPasswordChecker(
  maxWaiting: number, verify: (password: string, hash: string) => Promise<boolean> = verifyPassword,
): (password: string, hash: string | undefined) => Promise<boolean> | null {
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  let dummy: Promise<string> | null = null;
  return (password, hash) => {
    if (waiting >= maxWaiting) return null;
    waiting++;
    const done = chain.then(async () => {
      if (hash !== undefined) return verify(password, hash);
      dummy ??= hashPassword(randomBytes(16).toString('hex'));
      await verify(password, await dummy);
      return false;
    }).finally(() => waiting--);
    chain = done.catch(() => false);
    return done;
  };
}
