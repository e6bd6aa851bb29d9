// The battery engines as the gateway configuration describes them (balancing, runaway), for the
// real bus and the demo alike.
import type { SiteSnapshot } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import { BatteryEngines, BreakerSpec, BypassActuator, type HealthOptions } from '.';

/** The health engine's options from the configuration (also kept for `kirchhoff passport`, which computes figures from the kept state). */
export function healthOptionsFromConfig(config: GatewayConfig): HealthOptions {
  return {
    keepSamples: config.history.enabled,
    test: { endVoltsPerCell: config.health.testEndVoltsPerCell, maxDurationS: config.health.testMaxHours * 3600, earlyFraction: config.health.collapsedEarlyFraction },
    riEndOfLifePercent: config.health.riEndOfLifePercent,
    designLifeYears: config.health.designLifeYears,
    lifeReferenceC: config.health.lifeReferenceC,
    lifeHalvingK: config.health.lifeHalvingK,
    highTemperatureC: config.health.highTemperatureC,
    lowTemperatureC: config.health.lowTemperatureC,
    deepDischargeVoltsPerCell: config.health.testEndVoltsPerCell,
  };
}

export function enginesFromConfig(
  config: GatewayConfig, actuator: BypassActuator, snap: SiteSnapshot, logger: Logger,
  tuning: { runawayRateWindowS?: number; runawaySettleS?: number; runawaySettledCurrentAPerAh?: number } = {},
): BatteryEngines {
  const r = config.runaway;
  const breakers: BreakerSpec[] = r.breakers.map((b) => ({
    relay: b.relay, strings: b.strings.length ? b.strings : 'all', statusInput: b.statusInput || null, inputActiveMeans: b.inputActiveMeans,
  }));
  if (r.breakerRelay > 0 && snap.relays[r.breakerRelay - 1] !== undefined) breakers.push({ relay: r.breakerRelay, strings: 'all' });
  if (r.enabled && !breakers.length) logger.warn('runaway: no breaker configured (runaway.breakers or runaway.breakerRelay): a thermal runaway raises the alarm only, no breaker is opened');
  return new BatteryEngines({
    actuator,
    balancing: { enabled: config.balancing.enabled, deadbandV: config.balancing.deadbandV, maxTemperatureC: config.balancing.maxTemperatureC },
    chargeMode: config.chargeMode,
    // The data logger stores each capacity test's per-second samples.
    health: healthOptionsFromConfig(config),
    runaway: {
      enabled: r.enabled,
      breakers,
      breakerConfirmS: r.breakerConfirmS,
      riseRateCPerHour: r.riseRateCPerHour,
      rateWindowS: tuning.runawayRateWindowS ?? r.rateWindowS,
      differenceC: r.differenceC,
      aboveAmbientC: r.aboveAmbientC,
      currentRisePercent: r.floatCurrentRisePercent,
      minCurrentRiseA: r.floatCurrentRiseA,
      settleS: tuning.runawaySettleS ?? r.settleS,
      settledCurrentAPerAh: tuning.runawaySettledCurrentAPerAh ?? r.settledCurrentAPerAh,
      floatCurrentLimitAPerAh: r.floatCurrentLimitAPerAh,
      tripTemperatureC: r.tripTemperatureC,
      delayS: r.delayS,
    },
  });
}
