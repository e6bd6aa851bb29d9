// Connection caps of the HTTP API (issue 19, point 3: 1,024 sockets from anyone locked every user
// out, a slowloris for ~55 s). Idle connections from one address leave another address served.
import { request } from 'node:http';
import { connect, Socket } from 'node:net';
import { waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const EPHEMERAL = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false', 'http.port=0', 'http.host=127.0.0.1'];

function health(port: number, from: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress: from, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens `n` connections from `from`; a slowloris half of them sends an unfinished request. */
async function idle(port: number, from: string, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => new Promise<Socket>((resolve) => {
      const s = connect({ port, host: '127.0.0.1', localAddress: from }, () => {
        s.resume();
        if (j % 2) s.write('GET /health HTTP/1.1\r\nHost: x\r\n');
        resolve(s);
      });
      s.on('error', () => resolve(s));
    })))));
  }
  return out;
}

describe('HTTP API connection caps', () => {
  let gw: Gateway;
  let port: number;
  const sockets: Socket[] = [];
  async function start(extra: string[] = []) {
    gw = await startGateway(finishConfig(applySets(demoConfig(), [...EPHEMERAL, ...extra])), { logger: memoryLogger('info'), cycleMs: 3_600_000 });
    port = Number(gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(':').pop());
  }
  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await gw?.stop();
  });

  // 1,100: past the old global limit of 1,024, so the test fails on the code before the caps.
  it('1,100 idle and slowloris connections from one address leave a client from another address served (production defaults)', async () => {
    await start();
    sockets.push(...(await idle(port, '127.0.0.1', 1100)));
    expect(await health(port, '127.0.0.2')).toBe(200);
  }, 120_000);

  it('when the cap in all is reached, a new client closes the least recently active idle connection', async () => {
    await start(['http.maxConnections=40']);
    sockets.push(...(await idle(port, '127.0.0.1', 40)));
    expect(await health(port, '127.0.0.2')).toBe(200);
    await waitFor(() => sockets.filter((s) => s.destroyed).length === 1, 5000, 'one idle connection to be closed');
  }, 120_000);
});
