// The syslog messages as Wireshark reads them: a loopback capture (dumpcap) of the UDP messages,
// decoded by tshark's RFC 5424 syslog dissector.
import { createSocket, Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { SyslogNotifier } from './syslog';
import { notification } from './test-helpers/alarm';

describeWithTools(['dumpcap', 'tshark'], 'syslog as tshark decodes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-syslog-'));
  const pcap = join(dir, 'syslog.pcapng');
  let rx: Socket;
  let port: number;
  let capture: ReturnType<typeof startProcess>;

  beforeAll(async () => {
    rx = createSocket('udp4');
    rx.on('message', () => {});
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    port = rx.address().port;
    capture = startProcess('dumpcap', ['-i', 'lo', '-f', `udp port ${port}`, '-w', pcap]);
    await waitFor(() => /Capturing on/.test(capture.output()), 10_000, 'dumpcap to start');
    // "Capturing on" comes before packets are seen: probe until dumpcap counts one.
    const probe = createSocket('udp4');
    await waitFor(async () => {
      await new Promise<void>((r) => probe.send('probe', port, '127.0.0.1', () => r()));
      return packets() > 0;
    }, 10_000, 'dumpcap to see a probe');
    probe.close();
  }, 120_000);

  /** dumpcap's running packet count (it prints `Packets: N` unless -q). */
  const packets = () => Number([...capture.output().matchAll(/Packets: (\d+)/g)].at(-1)?.[1] ?? 0);

  afterAll(async () => {
    await capture?.stop();
    rx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads facility, level, version, timestamp, hostname, app-name, procid, msgid and the message', async () => {
    // Counted once the probes are all in (the count updates about twice a second).
    await new Promise((r) => setTimeout(r, 600));
    const before = packets();
    const s = new SyslogNotifier({ name: 'noc', transport: 'udp', host: '127.0.0.1', port, hostname: 'gw1', facility: 'local3' });
    await s.send(notification());
    await s.send(notification({ event: 'cleared' }, { severity: 'warning', message: 'Room temperature 31 degC' }));
    await s.close();
    await waitFor(() => packets() >= before + 2, 10_000, 'dumpcap to capture both messages');
    await capture.stop();
    const fields = ['syslog.facility', 'syslog.level', 'syslog.version', 'syslog.timestamp', 'syslog.hostname', 'syslog.appname', 'syslog.procid', 'syslog.msgid', 'syslog.msg'];
    const r = await run('tshark', ['-r', pcap, '-d', `udp.port==${port},syslog`, '-Y', 'syslog.version', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])]);
    const decoded = r.stdout.trim().split('\n').map((l) => l.split('|'));
    expect(decoded).toHaveLength(2);
    expect(decoded[0].slice(0, 7)).toEqual(['19', '2', '1', 'Jan  2, 2024 03:04:05.678000000 UTC', 'gw1', 'kirchhoff', String(process.pid)]);
    // Wireshark 4.0 reads MSGID to the end of the line (structured data and message included).
    expect(decoded[0][7]).toMatch(/^alarm-raised \[kirchhoff@32473 alarmId="1" kind="thermal-runaway" severity="critical" entity="string\/1" .*\] String 1: thermal runaway$/);
    expect(decoded[1].slice(0, 3)).toEqual(['19', '5', '1']);
    expect(decoded[1][7]).toMatch(/^alarm-cleared \[kirchhoff@32473 [^\]]*severity="warning"[^\]]*\] cleared: Room temperature 31 degC$/);
  }, 120_000);
});
