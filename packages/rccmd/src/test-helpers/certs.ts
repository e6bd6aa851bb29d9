// Throwaway certificates for TLS tests, made with the openssl command (Debian package openssl):
// one CA with a listener and a sender certificate, and a second, unrelated CA with its own sender.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  ca: string;
  listener: { cert: string; key: string };
  sender: { cert: string; key: string };
  /** Signed by another CA the listener does not trust. */
  rogueSender: { cert: string; key: string; ca: string };
  dir: string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'rccmd-pki-'));
  makeCa(dir, 'site-ca');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'listener', 'site-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  makeLeaf(dir, 'sender', 'site-ca', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    ca: read('site-ca.crt'),
    listener: { cert: read('listener.crt'), key: read('listener.key') },
    sender: { cert: read('sender.crt'), key: read('sender.key') },
    rogueSender: { cert: read('rogue.crt'), key: read('rogue.key'), ca: read('site-ca.crt') },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
