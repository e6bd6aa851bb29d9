// Debian's nut-client against the server: upsc, upsrw, upscmd, and a real upsmon (secondary,
// its own configuration in a temporary folder, SHUTDOWNCMD writing a file) that shuts "its
// host" down on LB and on FSD. Then hostile input: random bytes, 100 kB lines, 1,000 idle
// connections, while a well-behaved upsc is still answered.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Site } from '@kirchhoff/core';
import { describeWithTools, run, startUpsmon, waitFor } from '@kirchhoff/test-support';
import { createNutServer, type NutServer, type NutUser } from './index';
import { fixtureCommands, fixtureSite, onBattery } from './__fixtures__/site';
import { lineClient } from './test-helpers/client';

const USERS: Record<string, { password: string; user: NutUser }> = {
  monuser: { password: 'secret', user: { name: 'monuser', upsmon: 'secondary', actions: [], instcmds: [] } },
  admin: { password: 'a-secret', user: { name: 'admin', upsmon: null, actions: ['SET'], instcmds: 'all' } },
};
const authenticate = async (name: string, password: string) => (USERS[name]?.password === password ? USERS[name].user : null);

describeWithTools(['upsc', 'upsrw', 'upscmd'], 'NUT server with Debian\'s nut-client', () => {
  jest.setTimeout(120_000);
  let site: Site;
  let server: NutServer;
  let executed: ReturnType<typeof fixtureCommands>['executed'];
  let at: string;
  beforeEach(async () => {
    site = fixtureSite();
    const f = fixtureCommands(site);
    executed = f.executed;
    server = await createNutServer(site, { port: 0, strings: true, authenticate, commands: f.commands, lowBattery: { runtimeS: 300, chargePercent: 20 } });
    at = `127.0.0.1:${server.port}`;
  });
  afterEach(async () => {
    await server.close();
  });

  it('upsc lists the UPS names and the variables with the site\'s values', async () => {
    expect((await run('upsc', ['-l', at])).stdout.trim().split('\n')).toEqual(['kirchhoff', 'kirchhoff-string1', 'kirchhoff-string2']);
    const r = await run('upsc', [`kirchhoff@${at}`]);
    expect(r.code).toBe(0);
    const vars = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(': ')));
    expect(vars).toMatchObject({
      'battery.charge': '97', 'battery.runtime': '2352', 'battery.runtime.low': '300', 'battery.type': 'PbAc',
      'ups.status': 'OL', 'ups.mfr': 'Test UPS', 'output.voltage': '230.0', 'input.voltage': '231.0', 'device.type': 'ups',
    });
    expect((await run('upsc', [`kirchhoff-string2@${at}`, 'battery.runtime'])).stdout.trim()).toBe('2352');
    const unknown = await run('upsc', [`nope@${at}`]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('Unknown UPS')]);
  });

  it('upsrw and upscmd work only with a permitted login, and the command is the NUT user\'s', async () => {
    const cmds = await run('upscmd', ['-l', `kirchhoff@${at}`]);
    expect(cmds.stdout).toMatch(/test\.battery\.start\.quick - Start a quick battery test/);
    const denied = await run('upscmd', ['-u', 'monuser', '-p', 'secret', `kirchhoff@${at}`, 'test.battery.start.quick']);
    expect(denied.stderr).toMatch(/ERR ACCESS-DENIED/);
    const wrong = await run('upscmd', ['-u', 'admin', '-p', 'wrong', `kirchhoff@${at}`, 'test.battery.start.quick']);
    expect(wrong.stderr).toMatch(/ERR ACCESS-DENIED/);
    expect(executed).toEqual([]);
    const ok = await run('upscmd', ['-u', 'admin', '-p', 'a-secret', `kirchhoff@${at}`, 'test.battery.start.quick']);
    expect([ok.code, (ok.stdout + ok.stderr).trim()]).toEqual([0, 'OK']);
    const list = await run('upsrw', [`kirchhoff@${at}`]);
    expect(list.stdout).toMatch(/\[input\.transfer\.low\]\s+Low voltage transfer point \(V\)\s+Type: RANGE NUMBER\s+Option: "0-1000" SELECTED/);
    expect((await run('upsrw', ['-s', 'input.transfer.low=180', '-u', 'monuser', '-p', 'secret', `kirchhoff@${at}`])).stderr).toMatch(/ERR ACCESS-DENIED/);
    const set = await run('upsrw', ['-s', 'input.transfer.low=180', '-u', 'admin', '-p', 'a-secret', `kirchhoff@${at}`]);
    expect([set.code, (set.stdout + set.stderr).trim()]).toEqual([0, 'OK']);
    expect(executed).toEqual([
      { command: { type: 'ups-test', test: 'quick' }, principal: 'admin' },
      { command: { type: 'ups-settings', settings: { lowVoltageTransferPointV: 180 } }, principal: 'admin' },
    ]);
  });

  it('NUT\'s own Python client (PyNUTClient, as Home Assistant uses it) lists, reads and runs a command', async () => {
    const script = [
      'import json, sys',
      'from PyNUT import PyNUTClient',
      `c = PyNUTClient(host='127.0.0.1', port=${server.port}, login='admin', password='a-secret')`,
      "v = {k.decode(): x.decode() for k, x in c.GetUPSVars('kirchhoff').items()}",
      "cmds = sorted(k.decode() for k in c.GetUPSCommands('kirchhoff'))",
      "ran = c.RunUPSCommand('kirchhoff', 'test.battery.start.quick')",
      "print(json.dumps({'ups': sorted(k.decode() for k in c.GetUPSList()), 'status': v['ups.status'], 'charge': v['battery.charge'], 'cmds': cmds, 'ran': ran}))",
    ].join('\n');
    // Debian's python3-nut installs PyNUT for the system Python.
    const r = await run('/usr/bin/python3', ['-c', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      ups: ['kirchhoff', 'kirchhoff-string1', 'kirchhoff-string2'], status: 'OL', charge: '97',
      cmds: expect.arrayContaining(['test.battery.start.quick', 'beeper.mute']), ran: 'OK',
    });
    expect(executed).toEqual([{ command: { type: 'ups-test', test: 'quick' }, principal: 'admin' }]);
  });

  describeWithTools(['upsmon'], 'a real upsmon (secondary)', () => {
    let upsmon: ReturnType<typeof startUpsmon> | null = null;
    const logins = async () => {
      const c = await lineClient(server.port);
      const [n] = await c.ask('GET NUMLOGINS kirchhoff');
      c.close();
      return Number(n.split(' ')[2]);
    };
    afterEach(async () => {
      await upsmon?.stop();
      upsmon = null;
    });

    it('logs in, stays up on battery with runtime left, and shuts its host down when the strings\' runtime falls below the LB limit', async () => {
      upsmon = startUpsmon(`kirchhoff@${at}`, 'monuser', 'secret');
      await waitFor(async () => (await logins()) === 1, 20_000, 'upsmon logged in');
      onBattery(site, 20, 50);
      await waitFor(() => upsmon!.output().includes('on battery'), 20_000, 'upsmon saw OB');
      expect(existsSync(upsmon.shutdownFile)).toBe(false);
      onBattery(site, 4, 15);
      await waitFor(() => existsSync(upsmon!.shutdownFile), 30_000, 'the SHUTDOWNCMD');
      expect(upsmon.output()).toMatch(/battery is low/);
    });

    it('shuts its host down on FSD set by the gateway while on mains', async () => {
      upsmon = startUpsmon(`kirchhoff@${at}`, 'monuser', 'secret');
      await waitFor(async () => (await logins()) === 1, 20_000, 'upsmon logged in');
      expect(existsSync(upsmon.shutdownFile)).toBe(false);
      server.setFsd(null, 'test');
      await waitFor(() => existsSync(upsmon!.shutdownFile), 30_000, 'the SHUTDOWNCMD');
    });
  });

  it('survives random bytes, 100 kB lines and 1,000 idle connections, and upsc is still answered', async () => {
    const rand = (n: number, seed: number) => {
      let x = seed;
      return Buffer.from(Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    };
    // Random bytes and a 100 kB line, each on its own connection.
    for (let seed = 1; seed <= 20; seed++) {
      const s = connect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.end(rand(2000, seed));
    }
    const long = await lineClient(server.port);
    long.socket.write(Buffer.alloc(100_000, 0x41));
    await long.closed();
    expect(server.stats().tooLong).toBeGreaterThanOrEqual(1);
    // 1,000 idle connections from one address.
    const idle = await Promise.all(Array.from({ length: 1000 }, () => new Promise<ReturnType<typeof connect>>((resolve) => {
      const s = connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', () => resolve(s));
    })));
    try {
      await waitFor(() => server.stats().evicted >= 900, 20_000, 'idle connections evicted');
      expect(server.connections()).toBeLessThanOrEqual(32);
      const r = await run('upsc', [`kirchhoff@${at}`, 'ups.status']);
      expect(r.stdout.trim()).toBe('OL');
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
