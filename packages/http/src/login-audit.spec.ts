// Refused logins audited per address: one row at once, one summary a minute (issue 19, point 6:
// 20,000 refused logins wrote 20,000 rows in 11 s).
import { VirtualClock } from '@kirchhoff/core';
import type { NewAudit } from '@kirchhoff/history';
import { RefusedLoginAudit } from './login-audit';

describe('RefusedLoginAudit', () => {
  it('turns 20,000 refused logins from one address into one row at once and one summary a minute', () => {
    const clock = new VirtualClock();
    const rows: NewAudit[] = [];
    const audit = new RefusedLoginAudit((r) => rows.push(r), clock);
    for (let i = 0; i < 20_000; i++) audit.refused(i % 2 ? 'admin' : `guess${i % 7}`, '10.0.0.9', `10.0.0.9:${40000 + (i % 1000)}`, i < 10 ? 'wrong user name or password' : `too many failed logins from this address: try again in ${300 - (i % 300)} s`);
    audit.refused('ann', '10.0.0.10', '10.0.0.10:5000', 'wrong user name or password');
    expect(rows.map((r) => [r.remote, r.principal, r.error])).toEqual([
      ['10.0.0.9:40000', 'guess0', 'wrong user name or password'],
      ['10.0.0.10:5000', 'ann', 'wrong user name or password'],
    ]);
    clock.advance(60_000);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({ kind: 'auth', action: 'login', outcome: 'rejected', remote: '10.0.0.9', detail: { refused: 19_999 } });
    expect(rows[2].error).toBe('19999 more refused logins from 10.0.0.9 within 60 s: 9 x wrong user name or password; 19990 x too many failed logins from this address: try again in N s');
    // The next minute starts afresh with a row at once.
    audit.refused('admin', '10.0.0.9', '10.0.0.9:1', 'wrong user name or password');
    expect(rows).toHaveLength(4);
    audit.close();
    expect(rows).toHaveLength(4);
  });
});
