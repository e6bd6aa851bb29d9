// Who a message goes to: a B/IP address, the NPDU destination behind a router, and the function
// that puts a datagram on the wire towards it (a socket's send, or a test's collector).
import type { BacnetAddress } from '../framing/npdu';

/** A UDP endpoint. */
export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** What the device needs of a network: send a datagram to a B/IP address. */
export interface BacnetNetwork {
  send(datagram: Buffer, to: UdpEndpoint): void;
  /** The local UDP port (where broadcasts go on the other devices); default the configured port. */
  readonly port?: number;
}

export interface Peer {
  readonly host: string;
  readonly port: number;
  /** NPDU destination for replies when the request came through a router. */
  readonly dest: BacnetAddress | null;
  /** Identifies the peer in logs and transaction keys. */
  readonly key: string;
  /** Puts one datagram on the wire towards the peer. */
  readonly send: (datagram: Buffer) => void;
}

/** A peer at a B/IP address, reached through `network`. */
export function peerAt(network: BacnetNetwork, hostPort: string): Peer {
  const [host, port] = hostPort.split(':');
  const to = { address: host, port: Number(port) };
  return { host, port: Number(port), dest: null, key: hostPort, send: (d) => network.send(d, to) };
}

/** A B/IP address a reply may go to: a port 1..65535 and a host that is not unspecified, multicast or the limited broadcast. */
export function isUnicastPeer(host: string, port: number): boolean {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return false;
  const o = host.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  return o[0] !== 0 && o[0] < 224;
}

export function samePeer(a: Peer, b: Peer): boolean {
  return a.host === b.host && a.port === b.port;
}
