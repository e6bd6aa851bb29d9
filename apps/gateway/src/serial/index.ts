// The serial-line owner: every serial port the gateway uses has one owner and one queue, shared by
// the battery bus driver (whose port is adopted) and the UPS and sensor sources on the same line.
// port.ts opens a port (and reopens it after a replug); lines.ts hands out leases on its queue.
export { LineSettingsError, SerialLines, readReply } from './lines';
export type { LineSettings, SharedLine } from './lines';
export { SerialTransport } from './port';
export type { SerialTransportOptions } from './port';
