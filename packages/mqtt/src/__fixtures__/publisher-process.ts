// A publisher in its own process, for tests that kill it: `node -r tools/test-support/ts-register.js
// publisher-process.ts <url> <siteId>`; prints `connected` once both connections are up.
import { Site } from '@kirchhoff/core';
import { createMqttPublisher } from '../index';

const [url, siteId] = process.argv.slice(2);
const site = new Site({ info: { name: 'Killed site' }, strings: [{ modules: 2, moduleType: 'C20' }] });
site.update((tx) => tx.moduleReadings(1, { voltageV: 13.6 }));
const publisher = createMqttPublisher(site, { url, siteId, publishIntervalMs: 50, modes: { json: true, sparkplug: true } });
publisher.connected().then(
  () => process.stdout.write('connected\n'),
  (e: Error) => process.stdout.write(`failed ${e.message}\n`),
);
