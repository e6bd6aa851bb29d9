// @kirchhoff/snmp: an SNMP v2c/v3 agent over a Kirchhoff site (RFC 1628 UPS-MIB, KIRCHHOFF-BMS-MIB,
// MIB-II system group) with traps and informs.
export { createSnmpAgent, createSnmpHandler } from './agent';
export type { SnmpAgent, SnmpCounters, SnmpHandler, SnmpRemote, SnmpReply } from './agent';
export type { SnmpAgentOptions, CommunityOption, UserOption, SnmpLogger, Access } from './options';
export { DEFAULT_COMMUNITIES, DEFAULT_PASSWORDS, isDefaultPassword, securityWarnings } from './options';
export type { NotificationReceiver, NotificationStats } from './notifications';
export type { AuthProtocol, PrivProtocol, SecurityLevel } from './usm';
export { KIRCHHOFF_ENTERPRISE_OID, BMS_MIB, BMS_NOTIFICATIONS, BMS_NOTIFICATION_DEFS } from './bms-mib';
export { UPS_MIB, UPS_OBJECTS, UPS_WELL_KNOWN_TESTS, UPS_MIB_SCALARS, UPS_MIB_TABLES, upsOid, upsScalar, upsStateFromWire, upsSetValues } from './rfc1628';
export type { UpsMibScalar, UpsMibTable, UpsMibColumn, UpsMibSyntax, UpsField, UpsLineRows, WireCodes } from './rfc1628';
export { SnmpConfigError, engineIdFromSeed } from './engine';
export { generateMib } from './mib-text';
export { generateZabbixTemplate, ZABBIX_TEMPLATE_NAME } from './zabbix-template';

import { join } from 'node:path';
/** Path of the shipped KIRCHHOFF-BMS-MIB file (for an NMS or `snmpwalk -M`). */
export const MIB_DIRECTORY = join(__dirname, '..', 'mibs');
