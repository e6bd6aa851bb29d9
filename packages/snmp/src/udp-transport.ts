// The SNMP agent's UDP transport (RFC 3417 section 3): binds the socket and passes each datagram
// with its source and a reply function to a handler. Nothing else: the protocol is dispatcher.ts.
import { createSocket, Socket } from 'node:dgram';
import type { SnmpRemote, SnmpReply } from './dispatcher';
import type { SnmpLogger } from './options';

export type DatagramHandler = (datagram: Buffer, source: SnmpRemote, reply: SnmpReply) => unknown;

export class SnmpUdpTransport {
  private readonly socket: Socket;
  private boundPort = 0;

  constructor(handler: DatagramHandler, logger: SnmpLogger) {
    this.socket = createSocket('udp4');
    this.socket.on('message', (datagram, rinfo) => {
      const source = { address: rinfo.address, port: rinfo.port };
      void handler(datagram, source, (bytes) => this.socket.send(bytes, rinfo.port, rinfo.address));
    });
    this.socket.on('error', (e) => logger.error(`SNMP socket error: ${e.message}`));
  }

  /** The bound port (the real one when asked for port 0). */
  get port(): number {
    return this.boundPort;
  }

  listen(port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        const hint = e.code === 'EACCES' ? ` (port ${port} needs root: use a port above 1023, e.g. 1161, or CAP_NET_BIND_SERVICE)` : e.code === 'EADDRINUSE' ? ' (another SNMP agent, e.g. snmpd, already uses it)' : '';
        reject(Object.assign(new Error(`snmp.port ${port}: cannot listen on udp ${address}:${port}: ${e.message}${hint}`), { code: e.code }));
      };
      this.socket.once('error', onError);
      this.socket.bind(port, address, () => {
        this.socket.off('error', onError);
        this.boundPort = this.socket.address().port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
