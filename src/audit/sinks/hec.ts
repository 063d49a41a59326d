// PLACEHOLDER until the HEC sink lands (this session): see sinks.ts for the contract.
import type { HttpSinkConfig } from '../../config/types.js';
import type { AuditSink, SinkDeps } from '../sinks.js';

export function openHecSink(_config: HttpSinkConfig, _deps: SinkDeps): AuditSink {
  throw new Error('the http sink is not built yet');
}
