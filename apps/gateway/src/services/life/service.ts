// Block and string life records as a gateway service: at start, brings the records in the data
// logger in line with the configuration (each change logged as a battery event) and keeps the
// passport data of the configuration beside them, so `kirchhoff passport` needs only the database.
import type { GatewayConfig } from '../../config/types';
import type { ServiceDefinition } from '../types';
import { lifeEntity, lifeLabel, type HistoryStore, type LifeChange } from '@kirchhoff/history';
import type { HealthService } from '../../engine/health-service';
import { applyBlockInfo, PASSPORT_HEALTH_KEY, PASSPORT_SITE_KEY, passportStringKey } from './records';
import { configuredIdentities } from './config';
import { healthOptionsFromConfig } from '../../engine/from-config';

/** The health figures are kept for the passport this often, and when the gateway stops. */
export const HEALTH_SAVE_INTERVAL_MS = 3_600_000;

/** The passport data the configuration holds, as kept in the database. */
export function passportData(config: GatewayConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { [PASSPORT_SITE_KEY]: { site: config.site, passport: config.passport, healthOptions: healthOptionsFromConfig(config), strings: config.strings.length } };
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

interface LifeNeeds {
  readonly history?: HistoryStore;
  readonly health?: HealthService;
}

export const lifeService: ServiceDefinition<LifeNeeds> = {
  id: 'life',
  async start({ config, site, logger, history, health }) {
    if (!history) {
      const stated = config.strings.some((s) => Object.keys(s.battery).length || Object.keys(s.blocks).some((k) => k !== 'serials' && k !== 'positions' && k !== 'commissioningResistancesOhm') || s.blocks.serials.length || s.blocks.commissioningResistancesOhm.length);
      if (stated) logger.warn('block and string identity is configured but not kept: life records live in the data logger (set history.enabled)');
      return null;
    }
    const changes = await syncLifeRecords(config, history, site.now());
    const created = changes.filter((c) => c.action === 'created').length;
    const updated = changes.length - created;
    logger.info(`life records: ${created} started, ${updated} updated from the configuration`);
    applyBlockInfo(health, site, await history.lifeRecords({ current: true }));
    // `kirchhoff passport` reads the database only: it gets the health figures as last kept here.
    const saveHealth = async () => {
      if (health) await history.setPassportInfo(PASSPORT_HEALTH_KEY, site.now(), health.snapshot());
    };
    const timer = setInterval(() => void saveHealth().catch((error: unknown) => logger.warn('the health figures were not kept for the passport', { error })), HEALTH_SAVE_INTERVAL_MS);
    timer.unref();
    return {
      async close() {
        clearInterval(timer);
        await saveHealth().catch((error: unknown) => logger.warn('the health figures were not kept for the passport', { error }));
      },
    };
  },
};
