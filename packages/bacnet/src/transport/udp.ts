// The UDP transport: one socket bound to the B/IP port, every datagram handed to the device's
// handle(), every datagram the device sends put on the socket. Nothing else lives here.
import { createSocket } from 'node:dgram';
import { ProblemLog, type Site } from '@kirchhoff/core';
import { BacnetNode, createBacnetNode } from '../device/device';
import { BacnetDeviceOptions, stderrLogger, validateOptions } from '../options';
import type { BacnetNetwork } from './peer';

export interface BacnetDevice extends Omit<BacnetNode, 'start' | 'close'> {
  /** The bound UDP port (useful with port 0). */
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a BACnet/IP device serving `site`; resolves once the socket is bound. */
export async function createBacnetDevice(site: Site, options: BacnetDeviceOptions = {}): Promise<BacnetDevice> {
  validateOptions(options);
  // One problem log for the socket and the device: its counts are the adapter's.
  const problemLog = options.problems ?? new ProblemLog();
  const problems = problemLog.source('bacnet', options.logger ?? stderrLogger);
  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  let boundPort = 0;
  const network: BacnetNetwork = {
    send(datagram, to) {
      socket.send(datagram, to.port, to.address, (e) => {
        if (e) problems.warn('send', `send to ${to.address}:${to.port} failed: ${e.message}`);
      });
    },
    get port() {
      return boundPort;
    },
  };
  const node = createBacnetNode(site, { ...options, problems: problemLog }, network);
  const address = options.address ?? '0.0.0.0';
  socket.on('message', (msg, rinfo) => node.handle(msg, rinfo));
  socket.on('error', (e) => problems.warn('socket', `socket error: ${e.message}`));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 47808, address, () => {
        socket.off('error', reject);
        try {
          socket.setBroadcast(true);
        } catch {
          // Broadcast is only needed for I-Am announcements; unicast replies work without it.
        }
        resolve();
      });
    });
  } catch (e) {
    node.close();
    socket.close();
    throw e;
  }
  boundPort = socket.address().port;
  node.start();
  let closing: Promise<void> | null = null;
  return {
    get port() {
      return boundPort;
    },
    address,
    deviceInstance: node.deviceInstance,
    get objectList() {
      return node.objectList;
    },
    handle: (datagram, source, reply) => node.handle(datagram, source, reply),
    announce: () => node.announce(),
    covSubscriptions: () => node.covSubscriptions(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        node.close();
        socket.close(() => resolve());
      });
      return closing;
    },
  };
}
