// The RCCMD listener's options and the events it reports.
import type { Clock, ProblemLog } from '@kirchhoff/core';
import type { RccmdMessage } from '../codec';
import type { RccmdLogger } from '../log';
import type { TlsIdentity } from '../transport';

export interface AllowedSender {
  /** An IP address or CIDR range (`10.0.0.0/24`, `fd00::/8`). */
  readonly address: string;
  /** The sender id it signs with (this project's format); absent = any id from this address. */
  readonly id?: string;
  /** HMAC key shared with this sender; its messages in this project's format must carry a valid mac. */
  readonly key?: string | Buffer;
}

export interface ListenerActions {
  /** Shell command run on an accepted shutdown (e.g. `systemctl poweroff`). */
  readonly shutdown?: string;
  /** Commands an execute may name: name -> shell command. Anything else is refused. */
  readonly execute?: Readonly<Record<string, string>>;
  /** Shell command run for each accepted message, with the text in $RCCMD_TEXT (e.g. `wall "$RCCMD_TEXT"`). */
  readonly message?: string;
}

export interface ListenerOptions {
  /** Id in this listener's ACK/NAK answers. */
  readonly id?: string;
  readonly udp?: { readonly host?: string; readonly port: number } | null;
  readonly tcp?: { readonly host?: string; readonly port: number } | null;
  /** TLS 1.3 with client certificates signed by `ca` (mutual authentication). */
  readonly tls?: ({ readonly host?: string; readonly port: number } & TlsIdentity) | null;
  /** Messages from anyone else are refused. */
  readonly senders: readonly AllowedSender[];
  /** Accept this project's format without mac (and without TLS) from allowed senders: warned about. */
  readonly allowUnauthenticated?: boolean;
  /** Accept the public RCCMD text message (always unauthenticated; it can only show a text). */
  readonly acceptRccmdMessages?: boolean;
  /** Act on a shutdown or execute only after this many different senders sent it (N of M). */
  readonly redundancy?: number;
  /** How long a sender's vote counts, s. */
  readonly voteWindowS?: number;
  /** A sender not heard from (alive or any message) for this long is reported silent; 0 = no checks. */
  readonly aliveTimeoutS?: number;
  /** Accepted clock difference between sender and listener for signed messages, s. */
  readonly replayWindowS?: number;
  readonly actions?: ListenerActions;
  /** Log what would run instead of running it. */
  readonly dryRun?: boolean;
  readonly clock?: Clock;
  readonly logger?: RccmdLogger;
  /** Counts refused input (for /metrics) and limits its lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
  readonly onEvent?: (event: ListenerEvent) => void;
  /** Runs a shell command (injectable for embedding); default `/bin/sh -c` with the RCCMD_* environment. */
  readonly runCommand?: (command: string, env: Readonly<Record<string, string>>) => Promise<number | null>;
}

export type ListenerAction = 'shutdown' | 'execute' | 'message';
export type ListenerTransport = 'udp' | 'tcp' | 'tls';

export type ListenerEvent =
  | { readonly type: 'accepted'; readonly sender: string; readonly remote: string; readonly transport: ListenerTransport; readonly message: RccmdMessage; readonly authenticated: boolean }
  | { readonly type: 'rejected'; readonly remote: string; readonly transport: ListenerTransport; readonly reason: string }
  | { readonly type: 'vote'; readonly action: ListenerAction; readonly command?: string; readonly sender: string; readonly votes: readonly string[]; readonly required: number }
  | { readonly type: 'action'; readonly action: ListenerAction; readonly command: string | null; readonly dryRun: boolean; readonly senders: readonly string[]; readonly text?: string }
  | { readonly type: 'action-done'; readonly action: ListenerAction; readonly exitCode: number | null }
  | { readonly type: 'sender-silent' | 'sender-alive'; readonly sender: string };

export interface SenderStatus {
  readonly sender: string;
  readonly lastSeenMs: number | null;
  readonly alive: boolean;
}
