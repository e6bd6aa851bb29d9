// Schema pieces every section uses: ports and listen addresses.
import { int, str } from './schema-dsl';

export const portKey = (doc: string, def: number) => int(`${doc} 0 = any free port (for tests).`, { min: 0, max: 65535, default: def });
export const hostKey = (doc: string) => str(doc, { default: '0.0.0.0', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' });
