// The battery engines as the gateway configuration describes them (balancing, runaway), for the
// real bus and the demo alike.
import type { SiteSnapshot } from '@kirchhoff/core';
import type { GatewayConfig } from '../config/types';
import type { Logger } from '../log';
import { BatteryEngines, BypassActuator } from '.';

export function enginesFromConfig(
  config: GatewayConfig, actuator: BypassActuator, snap: SiteSnapshot, logger: Logger,
  tuning: { runawayRateWindowS?: number } = {},
): BatteryEngines {
  const relay = config.runaway.breakerRelay;
  const hasBreaker = relay > 0 && snap.relays[relay - 1] !== undefined;
  if (config.runaway.enabled && !hasBreaker) logger.warn('runaway.breakerRelay names no configured relay: a thermal runaway raises the alarm only, no breaker is opened');
  return new BatteryEngines({
    actuator,
    balancing: { enabled: config.balancing.enabled, deadbandV: config.balancing.deadbandV, maxTemperatureC: config.balancing.maxTemperatureC },
    runaway: {
      enabled: config.runaway.enabled,
      breakerRelayId: hasBreaker ? relay : null,
      riseRateCPerHour: config.runaway.riseRateCPerHour,
      deltaC: config.runaway.differenceC,
      minCurrentRiseA: config.runaway.floatCurrentRiseA,
      delayS: config.runaway.delayS,
      ...(tuning.runawayRateWindowS !== undefined ? { rateWindowS: tuning.runawayRateWindowS } : {}),
    },
  });
}
