// The JSON-mode topic tree under `<prefix>/<site>/`, and the Sparkplug B topic names.

export interface JsonTopics {
  readonly base: string;
  /** Retained `online` / `offline` (the will). */
  readonly availability: string;
  /** Retained: the active alarms. */
  readonly alarms: string;
  /** Not retained: one message per raise, clear or acknowledgement. */
  readonly alarmEvents: string;
  /** Retained: the threshold set. */
  readonly thresholds: string;
  /** Not retained: the outcome of every command received. */
  readonly commandResult: string;
  entity(id: string): string;
  relaySet(id: number | string): string;
  thresholdSet(key: string): string;
}

export function jsonTopics(prefix: string, siteId: string): JsonTopics {
  const base = `${prefix}/${siteId}`;
  return {
    base,
    availability: `${base}/status`,
    alarms: `${base}/alarms`,
    alarmEvents: `${base}/alarms/event`,
    thresholds: `${base}/thresholds`,
    commandResult: `${base}/command/result`,
    entity: (id) => `${base}/${id}`,
    relaySet: (id) => `${base}/relay/${id}/set`,
    thresholdSet: (key) => `${base}/thresholds/${key}/set`,
  };
}

export type SparkplugMessageType = 'NBIRTH' | 'NDEATH' | 'DBIRTH' | 'DDEATH' | 'NDATA' | 'DDATA' | 'NCMD' | 'DCMD';

export function sparkplugTopic(groupId: string, type: SparkplugMessageType, edgeNodeId: string, deviceId?: string): string {
  return `spBv1.0/${groupId}/${type}/${edgeNodeId}${deviceId ? `/${deviceId}` : ''}`;
}
