// Schema pieces every section uses: ports, listen addresses, and the users of a service that logs in
// with a name and a password (http.users, mqtt.broker.users).
import { PASSWORD_HASH_DOC, PASSWORD_HASH_PATTERN } from '@kirchhoff/http';
import { arr, int, obj, str } from './schema-dsl';

export const portKey = (doc: string, def: number) => int(`${doc} 0 = any free port (for tests).`, { min: 0, max: 65535, default: def });
export const hostKey = (doc: string) => str(doc, { default: '0.0.0.0', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' });

/** Users with a role and a scrypt password hash (`kirchhoff hash-password`). */
export const usersKey = (doc: string) => arr(doc, obj('A user', {
  name: str('Login name.', { pattern: /^[A-Za-z0-9._@-]{1,64}$/, patternDoc: '1..64 of A-Z a-z 0-9 . _ @ -' }),
  role: str('Role.', { enum: ['viewer', 'operator', 'admin'], default: 'viewer' }),
  passwordHash: str('The password as a scrypt hash; never the password itself.', { pattern: PASSWORD_HASH_PATTERN, patternDoc: PASSWORD_HASH_DOC }),
}), { default: [], maxItems: 256 });

/**
 * The demo listens on loopback only and announces BACnet there: a demo started on a laptop in a
 * plant must not answer the plant's network nor collide with its BACnet devices. `--set
 * modbus.tcp.host=0.0.0.0` (and the other hosts, README) opens it up.
 */
export const LOOPBACK = '127.0.0.1';
