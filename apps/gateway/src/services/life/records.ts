// Block and string life records in the gateway: the passport data keys in the database, and the
// identity a record gives the health engine.
import type { Site } from '@kirchhoff/core';
import { STRING_POSITION, type LifeRecord } from '@kirchhoff/history';
import type { HealthService } from '../../engine/health-service';

/** Passport data keys in the database: `site`, `string/N`, and `health` (the health figures as last saved). */
export const PASSPORT_SITE_KEY = 'site';
export const PASSPORT_HEALTH_KEY = 'health';
export const passportStringKey = (n: number) => `string/${n}`;

/**
 * Gives the health engine each block's rated capacity where its life record states one (given, not
 * derived from strings[].capacityAh, which the engine uses anyway), and its Ri at commissioning as
 * the Ri baseline.
 */
export function applyBlockInfo(health: HealthService | undefined, site: Site, records: readonly LifeRecord[]): void {
  if (!health) return;
  for (const r of records) {
    if (r.position === STRING_POSITION || r.endedAtMs !== null) continue;
    const global = site.topology.globalOf(r.string, r.position);
    if (!global) continue;
    const given = r.identity.ratedCapacityAh !== undefined && r.sources.ratedCapacityAh !== 'derived';
    health.setBlockInfo(global, {
      ...(given ? { ratedCapacityAh: r.identity.ratedCapacityAh } : {}),
      ...(r.identity.commissioningResistanceOhm !== undefined ? { resistanceBaselineOhm: r.identity.commissioningResistanceOhm } : {}),
    });
  }
}

