// The BACnet/IP device over a site, free of I/O: handle() takes a datagram and where it came
// from, decodes it (framing/), runs the service (services/) and sends what answers it through the
// reply function; notifications and broadcasts go through the network it was given. The UDP
// socket (transport/udp.ts) is one such network.
import { AbortReason, RejectReason } from '@bacnet-js/client';
import { Alarm, Clock, ClockTimer, ProblemLog, RateLimitedLog, Site, SiteSnapshot, systemClock } from '@kirchhoff/core';
import { DecodeError, TagReader } from '../codec/tags';
import { asn1, EncodeBuffer } from '../codec/values';
import { BVLC, BVLC_NAK, bvlcResult, ipMac } from '../framing/bvll';
import { Apdu } from '../framing/apdu';
import { decodeFrame, encodeFrame } from '../framing/frame';
import {
  BacnetObject, buildPointObjects, CovSubscriptionView, deviceObject, DeviceView, EventInfo, notificationClassObject, objectKey, ObjectId, ReadContext,
} from '../objects/objects';
import { OT } from '../objects/table';
import { BacnetDeviceOptions, BacnetLogger, stderrLogger, validateOptions, withDefaultPort } from '../options';
import { acknowledgeAlarm, getEventInformation } from '../services/alarm-events';
import { CovSubscriptions } from '../services/cov';
import { CommunicationControl, deviceCommunicationControl } from '../services/dcc';
import { sendIAm, whoHas, whoIs } from '../services/discovery';
import { ENCODE_LIMIT, readProperty, readPropertyMultiple } from '../services/read-property';
import { CONFIRMED, ConfirmedHandler, Reply, ServiceHost, TooLong, UNCONFIRMED, UnconfirmedHandler } from '../services/service';
import { serviceBits, servicesSupported } from '../services/supported';
import { writeProperty } from '../services/write-property';
import { EventReporting, Recipient } from '../reporting/intrinsic';
import { ConfirmedRequests, MAX_APDU } from '../transactions/requests';
import { SegmentedResponses } from '../transactions/segmentation';
import { ForeignDeviceRegistration } from '../transport/foreign-device';
import { BacnetNetwork, isUnicastPeer, Peer, peerAt, UdpEndpoint } from '../transport/peer';

/** The device without a socket: what createBacnetNode returns. */
export interface BacnetNode {
  readonly deviceInstance: number;
  /** Every object, Device first, in Object_List order. */
  readonly objectList: readonly { readonly type: number; readonly instance: number; readonly name: string }[];
  /**
   * One datagram received from `source`. Answers go to `reply` (default: the network, to the
   * source); never throws: a datagram that breaks a handler is logged and dropped.
   */
  handle(datagram: Buffer, source: UdpEndpoint, reply?: (datagram: Buffer) => void): void;
  /** Broadcasts an I-Am (unless communication is disabled). */
  announce(): void;
  /** The live COV subscriptions (Active_COV_Subscriptions). */
  covSubscriptions(): readonly CovSubscriptionView[];
  /** Starts the timers (subscription expiry, foreign-device registration), evaluates and announces. */
  start(): void;
  /** Stops the timers and ends every transaction; nothing is sent afterwards. */
  close(): void;
}

/** A BACnet device that sends through `network` and is fed datagrams with handle(). */
export function createBacnetNode(site: Site, options: BacnetDeviceOptions, network: BacnetNetwork): BacnetNode {
  validateOptions(options);
  return new Device(site, options, network);
}

const CONFIRMED_HANDLERS: Readonly<Record<number, ConfirmedHandler>> = {
  [CONFIRMED.READ_PROPERTY]: readProperty,
  [CONFIRMED.READ_PROPERTY_MULTIPLE]: readPropertyMultiple,
  [CONFIRMED.WRITE_PROPERTY]: writeProperty,
  [CONFIRMED.SUBSCRIBE_COV]: (host, r, peer) => host.cov.subscribe(host, r, peer),
  [CONFIRMED.GET_EVENT_INFORMATION]: getEventInformation,
  [CONFIRMED.ACKNOWLEDGE_ALARM]: acknowledgeAlarm,
};

const UNCONFIRMED_HANDLERS: Readonly<Record<number, UnconfirmedHandler>> = {
  [UNCONFIRMED.WHO_IS]: whoIs,
  [UNCONFIRMED.WHO_HAS]: whoHas,
  // I-Am, I-Have, notifications and time synchronization from others need nothing from us.
};

/** How often subscriptions expire and Time_Delay is re-checked without a change. */
const TICK_MS = 1000;

class Device implements BacnetNode, DeviceView, ServiceHost {
  readonly deviceInstance: number;
  readonly deviceName: string;
  readonly vendorName: string;
  readonly vendorId: number;
  readonly modelName: string;
  readonly firmwareRevision: string;
  readonly applicationSoftwareVersion: string;
  readonly description: string;
  readonly location: string;
  readonly maxApdu = MAX_APDU;
  readonly apduTimeoutMs: number;
  readonly apduRetries: number;
  readonly servicesSupported: number[];
  readonly objectTypesSupported: number[];
  readonly databaseRevision: number;
  readonly objects: BacnetObject[];
  readonly notificationPriorities: [number, number, number];
  readonly ackRequired: [boolean, boolean, boolean];
  readonly recipients: Recipient[];
  readonly log: BacnetLogger;
  /** Hostile or broken input: one line per kind per minute, every case counted. */
  readonly problems: RateLimitedLog;
  readonly cov: CovSubscriptions;
  readonly events: EventReporting;
  readonly dcc: CommunicationControl;
  readonly priorityArrays = new Map<number, (boolean | null)[]>();

  private readonly clock: Clock;
  private readonly byKey = new Map<string, BacnetObject>();
  private readonly byName = new Map<string, BacnetObject>();
  private readonly segmented: SegmentedResponses;
  private readonly requests: ConfirmedRequests;
  private readonly foreign: ForeignDeviceRegistration | null;
  private readonly scratch = Buffer.allocUnsafe(ENCODE_LIMIT + 64 * 1024);
  private readonly sendBuf = Buffer.allocUnsafe(MAX_APDU + 64);
  private readonly unsubscribe: () => void;
  private tickTimer: ClockTimer | null = null;
  private evaluateScheduled = false;
  private closed = false;

  constructor(readonly site: Site, readonly options: BacnetDeviceOptions, private readonly network: BacnetNetwork) {
    const snap = site.snapshot();
    this.clock = options.clock ?? systemClock();
    this.log = options.logger ?? stderrLogger;
    this.problems = (options.problems ?? new ProblemLog()).source('bacnet', this.log);
    this.deviceInstance = options.deviceInstance ?? 260001;
    this.deviceName = options.deviceName || snap.info.name;
    this.vendorName = options.vendorName ?? 'Kirchhoff project';
    this.vendorId = options.vendorId ?? 0;
    this.modelName = options.modelName ?? 'Kirchhoff battery management gateway';
    this.firmwareRevision = options.firmwareRevision ?? '0.1.0';
    this.applicationSoftwareVersion = options.applicationSoftwareVersion ?? '@kirchhoff/bacnet 0.1.0';
    this.description = options.description ?? 'Battery monitoring: strings, modules, UPS, sensors and I/O';
    this.location = options.location ?? snap.info.location;
    this.apduTimeoutMs = options.apduTimeoutMs ?? 3000;
    this.apduRetries = options.apduRetries ?? 3;
    this.notificationPriorities = [...(options.notificationPriorities ?? [64, 64, 128])] as [number, number, number];
    this.ackRequired = [...(options.ackRequired ?? [true, false, false])] as [boolean, boolean, boolean];
    this.recipients = (options.recipients ?? []).map((r) => {
      const hp = withDefaultPort(r.address);
      return { mac: ipMac(hp), processId: r.processId ?? 1, confirmed: r.confirmed ?? false, transitions: r.transitions ?? [true, true, true], peer: peerAt(network, hp) };
    });
    this.objects = [deviceObject(() => this), ...buildPointObjects(snap), notificationClassObject()];
    for (const o of this.objects) {
      this.byKey.set(objectKey(o.id), o);
      this.byName.set(o.name, o);
    }
    for (const r of snap.relays) this.priorityArrays.set(r.id, new Array<boolean | null>(16).fill(null));
    this.databaseRevision = hashObjects(this.objects);
    this.servicesSupported = serviceBits(servicesSupported(options));
    this.objectTypesSupported = [...new Set(this.objects.map((o) => o.id.type))].sort((a, b) => a - b);
    this.dcc = new CommunicationControl(this.clock, this.log);
    this.cov = new CovSubscriptions(() => this);
    this.events = new EventReporting(() => this, this.objects, snap, this.recipients, this.ackRequired);
    const send = (d: Buffer, peer: Peer) => this.send(d, peer);
    this.segmented = new SegmentedResponses({ clock: this.clock, timeoutMs: this.apduTimeoutMs, retries: this.apduRetries, send });
    this.requests = new ConfirmedRequests({
      clock: this.clock, timeoutMs: this.apduTimeoutMs, retries: this.apduRetries, send,
      onNoAck: (peer) => this.problems.warn('no-ack', `${peer.key} did not acknowledge a confirmed notification after ${this.apduRetries} retries`),
    });
    this.foreign = options.bbmd ? new ForeignDeviceRegistration(peerAt(network, withDefaultPort(options.bbmd.address)), options.bbmd.ttlS ?? 300, this.clock, this.log, this.problems) : null;
    this.unsubscribe = site.subscribe((e) => {
      if (e.type === 'values' || e.type === 'thresholds') this.scheduleEvaluate();
      else if (e.type === 'alarm' && !this.closed) this.onAlarm(e.action, e.alarm);
    });
  }

  get objectList(): { type: number; instance: number; name: string }[] {
    return this.objects.map((o) => ({ type: o.id.type, instance: o.id.instance, name: o.name }));
  }

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.cov.expire(this.site.now());
      this.evaluate();
      this.tickTimer = this.clock.setTimeout(tick, TICK_MS);
    };
    this.tickTimer = this.clock.setTimeout(tick, TICK_MS);
    this.foreign?.start();
    this.evaluate();
    if (this.options.announce ?? true) this.announce();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.clock.clearTimeout(this.tickTimer);
    this.dcc.close();
    this.foreign?.close();
    this.segmented.close();
    this.requests.close();
  }

  announce(): void {
    if (this.dcc.state !== 'enable' || this.closed) return;
    sendIAm(this, null);
  }

  // ---- DeviceView -------------------------------------------------------------------------

  eventInfo(object: BacnetObject): EventInfo | undefined {
    return this.events.info(object);
  }

  priorityArray(relay: number): readonly (boolean | null)[] {
    return this.priorityArrays.get(relay) ?? [];
  }

  covSubscriptions(): readonly CovSubscriptionView[] {
    return this.cov.views(this.site.now());
  }

  now(): number {
    return this.site.now();
  }

  // ---- receive path -----------------------------------------------------------------------

  handle(d: Buffer, source: UdpEndpoint, reply?: (datagram: Buffer) => void): void {
    const key = `${source.address}:${source.port}`;
    try {
      this.receive(d, { host: source.address, port: source.port, dest: null, key, send: reply ?? ((x) => this.network.send(x, source)) });
    } catch (e) {
      this.problems.warn('internal', `request from ${key} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private receive(d: Buffer, from: Peer): void {
    // A request can arrive before the coalesced evaluation of the last change: answer from the present.
    if (this.evaluateScheduled) this.evaluate();
    const r = decodeFrame(d);
    if (!r.ok) {
      if (r.bvlcFunction === BVLC.RESULT) return this.foreign?.onResult(d, from);
      if (r.bvlcFunction !== undefined && BVLC_NAK[r.bvlcFunction] !== undefined) this.send(bvlcResult(BVLC_NAK[r.bvlcFunction]), from);
      if (r.rejectInvokeId !== undefined) this.sendApdu(from, { kind: 'reject', invokeId: r.rejectInvokeId, reason: RejectReason.MISSING_REQUIRED_PARAMETER });
      this.problems.warn('malformed', `dropped a datagram from ${from.key}: ${r.drop}`);
      return;
    }
    const f = r.frame;
    if (f.remoteDestination) return; // for another network: this device is not a router
    if (f.originator !== null && !this.foreign?.isBbmd(from)) {
      // Only the BBMD this device registered with forwards to it (J.5); from anyone else a
      // Forwarded-NPDU would make this device answer (and amplify towards) a third party.
      this.problems.warn('forwarded-not-bbmd', `dropped a Forwarded-NPDU from ${from.key}: not the configured BBMD (bacnet.bbmd)`);
      return;
    }
    const origin = f.originator ?? from.key;
    const [host, port] = origin.split(':');
    if (!isUnicastPeer(host, Number(port))) {
      this.problems.warn('forwarded-bad-originator', `dropped a Forwarded-NPDU from ${from.key}: originator ${origin} is not a unicast B/IP address`);
      return;
    }
    // A forwarded request is answered directly to its originator (J.4.5).
    const send = f.originator === null ? from.send : peerAt(this.network, origin).send;
    const peer: Peer = { host, port: Number(port), dest: f.source, key: f.source ? `${origin}/${f.source.net}:${f.source.adr.toString('hex')}` : origin, send };
    const a = f.apdu;
    switch (a.kind) {
      case 'confirmed':
        if (this.dcc.state === 'disable' && a.service !== CONFIRMED.DEVICE_COMMUNICATION_CONTROL && a.service !== CONFIRMED.REINITIALIZE_DEVICE) return;
        if (a.segmented) return this.sendApdu(peer, { kind: 'abort', invokeId: a.invokeId, reason: AbortReason.SEGMENTATION_NOT_SUPPORTED, server: true });
        if (this.segmented.has(peer, a.invokeId)) return; // a retry while the segmented answer is still in flight
        return this.confirmed(new TagReader(d, f.bodyOffset, d.length), peer, a);
      case 'unconfirmed':
        if (this.dcc.state === 'disable') return;
        return this.unconfirmed(new TagReader(d, f.bodyOffset, d.length), peer, a.service);
      case 'segment-ack': {
        if (a.server) return;
        const abort = this.segmented.onSegmentAck(peer, a.invokeId, a.sequenceNumber, a.windowSize);
        if (abort !== null) this.sendApdu(peer, { kind: 'abort', invokeId: a.invokeId, reason: abort, server: true });
        return;
      }
      case 'simple-ack':
      case 'complex-ack':
        return this.requests.settle(a.invokeId, peer, true);
      case 'error':
      case 'reject':
      case 'abort':
        if (a.kind === 'abort' && !a.server && this.segmented.abort(peer, a.invokeId)) return;
        return this.requests.settle(a.invokeId, peer, false);
    }
  }

  private confirmed(reader: TagReader, peer: Peer, a: Extract<Apdu, { kind: 'confirmed' }>): void {
    const respond = (reply: Reply) => this.respond(peer, a, reply);
    // A request that does not decode is rejected whether its handler is synchronous or not
    // (WriteProperty is async: its decode errors arrive as a rejected promise).
    const refused = (e: unknown): boolean => {
      if (e instanceof DecodeError) {
        this.problems.warn('reject', `rejected service ${a.service} from ${peer.key}: ${e.message}`);
        respond({ kind: 'reject', reason: e.reason });
        return true;
      }
      if (e instanceof TooLong) {
        this.sendApdu(peer, { kind: 'abort', invokeId: a.invokeId, reason: AbortReason.APDU_TOO_LONG, server: true });
        return true;
      }
      return false;
    };
    const handler = a.service === CONFIRMED.DEVICE_COMMUNICATION_CONTROL && this.options.dccPassword ? deviceCommunicationControl : CONFIRMED_HANDLERS[a.service];
    if (!handler) return respond({ kind: 'reject', reason: RejectReason.UNRECOGNIZED_SERVICE });
    let reply: Reply | Promise<Reply>;
    try {
      reply = handler(this, reader, peer);
    } catch (e) {
      if (refused(e)) return;
      throw e;
    }
    if (reply instanceof Promise) {
      reply.then(respond, (e) => {
        if (refused(e)) return;
        this.problems.warn('service-failed', `service ${a.service} from ${peer.key} failed: ${(e as Error).message}`);
        this.sendApdu(peer, { kind: 'abort', invokeId: a.invokeId, reason: AbortReason.OTHER, server: true });
      });
    } else respond(reply);
  }

  private unconfirmed(reader: TagReader, peer: Peer, service: number): void {
    const handler = UNCONFIRMED_HANDLERS[service];
    if (!handler) return;
    try {
      handler(this, reader, peer);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.problems.warn('unconfirmed-malformed', `ignored malformed unconfirmed service ${service} from ${peer.key}: ${e.message}`);
    }
  }

  // ---- replies ----------------------------------------------------------------------------

  private respond(peer: Peer, a: Extract<Apdu, { kind: 'confirmed' }>, reply: Reply): void {
    const { invokeId, service } = a;
    switch (reply.kind) {
      case 'simple':
        return this.sendApdu(peer, { kind: 'simple-ack', invokeId, service });
      case 'reject':
        return this.sendApdu(peer, { kind: 'reject', invokeId, reason: reply.reason });
      case 'error':
        return this.sendApdu(peer, { kind: 'error', invokeId, service }, (b) => {
          asn1.encodeApplicationEnumerated(b, reply.error.errorClass);
          asn1.encodeApplicationEnumerated(b, reply.error.errorCode);
        });
      case 'complex': {
        let body: Buffer;
        try {
          body = this.scratchEncode(reply.encode);
        } catch (e) {
          if (e instanceof TooLong || e instanceof RangeError) return this.sendApdu(peer, { kind: 'abort', invokeId, reason: AbortReason.APDU_TOO_LONG, server: true });
          throw e;
        }
        const maxApdu = Math.min(a.maxApdu, MAX_APDU);
        if (body.length + 3 <= maxApdu) {
          return this.sendApdu(peer, { kind: 'complex-ack', invokeId, service, segmented: false, moreFollows: false, sequenceNumber: 0, proposedWindowSize: 0 }, body);
        }
        if (!a.segmentedResponseAccepted) return this.sendApdu(peer, { kind: 'abort', invokeId, reason: AbortReason.SEGMENTATION_NOT_SUPPORTED, server: true });
        const started = this.segmented.start(peer, invokeId, service, body, maxApdu, a.maxSegments);
        if (!started.ok) this.sendApdu(peer, { kind: 'abort', invokeId, reason: started.abort, server: true });
        return;
      }
    }
  }

  private sendApdu(peer: Peer, apdu: Apdu, body?: Buffer | ((b: EncodeBuffer) => void)): void {
    this.send(encodeFrame(this.sendBuf, BVLC.ORIGINAL_UNICAST, { dest: peer.dest }, apdu, body), peer);
  }

  sendUnconfirmed(peer: Peer | null, service: number, encode: (b: EncodeBuffer) => void): void {
    let fn: number = BVLC.ORIGINAL_UNICAST;
    let to = peer;
    if (!to) {
      // A foreign device broadcasts through its BBMD (J.5.3).
      if (this.foreign?.registered) {
        fn = BVLC.DISTRIBUTE_BROADCAST;
        to = this.foreign.bbmd;
      } else {
        fn = BVLC.ORIGINAL_BROADCAST;
        to = peerAt(this.network, `${this.options.broadcastAddress ?? '255.255.255.255'}:${this.network.port ?? this.options.port ?? 47808}`);
      }
    }
    this.send(encodeFrame(this.sendBuf, fn, { dest: peer?.dest ?? null }, { kind: 'unconfirmed', service }, encode), to);
  }

  sendConfirmed(peer: Peer, service: number, encode: (b: EncodeBuffer) => void): Promise<boolean> {
    return this.requests.send(peer, service, encode);
  }

  private send(d: Buffer, peer: Peer): void {
    if (this.closed) return;
    try {
      // A socket may queue the datagram: pass a copy so the shared send buffer can be reused.
      peer.send(Buffer.from(d));
    } catch (e) {
      // dgram throws synchronously on a bad port or address; no peer may take the device down.
      this.problems.warn('send', `send to ${peer.key} failed: ${(e as Error).message}`);
    }
  }

  later(what: string, fn: () => void): void {
    setImmediate(() => {
      try {
        fn();
      } catch (e) {
        this.problems.warn('internal', `${what} failed: ${(e as Error).stack ?? String(e)}`);
      }
    });
  }

  scratchEncode(encode: (b: EncodeBuffer) => void): Buffer {
    const eb = { buffer: this.scratch, offset: 0 };
    encode(eb);
    if (eb.offset > ENCODE_LIMIT) throw new TooLong();
    return Buffer.from(this.scratch.subarray(0, eb.offset));
  }

  // ---- COV and intrinsic reporting --------------------------------------------------------

  scheduleEvaluate(): void {
    if (this.evaluateScheduled || this.closed) return;
    this.evaluateScheduled = true;
    this.later('COV and event evaluation', () => {
      this.evaluateScheduled = false;
      if (!this.closed) this.evaluate();
    });
  }

  private evaluate(): void {
    const ctx = this.context();
    this.events.evaluate(this.objects, ctx, this.site.now());
    this.cov.evaluate(ctx);
  }

  private onAlarm(action: 'raised' | 'cleared' | 'acknowledged', alarm: Alarm): void {
    // The rest (COV of the alarm objects included) follows in the coalesced evaluation.
    if (this.events.onAlarm(action, alarm, this.site.now())) this.scheduleEvaluate();
  }

  // ---- objects ----------------------------------------------------------------------------

  context(): ReadContext {
    return { snap: this.site.snapshot() as SiteSnapshot, device: this };
  }

  findObject(id: ObjectId): BacnetObject | undefined {
    // 4194303 is the wildcard Device instance (12.11.1).
    if (id.type === OT.DEVICE && id.instance === 4194303) return this.objects[0];
    return this.byKey.get(objectKey(id));
  }

  findObjectByName(name: string): BacnetObject | undefined {
    return this.byName.get(name);
  }
}

/** Database_Revision: a stable hash of the object list, so a BMS sees when the layout changed. */
function hashObjects(objects: readonly BacnetObject[]): number {
  let h = 2166136261;
  for (const o of objects) {
    const s = `${o.id.type}:${o.id.instance}:${o.name};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  }
  return h % 1_000_000;
}
