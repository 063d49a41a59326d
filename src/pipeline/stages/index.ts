/**
 * THE ordered stage lists. Reading these two arrays tells the whole story of a request; the README's
 * pipeline diagram mirrors them (including each stage's refusal branch).
 *
 *   request:  identify → target → policy → audit-gate → destination → credentials → exfiltration →
 *             response-scrub → forward
 *   CONNECT:  identify → connect-target → connect-policy → audit-gate   (then the tunnel opens)
 *
 * Order matters: identity before policy (the policy is per tool); policy before the SSRF lookup (no DNS
 * for a request we would refuse anyway); audit-gate before anything leaves (fail closed); credentials last
 * before forward, on the headers exactly as they go upstream; the exfiltration guard after them, holding the
 * body only for a request every other stage let through.
 */
import type { Stage } from '../stage.js';
import { auditGateStage } from './audit-gate.js';
import { connectPolicyStage, connectTargetStage } from './connect.js';
import { credentialsStage } from './credentials.js';
import { destinationStage } from './destination.js';
import { exfiltrationStage } from './exfiltration.js';
import { responseScrubStage } from './response-scrub.js';
import { forwardStage } from './forward.js';
import { identifyStage } from './identify.js';
import { policyStage } from './policy.js';
import { targetStage } from './target.js';

export const REQUEST_STAGES: readonly Stage[] = Object.freeze([
  identifyStage,
  targetStage,
  policyStage,
  auditGateStage,
  destinationStage,
  credentialsStage,
  exfiltrationStage,
  responseScrubStage,
  forwardStage,
]);

export const CONNECT_STAGES: readonly Stage[] = Object.freeze([
  identifyStage,
  connectTargetStage,
  connectPolicyStage,
  auditGateStage,
]);
