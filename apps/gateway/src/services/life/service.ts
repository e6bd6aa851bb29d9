// Block and string life records as a gateway service: at start, brings the records in the data
// logger in line with the configuration (each change logged as a battery event) and keeps the
// passport data of the configuration beside them, so `kirchhoff passport` needs only the database.
import { moduleLabel } from '@kirchhoff/core';
import type { GatewayConfig } from '../../config/types';
import type { ServiceDefinition } from '../types';
import type { HistoryStore } from '../history/types';
import { STRING_POSITION, type LifeChange } from '../history/life';
import { configuredIdentities } from './config';

/** Passport data keys in the database: `site` and `string/N`. */
export const PASSPORT_SITE_KEY = 'site';
export const passportStringKey = (n: number) => `string/${n}`;

export function lifeEntity(string: number, position: number): string {
  return position === STRING_POSITION ? `string/${string}` : `string/${string}/module/${position}`;
}
export function lifeLabel(string: number, position: number): string {
  return position === STRING_POSITION ? `string ${string}` : moduleLabel(string, position);
}

/** The passport data the configuration holds, as kept in the database. */
export function passportData(config: GatewayConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { [PASSPORT_SITE_KEY]: { site: config.site, passport: config.passport } };
  config.strings.forEach((s, i) => {
    out[passportStringKey(i + 1)] = { name: s.name ?? null, modules: s.modules, moduleType: s.moduleType, capacityAh: s.capacityAh, battery: s.battery };
  });
  return out;
}

/** Applies the configured identities and logs what changed. */
export async function syncLifeRecords(config: GatewayConfig, history: HistoryStore, atMs: number): Promise<LifeChange[]> {
  const changes = await history.applyConfiguredIdentity(configuredIdentities(config.strings), atMs);
  for (const c of changes) {
    history.recordEvent({
      atMs, category: 'battery', action: c.action === 'created' ? 'life-record-created' : 'life-record-updated', severity: 'info', entity: lifeEntity(c.string, c.position),
      message: `${lifeLabel(c.string, c.position)}: life record ${c.action === 'created' ? 'started' : 'updated'} from the configuration${c.fields.length ? ` (${c.fields.join(', ')})` : ''}`,
      detail: { recordId: c.recordId, fields: c.fields, source: 'configuration' },
    });
  }
  for (const [key, value] of Object.entries(passportData(config))) await history.setPassportInfo(key, atMs, value);
  await history.flush();
  return changes;
}

export const lifeService: ServiceDefinition = {
  id: 'life',
  async start({ config, site, logger, registry }) {
    const history = registry.history;
    if (!history) {
      const stated = config.strings.some((s) => Object.keys(s.battery).length || Object.keys(s.blocks).some((k) => k !== 'serials' && k !== 'positions') || s.blocks.serials.length);
      if (stated) logger.warn('block and string identity is configured but not kept: life records live in the data logger (set history.enabled)');
      return null;
    }
    const changes = await syncLifeRecords(config, history, site.now());
    const created = changes.filter((c) => c.action === 'created').length;
    const updated = changes.length - created;
    logger.info(`life records: ${created} started, ${updated} updated from the configuration`);
    return { close: async () => {} };
  },
};
