// The protocol adapters of this build, in start order (stopped in reverse; an adapter may use what
// earlier ones provide). Adding an adapter: its file in this folder, and one line here. The
// configuration schema, its type, the demo site, the security notices and the command policy
// are assembled from this list (config/schema.ts, config/demo-config.ts, run.ts).
import { modbusAdapter } from './modbus';
import { snmpAdapter } from './snmp';
import { mqttAdapter } from './mqtt';
import { bacnetAdapter } from './bacnet';
import { rccmdAdapter } from './rccmd';
import { nutAdapter } from './nut';
import { httpAdapter } from './http';

export const ADAPTERS = [
  modbusAdapter,
  snmpAdapter,
  mqttAdapter,
  bacnetAdapter,
  rccmdAdapter,
  nutAdapter,
  httpAdapter,
] as const;
