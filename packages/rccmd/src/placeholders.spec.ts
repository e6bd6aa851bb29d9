// #AUTONOMY as a real RCCMD client parses it: the open Go client (github.com/jmbenlloch/rccmd) accepts a
// power-fail text only as `Autonomietime <digits>.<zeros> min.`, the form a CS141 sends; anything else
// is "Unknown event type" and no shutdown gets scheduled.
import { Site } from '@kirchhoff/core';
import { encodeLegacyMessage } from './codec';
import { fillPlaceholders } from './placeholders';

/** The grammar that client applies to the datagram (written from its documented behaviour, not copied). */
const CLIENT_GRAMMAR = /^CONNECT TO RCCMD \(SEND\) MSG_EXECUTE MSG_TEXT Powerfail on (.+): Autonomietime ([0-9]+\.0+) min\.$/;
const TEXT = 'Powerfail on #UPSNAME: Autonomietime #AUTONOMY min.';

function datagram(site: Site): string {
  return encodeLegacyMessage(fillPlaceholders(TEXT, { snapshot: site.snapshot(), event: 'ups-on-battery', job: 'j', nowMs: 0 })).toString('ascii');
}

it.each([
  [201.4, '201.00'],
  [201.99, '201.00'],
  [0.7, '0.00'],
  [125, '125.00'],
])('UPS lost, runtime from the strings: %p min -> %p (whole minutes, rounded down)', (autonomyMin, expected) => {
  const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }, { modules: 4, moduleType: 'C20' }], ups: { ident: { name: 'UPS-A' } } });
  site.update((tx) => {
    tx.ups({ quality: 'failed' });
    tx.string(1, { autonomyMin, chargeMode: 'discharge' });
    tx.string(2, { autonomyMin: autonomyMin + 30, chargeMode: 'discharge' });
  });
  const text = datagram(site);
  expect(text).toMatch(CLIENT_GRAMMAR);
  expect(CLIENT_GRAMMAR.exec(text)![2]).toBe(expected);
});

it('runtime from the UPS (whole minutes already): the captured form', () => {
  const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }], ups: { ident: { name: 'UPS-A' } } });
  site.update((tx) => tx.ups({ output: { source: 'battery' }, battery: { estimatedMinutesRemaining: 125 } }));
  expect(datagram(site)).toBe('CONNECT TO RCCMD (SEND) MSG_EXECUTE MSG_TEXT Powerfail on UPS-A: Autonomietime 125.00 min.');
});

it('no runtime known: the placeholder is empty, never a made-up number', () => {
  const site = new Site({ strings: [{ modules: 4, moduleType: 'C20' }] });
  expect(fillPlaceholders('#AUTONOMY', { snapshot: site.snapshot(), event: 'e', job: 'j', nowMs: 0 })).toBe('');
});
