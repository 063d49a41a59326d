// PLACEHOLDER until the ecs mapper lands (this session): see formats/index.ts for the contract.
import type { AuditRecord, ChainRef, FormatContext } from './index.js';

export function toEcs(_record: AuditRecord, _chain: ChainRef, _context: FormatContext): Record<string, unknown> {
  throw new Error('the ecs format is not built yet');
}
