// The kirchhoff gateway as a library (for tests and embedding).
export { main, run } from './cli';
export { startGateway, buildSite } from './gateway';
export type { Gateway, ServiceInfo } from './gateway';
export { loadConfig } from './config/load';
export type { GatewayConfig } from './config/types';
