import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { waitFor } from '@kirchhoff/test-support';
import type { Site } from '@kirchhoff/core';
import { createNutServer, type NutServer, type NutServerOptions, type NutUser } from './index';
import { splitWords, quote } from './protocol';
import { fixtureCommands, fixtureSite, onBattery } from './__fixtures__/site';
import { lineClient, type LineClient } from './test-helpers/client';

const USERS: Record<string, { password: string; user: NutUser }> = {
  monuser: { password: 'secret', user: { name: 'monuser', upsmon: 'secondary', actions: [], instcmds: [] } },
  primary: { password: 'p-secret', user: { name: 'primary', upsmon: 'primary', actions: [], instcmds: [] } },
  admin: { password: 'a-secret', user: { name: 'admin', upsmon: null, actions: ['SET'], instcmds: ['test.battery.start.quick'] } },
};
const authenticate = async (name: string, password: string) => (USERS[name]?.password === password ? USERS[name].user : null);

describe('words and quoting of the upsd protocol', () => {
  it('splits on blanks, groups quoted words and takes backslashed characters as they are', () => {
    expect(splitWords('GET VAR ups battery.charge')).toEqual(['GET', 'VAR', 'ups', 'battery.charge']);
    expect(splitWords('SET VAR ups ups.id "my  \\"big\\" ups"')).toEqual(['SET', 'VAR', 'ups', 'ups.id', 'my  "big" ups']);
    expect(splitWords('PASSWORD ""')).toEqual(['PASSWORD', '']);
    expect(splitWords('  \t ')).toEqual([]);
    expect(splitWords('GET VAR "unterminated')).toBeNull();
  });
  it('quotes values with " and \\ escaped, so splitWords reads them back', () => {
    const value = 'a "b" \\ c';
    expect(quote(value)).toBe('"a \\"b\\" \\\\ c"');
    expect(splitWords(`VAR u v ${quote(value)}`)).toEqual(['VAR', 'u', 'v', value]);
  });
});

describe('NUT server', () => {
  let site: Site;
  let server: NutServer;
  let c: LineClient;
  let executed: ReturnType<typeof fixtureCommands>['executed'];
  const start = async (extra: NutServerOptions = {}) => {
    const f = fixtureCommands(site);
    executed = f.executed;
    server = await createNutServer(site, { port: 0, strings: true, authenticate, commands: f.commands, ...extra });
    c = await lineClient(server.port);
  };
  beforeEach(() => {
    site = fixtureSite();
  });
  afterEach(async () => {
    c?.close();
    await server?.close();
  });

  it('lists the site UPS and each string, and answers GET VAR with the site data', async () => {
    await start();
    expect(await c.ask('LIST UPS')).toEqual([
      'BEGIN LIST UPS', 'UPS kirchhoff "Test battery room: UPS and battery"', 'UPS kirchhoff-string1 "battery string 1"',
      'UPS kirchhoff-string2 "battery string 2"', 'END LIST UPS',
    ]);
    // The weakest string's own estimate, not the UPS's 87 % and 33 min.
    expect(await c.ask('GET VAR kirchhoff battery.charge')).toEqual(['VAR kirchhoff battery.charge "97"']);
    expect(await c.ask('GET VAR kirchhoff battery.runtime')).toEqual(['VAR kirchhoff battery.runtime "2352"']);
    expect(await c.ask('GET VAR kirchhoff-string1 battery.runtime')).toEqual(['VAR kirchhoff-string1 battery.runtime "2490"']);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
    expect(await c.ask('GET VAR KIRCHHOFF output.voltage')).toEqual(['VAR kirchhoff output.voltage "230.0"']);
    const vars = await c.ask('LIST VAR kirchhoff');
    const names = vars.slice(1, -1).map((l) => l.split(' ')[2]);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['battery.charge.low', 'battery.runtime.low', 'battery.type', 'ups.mfr', 'ups.model', 'device.type', 'input.voltage', 'ups.load']));
    expect(await c.ask('GET NUMLOGINS kirchhoff')).toEqual(['NUMLOGINS kirchhoff 0']);
    expect(await c.ask('GET UPSDESC kirchhoff-string2')).toEqual(['UPSDESC kirchhoff-string2 "battery string 2"']);
    expect(await c.ask('GET DESC kirchhoff battery.runtime')).toEqual(['DESC kirchhoff battery.runtime "Battery runtime (seconds)"']);
    expect(await c.ask('GET TYPE kirchhoff battery.charge')).toEqual(['TYPE kirchhoff battery.charge NUMBER']);
    expect(await c.ask('GET TYPE kirchhoff input.transfer.low')).toEqual(['TYPE kirchhoff input.transfer.low RW RANGE NUMBER']);
    expect(await c.ask('GET TYPE kirchhoff ups.mfr')).toEqual(['TYPE kirchhoff ups.mfr STRING:32']);
    expect(await c.ask('NETVER')).toEqual(['1.3']);
  });

  it('answers the protocol\'s own errors and keeps the connection', async () => {
    await start();
    expect(await c.ask('GET VAR nope battery.charge')).toEqual(['ERR UNKNOWN-UPS']);
    expect(await c.ask('GET VAR kirchhoff no.such.var')).toEqual(['ERR VAR-NOT-SUPPORTED']);
    expect(await c.ask('GET VAR kirchhoff')).toEqual(['ERR INVALID-ARGUMENT']);
    expect(await c.ask('FROBNICATE')).toEqual(['ERR UNKNOWN-COMMAND']);
    expect(await c.ask('GET VAR "kirchhoff')).toEqual(['ERR INVALID-ARGUMENT']);
    expect(await c.ask('STARTTLS')).toEqual(['ERR FEATURE-NOT-CONFIGURED']);
    expect(await c.ask('INSTCMD kirchhoff load.off')).toEqual(['ERR CMD-NOT-SUPPORTED']);
    expect(await c.ask('SET VAR kirchhoff battery.charge 5')).toEqual(['ERR READONLY']);
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['ERR USERNAME-REQUIRED']);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
  });

  it('lets a upsmon user log in, counts the login, and refuses a wrong password with ACCESS-DENIED', async () => {
    await start();
    expect(await c.ask('USERNAME monuser')).toEqual(['OK']);
    expect(await c.ask('USERNAME again')).toEqual(['ERR ALREADY-SET-USERNAME']);
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['ERR PASSWORD-REQUIRED']);
    expect(await c.ask('PASSWORD wrong')).toEqual(['OK']);
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('USERNAME monuser')).toEqual(['OK']);
    expect(await c.ask('PASSWORD secret')).toEqual(['OK']);
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['OK']);
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['ERR ALREADY-LOGGED-IN']);
    expect(await c.ask('GET NUMLOGINS kirchhoff')).toEqual(['NUMLOGINS kirchhoff 1']);
    expect((await c.ask('LIST CLIENT kirchhoff'))[1]).toMatch(/^CLIENT kirchhoff (::ffff:)?127\.0\.0\.1$/);
    // A secondary may not claim primary, nor set FSD.
    expect(await c.ask('PRIMARY kirchhoff')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('FSD kirchhoff')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('LOGOUT')).toEqual(['OK Goodbye']);
    await c.closed();
    const other = await lineClient(server.port);
    expect(await other.ask('GET NUMLOGINS kirchhoff')).toEqual(['NUMLOGINS kirchhoff 0']);
    other.close();
  });

  it('closes a connection after three wrong passwords', async () => {
    await start();
    for (let i = 0; i < 3; i++) {
      await c.ask('USERNAME monuser');
      await c.ask(`PASSWORD guess${i}`);
      expect(await c.ask('LOGIN kirchhoff')).toEqual(['ERR ACCESS-DENIED']);
    }
    await c.closed();
    expect(server.stats().authFailures).toBe(3);
  });

  it('sets FSD for a primary (every client then sees FSD) and for the gateway; an operator clears it', async () => {
    await start();
    await c.ask('USERNAME primary');
    await c.ask('PASSWORD p-secret');
    expect(await c.ask('LOGIN kirchhoff')).toEqual(['OK']);
    expect(await c.ask('MASTER kirchhoff')).toEqual(['OK MASTER-GRANTED']);
    expect(await c.ask('PRIMARY kirchhoff')).toEqual(['OK PRIMARY-GRANTED']);
    expect(await c.ask('FSD kirchhoff')).toEqual(['OK FSD-SET']);
    const viewer = await lineClient(server.port);
    expect(await viewer.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL FSD"']);
    expect(await viewer.ask('GET VAR kirchhoff-string1 ups.status')).toEqual(['VAR kirchhoff-string1 ups.status "OL"']);
    server.clearFsd(null, 'operator');
    expect(await viewer.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL"']);
    server.setFsd(null, 'rule');
    expect(await viewer.ask('GET VAR kirchhoff-string2 ups.status')).toEqual(['VAR kirchhoff-string2 ups.status "OL FSD"']);
    viewer.close();
  });

  it('reports OB, DISCHRG and LB from the strings\' own runtime and charge limits', async () => {
    await start({ lowBattery: { runtimeS: 600, chargePercent: 30 } });
    onBattery(site, 20, 60);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OB DISCHRG"']);
    onBattery(site, 9.9, 60);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OB LB DISCHRG"']);
    onBattery(site, 40, 30);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OB LB DISCHRG"']);
    expect(await c.ask('GET VAR kirchhoff battery.runtime.low')).toEqual(['VAR kirchhoff battery.runtime.low "600"']);
  });

  it('shows CHRG in a recharge or boost and ALARM with ups.alarm while a critical alarm is active', async () => {
    await start();
    site.update((tx) => tx.string(1, { chargeMode: 'boost' }));
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL CHRG"']);
    expect(await c.ask('GET VAR kirchhoff-string2 ups.status')).toEqual(['VAR kirchhoff-string2 ups.status "OL"']);
    site.reconcileAlarms('test', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'S01 thermal runaway', value: 60, limit: 55 }]);
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['VAR kirchhoff ups.status "OL CHRG ALARM"']);
    expect(await c.ask('GET VAR kirchhoff ups.alarm')).toEqual(['VAR kirchhoff ups.alarm "S01 thermal runaway"']);
  });

  it('keeps the other strings and the site UPS served when a module is lost', async () => {
    await start();
    site.update((tx) => {
      tx.module(3, { communication: 'lost' });
      tx.moduleReadings(3, { voltageV: null, temperatureC: null });
    });
    expect(await c.ask('GET VAR kirchhoff battery.charge')).toEqual(['VAR kirchhoff battery.charge "97"']);
    expect(await c.ask('GET VAR kirchhoff-string1 battery.temperature')).toEqual(['VAR kirchhoff-string1 battery.temperature "21.4"']);
  });

  it('answers DATA-STALE when the gateway has no fresh data at all', async () => {
    await start();
    site.update((tx) => {
      tx.ups({ quality: 'stale' });
      for (let g = 1; g <= 8; g++) tx.moduleQuality(g, 'stale');
    });
    expect(await c.ask('GET VAR kirchhoff ups.status')).toEqual(['ERR DATA-STALE']);
    expect(await c.ask('LIST VAR kirchhoff-string1')).toEqual(['ERR DATA-STALE']);
    expect(await c.ask('LIST UPS')).toHaveLength(5);
  });

  it('runs SET VAR and INSTCMD through the command interface as the NUT user, only when permitted', async () => {
    await start();
    expect(await c.ask('LIST CMD kirchhoff')).toEqual(expect.arrayContaining(['CMD kirchhoff test.battery.start.quick', 'CMD kirchhoff beeper.mute']));
    expect(await c.ask('LIST RW kirchhoff')).toEqual(['BEGIN LIST RW kirchhoff', 'RW kirchhoff input.transfer.high "0"', 'RW kirchhoff input.transfer.low "0"', 'END LIST RW kirchhoff']);
    expect(await c.ask('LIST RANGE kirchhoff input.transfer.low')).toEqual(['BEGIN LIST RANGE kirchhoff input.transfer.low', 'RANGE kirchhoff input.transfer.low "0" "1000"', 'END LIST RANGE kirchhoff input.transfer.low']);
    await c.ask('USERNAME monuser');
    await c.ask('PASSWORD secret');
    expect(await c.ask('INSTCMD kirchhoff test.battery.start.quick')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('SET VAR kirchhoff input.transfer.low 180')).toEqual(['ERR ACCESS-DENIED']);
    expect(executed).toEqual([]);
    const admin = await lineClient(server.port);
    await admin.ask('USERNAME admin');
    await admin.ask('PASSWORD a-secret');
    expect(await admin.ask('INSTCMD kirchhoff test.battery.start.quick')).toEqual(['OK']);
    expect(await admin.ask('INSTCMD kirchhoff test.battery.start.deep')).toEqual(['ERR ACCESS-DENIED']);
    expect(await admin.ask('SET VAR kirchhoff input.transfer.low 180')).toEqual(['OK']);
    expect(await admin.ask('SET VAR kirchhoff input.transfer.low 1e9')).toEqual(['ERR INVALID-VALUE']);
    expect(await admin.ask('SET VAR kirchhoff input.transfer.low abc')).toEqual(['ERR INVALID-VALUE']);
    expect(executed).toEqual([
      { command: { type: 'ups-test', test: 'quick' }, principal: 'admin' },
      { command: { type: 'ups-settings', settings: { lowVoltageTransferPointV: 180 } }, principal: 'admin' },
    ]);
    admin.close();
  });

  it('offers no commands and no writable variables when the command interface does not take NUT\'s', async () => {
    const f = fixtureCommands(site, {} as never);
    server = await createNutServer(site, { port: 0, authenticate, commands: f.commands });
    c = await lineClient(server.port);
    expect(await c.ask('LIST CMD kirchhoff')).toEqual(['BEGIN LIST CMD kirchhoff', 'END LIST CMD kirchhoff']);
    expect(await c.ask('LIST RW kirchhoff')).toEqual(['BEGIN LIST RW kirchhoff', 'END LIST RW kirchhoff']);
    expect(await c.ask('INSTCMD kirchhoff test.battery.start.quick')).toEqual(['ERR CMD-NOT-SUPPORTED']);
  });

  it('refuses bad options naming the key and what is valid', async () => {
    await expect(createNutServer(site, { port: 70000 })).rejects.toThrow('nut.port: must be a whole number 0..65535, got 70000');
    await expect(createNutServer(site, { upsName: 'bad name' })).rejects.toThrow('nut.upsName: must be 1..64 of A-Z a-z 0-9 . _ -, got "bad name"');
    await expect(createNutServer(site, { batteryDate: '2024-01-02' })).rejects.toThrow('nut.batteryDate: must be YYYY/MM/DD');
  });
});

describe('NUT server STARTTLS', () => {
  it('upgrades the connection after OK STARTTLS and answers inside TLS; refuses a second STARTTLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-nut-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=gateway'], { cwd: dir, stdio: 'pipe' });
    const server = await createNutServer(fixtureSite(), { port: 0, tls: { cert: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') } });
    try {
      const plain = await lineClient(server.port);
      expect(await plain.ask('STARTTLS')).toEqual(['OK STARTTLS']);
      const secure = tlsConnect({ socket: plain.socket, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      const answers: string[] = [];
      secure.on('data', (d) => answers.push(...d.toString().split('\n').filter(Boolean)));
      secure.write('GET VAR kirchhoff ups.status\nSTARTTLS\n');
      await waitFor(() => answers.length >= 2, 10_000, 'two answers over TLS');
      expect(answers).toEqual(['VAR kirchhoff ups.status "OL"', 'ERR ALREADY-SSL-MODE']);
      secure.destroy();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
