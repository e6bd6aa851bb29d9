// The HTTP API's own security notices: users on documented or obvious passwords, plain HTTP.
import type { SecurityNotice } from './options';

export function httpNotices(defaultPasswordUsers: readonly string[], tls: boolean): SecurityNotice[] {
  const out: SecurityNotice[] = [];
  if (defaultPasswordUsers.length) {
    out.push({
      id: 'default-password', severity: 'critical', key: 'http.users',
      message: `DEFAULT PASSWORD: user${defaultPasswordUsers.length === 1 ? '' : 's'} ${defaultPasswordUsers.join(', ')} ${defaultPasswordUsers.length === 1 ? 'has a' : 'have'} documented default or obvious password${defaultPasswordUsers.length === 1 ? '' : 's'}: anyone who read the README can log in. Set new hashes (kirchhoff hash-password) in http.users.`,
    });
  }
  if (!tls) {
    out.push({ id: 'plain-http', severity: 'warning', key: 'http.tls', message: 'HTTP without TLS: passwords and session tokens cross the network readable. Set http.tls.cert and http.tls.key.' });
  }
  return out;
}
