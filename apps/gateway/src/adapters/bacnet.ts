// BACnet/IP (@kirchhoff/bacnet) in the gateway: the `bacnet` configuration section and its wiring.
import { createBacnetDevice } from '@kirchhoff/bacnet';
import { arr, bool, int, obj, str } from '../config/schema-dsl';
import { hostKey, LOOPBACK, portKey } from '../config/common';
import type { Infer } from '../config/schema-dsl';
import { defineAdapter } from './types';
import type { SiteNames } from './snmp';
import { SOFTWARE_VERSION } from '../version';

const IP_PORT = { pattern: /^((\d{1,3}\.){3}\d{1,3}(:\d{1,5})?)?$/, patternDoc: 'a.b.c.d or a.b.c.d:port' };

export const BACNET_SCHEMA = obj('BACnet/IP device (@kirchhoff/bacnet); object list in docs/bacnet-objects.md.', {
  enabled: bool('Serve BACnet/IP.', false),
  writes: bool('Accept WriteProperty of relay Binary Outputs through the command interface.', false),
  address: hostKey('Address to bind.'),
  port: portKey('UDP port (BACnet/IP standard: 47808).', 47808),
  broadcastAddress: str('Where I-Am announcements go (the subnet\'s broadcast address).', { default: '255.255.255.255', pattern: /^(\d{1,3}\.){3}\d{1,3}$/, patternDoc: 'an IPv4 address' }),
  deviceInstance: int('Device object instance (unique on the BACnet internetwork).', { min: 0, max: 4_194_302, default: 260_001 }),
  deviceName: str('Device Object_Name; empty = the site name.', { default: '' }),
  vendorId: int('Vendor_Identifier in the Device object and I-Am: the number ASHRAE assigned to the organisation that ships this device; 0 is ASHRAE\'s own (no number assigned to this project).', { min: 0, max: 65_535, default: 0 }),
  vendorName: str('Vendor_Name in the Device object.', { default: 'Kirchhoff project', pattern: /^.{1,64}$/, patternDoc: '1 to 64 characters' }),
  dccPassword: str('Password for DeviceCommunicationControl; empty = the service is not offered.', { default: '', pattern: /^.{0,20}$/, patternDoc: 'at most 20 characters' }),
  bbmd: obj('Foreign-device registration with a BBMD (to be reachable from other subnets).', {
    address: str('BBMD address; empty = no registration.', { default: '', ...IP_PORT }),
    ttlS: int('Registration time-to-live; re-registered every half of it.', { min: 30, max: 65_535, default: 300, unit: 's' }),
  }),
  maxCovLifetimeS: int('Longest SubscribeCOV lifetime granted; a request for an indefinite (0) or longer lifetime gets this one, so a forgotten or spoofed subscriber expires.', { min: 60, max: 2_592_000, default: 28_800, unit: 's' }),
  maxSubscriptionsPerSubscriber: int('COV subscriptions one subscriber address may hold; more are refused (Error: cov-subscription-failed).', { min: 1, max: 10_000, default: 64 }),
  recipients: arr('Notification Class recipients of event notifications: OUT_OF_RANGE on analog limits, CHANGE_OF_STATE on the alarm Binary Values (thermal runaway, ground fault, ...).', obj('A recipient', {
    address: str('Recipient B/IP address.', IP_PORT),
    processId: int('Process identifier in the notifications.', { min: 0, max: 4_294_967_295, default: 1 }),
    confirmed: bool('ConfirmedEventNotification (retried until acknowledged) instead of unconfirmed.', false),
  }), { default: [] }),
});

export type BacnetConfig = Infer<typeof BACNET_SCHEMA>;

export const bacnetAdapter = defineAdapter<'bacnet', typeof BACNET_SCHEMA, { readonly root: { readonly site: SiteNames } }>({
  key: 'bacnet',
  schema: BACNET_SCHEMA,
  // I-Am and every other announcement on loopback too: never a broadcast into a real building's network.
  demo: { enabled: true, address: LOOPBACK, broadcastAddress: LOOPBACK, port: 47808 },
  notices: (c) => (c.enabled && c.writes
    ? [{ id: 'bacnet-writes', severity: 'warning', key: 'bacnet.writes', message: 'BACnet writes are on: BACnet/IP has no authentication, anyone who reaches the port can write.' }]
    : []),
  writes: (c) => (c.enabled && c.writes ? { bacnet: 'all' } : {}),
  services: (c) => [{ name: 'BACnet/IP', endpoint: `udp ${c.address}:${c.port}`, enabled: c.enabled }],
  portKey: (c) => ({ key: 'bacnet.port', port: c.port }),
  listens: (c) => (c.enabled ? [{ key: 'bacnet.port', proto: 'udp', host: c.address, port: c.port }] : []),
  async start({ config: c, root, site, commands, logger, problems }) {
    if (!c.enabled) return null;
    const device = await createBacnetDevice(site, {
      address: c.address,
      port: c.port,
      broadcastAddress: c.broadcastAddress,
      deviceInstance: c.deviceInstance,
      deviceName: c.deviceName || root.site.name,
      vendorId: c.vendorId,
      vendorName: c.vendorName,
      firmwareRevision: SOFTWARE_VERSION,
      applicationSoftwareVersion: `Kirchhoff ${SOFTWARE_VERSION}`,
      location: root.site.location,
      commands: c.writes ? commands : null,
      ...(c.dccPassword ? { dccPassword: c.dccPassword } : {}),
      ...(c.bbmd.address ? { bbmd: { address: c.bbmd.address, ttlS: c.bbmd.ttlS } } : {}),
      recipients: c.recipients,
      maxCovLifetimeS: c.maxCovLifetimeS,
      maxSubscriptionsPerSubscriber: c.maxSubscriptionsPerSubscriber,
      logger,
      problems,
    });
    return {
      services: [{ name: 'BACnet/IP', endpoint: `udp ${c.address}:${device.port}` }],
      clients: () => ({ 'bacnet-cov-subscriptions': device.covSubscriptions().length }),
      close: () => device.close(),
    };
  },
});
