// The validated configuration's type, inferred from its schema (schema.ts is the one source of
// truth for keys, types, ranges and defaults).
import type { Infer } from './schema-dsl';
import type { CONFIG_SCHEMA } from './schema';

export type GatewayConfig = Infer<typeof CONFIG_SCHEMA>;
/** One kind's limits (every kind has these; block Ri also its comparison mode). */
export type ThresholdConfig = GatewayConfig['thresholds']['moduleResistance'];
