/**
 * OCSF identifiers we emit, each checked against the schema files in test/fixtures/ocsf (ocsf.test.ts):
 * classes, activities, and the enums of action, disposition, severity, status and user type.
 */
import type { AuditEvent } from '../event.js';

/**
 * The schema version we claim. Every attribute we emit exists in 1.3.0; the test checks them against
 * newer schema files, where `user.credential_uid` is deprecated (since 1.6.0) but still defined.
 */
export const OCSF_VERSION = '1.3.0';

export interface OcsfClass {
  readonly class_uid: number;
  readonly class_name: string;
  readonly category_uid: number;
  readonly category_name: string;
}

export const HTTP_ACTIVITY: OcsfClass = { class_uid: 4002, class_name: 'HTTP Activity', category_uid: 4, category_name: 'Network Activity' };
export const DETECTION_FINDING: OcsfClass = { class_uid: 2004, class_name: 'Detection Finding', category_uid: 2, category_name: 'Findings' };
export const APPLICATION_LIFECYCLE: OcsfClass = { class_uid: 6002, class_name: 'Application Lifecycle', category_uid: 6, category_name: 'Application Activity' };

export interface Coded {
  readonly id: number;
  readonly caption: string;
}

export const UNKNOWN: Coded = { id: 0, caption: 'Unknown' };
export const OTHER_ID = 99;

/** HTTP Activity activity_id: one per method (http_activity.json); other methods are 99 Other. */
export const HTTP_METHOD_ACTIVITY: Readonly<Record<string, Coded>> = {
  CONNECT: { id: 1, caption: 'Connect' },
  DELETE: { id: 2, caption: 'Delete' },
  GET: { id: 3, caption: 'Get' },
  HEAD: { id: 4, caption: 'Head' },
  OPTIONS: { id: 5, caption: 'Options' },
  POST: { id: 6, caption: 'Post' },
  PUT: { id: 7, caption: 'Put' },
  TRACE: { id: 8, caption: 'Trace' },
  PATCH: { id: 9, caption: 'Patch' },
};

export function methodActivity(method: string): Coded {
  if (method === 'UNKNOWN') return UNKNOWN;
  return HTTP_METHOD_ACTIVITY[method] ?? { id: OTHER_ID, caption: method };
}

export interface Verdict {
  readonly action: Coded;
  readonly disposition: Coded;
  readonly severity: Coded;
}

const ALLOWED: Coded = { id: 1, caption: 'Allowed' };
const INFORMATIONAL: Coded = { id: 1, caption: 'Informational' };
const LOW: Coded = { id: 2, caption: 'Low' };

// Report mode (would_deny) let the request through, so it is Allowed in action and disposition; the
// policy's verdict travels in unmapped.mcp_egress.decision. It is Low rather than Informational so a
// SIEM can find what enforcing the policy would break.
export const VERDICTS: Readonly<Record<AuditEvent['decision']['action'], Verdict>> = {
  allow: { action: ALLOWED, disposition: ALLOWED, severity: INFORMATIONAL },
  would_deny: { action: ALLOWED, disposition: ALLOWED, severity: LOW },
  deny: { action: { id: 2, caption: 'Denied' }, disposition: { id: 2, caption: 'Blocked' }, severity: LOW },
};

export const STATUS_SUCCESS: Coded = { id: 1, caption: 'Success' };
export const STATUS_FAILURE: Coded = { id: 2, caption: 'Failure' };

/** user.type_id: people are 1 User, automation (CI jobs, agents, bots) is 4 Service. */
export function userType(actorType: string): Coded {
  if (actorType === 'human') return { id: 1, caption: 'User' };
  if (actorType === 'automation') return { id: 4, caption: 'Service' };
  return UNKNOWN;
}

/** Detection Finding severity from the alert's: a new token is a lead, a shared or expired one an incident. */
export const ALERT_SEVERITY: Readonly<Record<string, Coded>> = {
  low: LOW,
  medium: { id: 3, caption: 'Medium' },
  high: { id: 4, caption: 'High' },
};

export const FINDING_CREATE: Coded = { id: 1, caption: 'Create' };
export const FINDING_NEW: Coded = { id: 1, caption: 'New' };

/**
 * Application Lifecycle activities for header and checkpoint lines: the header written at start is
 * Start, the checkpoint written at shutdown is Stop; rotation, reopen and periodic checkpoints have no
 * lifecycle activity of their own and are 99 Other, named in activity_name.
 */
export function lifecycleActivity(kind: 'header' | 'checkpoint', reason: string): Coded {
  if (kind === 'header' && reason === 'start') return { id: 3, caption: 'Start' };
  if (kind === 'checkpoint' && reason === 'shutdown') return { id: 4, caption: 'Stop' };
  if (kind === 'header') return { id: OTHER_ID, caption: reason === 'rotation' ? 'Rotate' : 'Reopen' };
  return { id: OTHER_ID, caption: 'Checkpoint' };
}
