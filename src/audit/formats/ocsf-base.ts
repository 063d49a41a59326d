/**
 * What every OCSF document we write has: classification (class, category, activity, type_uid), time,
 * severity, metadata (product, schema version, uid, sequence = chain seq) and our extras under
 * `unmapped.mcp_egress`, which always holds seq and prev_hash.
 */
import type { ChainRef, FormatContext } from './index.js';
import { OCSF_VERSION, type Coded, type OcsfClass } from './ocsf-enums.js';
import { compact, EXTRAS_KEY, product, type Json } from './shared.js';

export const LOG_NAME = 'mcp-egress.audit';

export function classification(cls: OcsfClass, activity: Coded): Json {
  return {
    class_uid: cls.class_uid,
    class_name: cls.class_name,
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    activity_id: activity.id,
    activity_name: activity.caption,
    // OCSF defines it so: one number names class and activity together.
    type_uid: cls.class_uid * 100 + activity.id,
    type_name: `${cls.class_name}: ${activity.caption}`,
  };
}

export interface MetadataParts {
  readonly uid?: string;
  readonly correlationUid?: string | null;
  /** The OCSF profiles whose attributes the document uses (consumers validate against them). */
  readonly profiles?: readonly string[];
}

export function metadata(context: FormatContext, chain: ChainRef, parts: MetadataParts): Json {
  return compact({
    product: product(context),
    version: OCSF_VERSION,
    uid: parts.uid,
    correlation_uid: parts.correlationUid,
    log_name: LOG_NAME,
    sequence: chain.seq,
    profiles: parts.profiles === undefined ? undefined : [...parts.profiles],
  });
}

export function severity(coded: Coded): Json {
  return { severity_id: coded.id, severity: coded.caption };
}

export function status(coded: Coded): Json {
  return { status_id: coded.id, status: coded.caption };
}

export function unmapped(extras: Json): Json {
  return { [EXTRAS_KEY]: extras };
}
