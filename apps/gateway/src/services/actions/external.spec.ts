// RCCMD sends in the action record: a real job runner and sender on a site whose UPS goes on
// battery, sending the public-form message to a UDP socket on loopback.
import { createSocket } from 'node:dgram';
import { Site } from '@kirchhoff/core';
import { parseTarget, RccmdJobRunner, RccmdSender } from '@kirchhoff/rccmd';
import { waitFor } from '@kirchhoff/test-support';
import { recordRccmdSends } from './external';
import { MemoryActionRecord } from './record';

it('records each RCCMD send of a job with its target and outcome', async () => {
  const rx = createSocket('udp4');
  const got: string[] = [];
  rx.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }], ups: { ident: { name: 'UPS-A' } } });
  const sender = new RccmdSender({ id: 'gw' });
  const record = new MemoryActionRecord(100);
  const stop = recordRccmdSends(sender, record);
  const runner = new RccmdJobRunner(site, sender, [{ name: 'powerfail', trigger: 'ups-on-battery', timing: 'immediately', kind: 'message', format: 'rccmd', targets: [parseTarget(`127.0.0.1:${rx.address().port}`)] }]);
  try {
    runner.start();
    site.update((tx) => tx.ups({ output: { source: 'battery' } }));
    await waitFor(() => record.list().length === 1 && got.length === 1, 3000, 'a recorded send');
    expect(record.list()[0]).toMatchObject({ type: 'rccmd', rule: 'powerfail', destination: 'powerfail', target: `message rccmd to udp://127.0.0.1:${rx.address().port}`, outcome: 'ok', detail: 'sent', attempts: 1, alarm: null });
  } finally {
    stop();
    runner.stop();
    sender.close();
    rx.close();
  }
});
