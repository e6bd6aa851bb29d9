// bacstack ships no types: the subset the conformance tests use.
declare module 'bacstack' {
  import { EventEmitter } from 'node:events';
  type Callback<T> = (err: Error | null, value: T) => void;
  interface ObjectId { type: number; instance: number }
  export interface BacstackValue { type: number; value: unknown; encoding?: number }
  export interface ReadResult { objectId: ObjectId; property: { id: number; index: number }; values: BacstackValue[] }
  export interface RpmResult { values: { objectId: ObjectId; values: { id: number; index: number; value: BacstackValue[] }[] }[] }
  interface Options { maxSegments?: number; maxApdu?: number; arrayIndex?: number; invokeId?: number; priority?: number }
  class Client extends EventEmitter {
    constructor(options?: { port?: number; interface?: string; broadcastAddress?: string; apduTimeout?: number });
    whoIs(options?: { lowLimit?: number; highLimit?: number; address?: string }): void;
    readProperty(address: string, objectId: ObjectId, propertyId: number, options: Options, next: Callback<ReadResult>): void;
    readPropertyMultiple(address: string, props: { objectId: ObjectId; properties: { id: number; index?: number }[] }[], options: Options, next: Callback<RpmResult>): void;
    writeProperty(address: string, objectId: ObjectId, propertyId: number, values: { type: number; value: unknown }[], options: Options, next: (err: Error | null) => void): void;
    subscribeCOV(address: string, objectId: ObjectId, subscribeId: number, cancel: boolean, confirmed: boolean, lifetime: number, options: Options, next: (err: Error | null) => void): void;
    deviceCommunicationControl(address: string, timeDuration: number, enableDisable: number, options: Options & { password?: string }, next: (err: Error | null) => void): void;
    getEventInformation(address: string, objectId: ObjectId | null, options: Options, next: Callback<unknown>): void;
    acknowledgeAlarm(address: string, objectId: ObjectId, eventState: number, ackText: string, evTimeStamp: unknown, ackTimeStamp: unknown, options: Options, next: (err: Error | null) => void): void;
    simpleAckResponse(receiver: string, service: number, invokeId: number): void;
    close(): void;
  }
  export = Client;
}
