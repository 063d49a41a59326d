// PLACEHOLDER until the syslog sink lands (this session): see sinks.ts for the contract.
import type { SyslogSinkConfig } from '../../config/types.js';
import type { AuditSink, SinkDeps } from '../sinks.js';

export function openSyslogSink(_config: SyslogSinkConfig, _deps: SinkDeps): AuditSink {
  throw new Error('the syslog sink is not built yet');
}
