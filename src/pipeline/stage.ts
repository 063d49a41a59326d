/**
 * The stage contract. A stage reads and fills the typed context and either lets the request continue or
 * refuses it with a coded reason. Stages never write to the client; the runner does, once.
 */
import { isReasonCode, type ReasonCode } from '../errors/catalogue.js';
import type { RequestContext, Refusal } from './context.js';
import type { Runtime } from './runtime.js';

export type StageVerdict = { readonly next: true } | { readonly refuse: Refusal };

export interface Stage {
  readonly name: string;
  run(ctx: RequestContext, runtime: Runtime): StageVerdict | Promise<StageVerdict>;
}

export const NEXT: StageVerdict = Object.freeze({ next: true });

export function refuse(reason: Refusal['reason'], detail?: string): StageVerdict {
  return { refuse: detail === undefined ? { reason } : { reason, detail } };
}

/** A policy deny reason as a catalogue code; every deny reason is in the catalogue (a test checks it). */
export function denialCode(reason: string): ReasonCode {
  return isReasonCode(reason) ? reason : 'internal_error';
}
