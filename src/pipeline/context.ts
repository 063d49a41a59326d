/**
 * The typed per-request context. Each stage fills in the part of it that names its lifecycle state;
 * nothing is stored in a free-form bag. The transport creates the context; the runner turns it into
 * exactly one Outcome, which audit and telemetry observe.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActorType } from '../config/types.js';
import type { LaunchAttestation } from '../identity/launch-attestation.js';
import type { Decision, Scheme } from '../policy/types.js';
import type { ReasonCode } from '../errors/catalogue.js';
import type { CredentialSeen } from '../tokens/credential-detect.js';
import type { TunnelMemo } from './tunnel-memo.js';

export interface Identity {
  /** Configured tool name, or null for anonymous use (only possible with no tools configured). */
  readonly tool: string | null;
  readonly actor: { readonly principal: string; readonly type: ActorType; readonly source: 'config' | 'none' };
  /** How the tool's server was launched, as `mcp-egress wrap` attested it (evidence only, never decides). */
  readonly launch?: LaunchAttestation;
}

/** What a CONNECT established: the identity and authority every request inside the tunnel inherits. */
export interface TunnelInfo {
  readonly id: string;
  readonly host: string; // normalized CONNECT host
  readonly port: number;
  readonly scheme: Scheme; // https when the tunnel carries TLS, http when it carries plain HTTP
  readonly identity: Identity;
  /**
   * What the tunnel's requests share under one runtime snapshot (authority checks, policy scope,
   * destination, clean headers), filled in by the stages; see tunnel-memo.ts. Never read it directly.
   */
  memo?: TunnelMemo;
}

export interface Target {
  readonly scheme: Scheme;
  readonly host: string; // normalized
  readonly port: number;
  /**
   * Normalized path, what the policy judges; the raw path when it cannot be read one unambiguous way
   * (the policy then denies it under any rule that restricts paths: `path_ambiguous`).
   */
  readonly path: string;
  readonly pathAmbiguous: boolean;
  /** Raw query without `?` (redacted only when it goes into the audit event). */
  readonly query: string;
  /**
   * The origin-form request-target exactly as the client sent it: what goes upstream. Normalizing it
   * (e.g. `%3B` -> `;`) could change its meaning to the backend; the decision was made on an
   * equivalent reading of it.
   */
  readonly requestTarget: string;
}

export interface Destination {
  readonly address: string;
  readonly port: number;
  readonly via: 'resolve_map' | 'literal' | 'dns';
}

export interface Timings {
  readonly startedAt: Date;
  readonly startNs: bigint;
  upstreamStartNs?: bigint;
  upstreamHeadersNs?: bigint;
  endNs?: bigint;
}

export interface Refusal {
  readonly reason: ReasonCode;
  /** Internal detail for the audit log only (library error text, addresses); never sent to a client. */
  readonly detail?: string;
}

export interface ResponseRecord {
  status: number;
  bytes: number;
}

/** What scrubbing did about one secret: its replacement went out, or the request was (or would be) refused. */
export type ScrubAction = 'redacted' | 'blocked' | 'would_block';

/** How a body was treated: scanned, passed unscanned for a stated reason, or absent. */
export type BodyHandling = 'none' | 'scanned' | 'binary' | 'undecodable' | 'too_large' | 'off';

/** One line of the audit's scrub list: kind, rule and location with a count — never the value. */
export interface ScrubFindingRecord {
  readonly action: ScrubAction;
  readonly kind: string;
  readonly ruleId: string;
  /** `request.header.<name>`, `request.query.<param>`, `request.path`, `request.body`, `response.body`, `response.websocket`, `request.websocket`. */
  readonly location: string;
  count: number;
}

export interface ScrubRecord {
  requestBody: BodyHandling;
  responseBody: BodyHandling;
  readonly findings: ScrubFindingRecord[];
}

/** What the exfiltration guard read or rewrote: the forwarder sends these instead of the client's own. */
export interface UpstreamRewrite {
  /** End-to-end headers to send (redacted); null: the client's. */
  readonly rawHeaders: readonly string[] | null;
  /** Origin-form target to send (redacted query or path); null: the client's. */
  readonly requestTarget: string | null;
  /** Body bytes already read from the client (possibly redacted); `complete` false: the rest still streams. */
  readonly body: { readonly bytes: Buffer; readonly complete: boolean } | null;
}

/** A redactor for one stream of bytes (a body, a WebSocket message): settled output per chunk, the rest at the end. */
export interface StreamScrubber {
  push(chunk: Buffer): Buffer[];
  end(): Buffer[];
}

/**
 * How the transport scrubs what flows back to the tool (set by the response-scrub stage; absent: relay
 * untouched). Redactors record their findings into the context themselves.
 */
export interface ResponseScrubPlan {
  /** Redaction of what comes back (null: `scrub.responses: off`). */
  readonly responses: {
    readonly undecodable: 'pass' | 'block';
    /** A fresh redactor for a response body (JSON-escaped and percent-encoded forms included). */
    createBodyRedactor(): StreamScrubber;
    /** A fresh redactor for one WebSocket text message from the server. */
    createMessageRedactor(): StreamScrubber;
  } | null;
  /** Client-to-server WebSocket text: scanned for exfiltration (null: not scanned). */
  readonly clientMessages: {
    readonly action: 'block' | 'redact' | 'report';
    createRedactor(onSecret: () => void): StreamScrubber;
  } | null;
}

export interface RequestContext {
  readonly requestId: string;
  readonly kind: 'request' | 'connect';
  readonly client: { readonly address: string; readonly port: number };
  readonly tunnel: TunnelInfo | null;
  readonly method: string;
  /** Request-target as received (absolute-form, origin-form inside a tunnel, or authority for CONNECT). */
  readonly rawTarget: string;
  readonly timings: Timings;
  /** Transport handles; absent for refused CONNECTs which have no http.ServerResponse. */
  readonly req: IncomingMessage;
  readonly res: ServerResponse | null;
  /** For a WebSocket upgrade: the bytes that followed the request head (the socket is `req.socket`). */
  readonly upgradeHead: Buffer | null;

  identity?: Identity;
  target?: Target;
  decision?: Decision;
  destination?: Destination;
  credentials: CredentialSeen[];
  requestBytes: number;
  scrub?: ScrubRecord;
  rewrite?: UpstreamRewrite;
  responseScrub?: ResponseScrubPlan;
  response?: ResponseRecord;
  refusal?: Refusal;
}

/** What every request ends in. Built once, in the runner's `finally`, and handed to the observers. */
export interface Outcome {
  readonly context: Readonly<RequestContext>;
  readonly durationMs: number;
  readonly upstreamMs: number | null;
  /** Final action after errors: a refused/failed request is `deny` or `error`, whatever the policy said. */
  readonly result: 'forwarded' | 'refused' | 'failed';
}

export type OutcomeObserver = (outcome: Outcome) => void;
