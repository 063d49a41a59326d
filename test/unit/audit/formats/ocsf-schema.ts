/**
 * A small OCSF validator over the schema files in test/fixtures/ocsf: resolves a class or object
 * through `extends` and its vendored profiles (`$include`), merges each attribute with its dictionary
 * entry, and checks a document field by field: the attribute exists, its JSON type matches the
 * dictionary type, enum values are defined, required attributes and at_least_one constraints hold,
 * nothing deprecated is used. `unmapped` (our extras) is exempt. Returns messages, empty when valid.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

const ROOT = new URL('../../../fixtures/ocsf/', import.meta.url);

interface AttributeDef {
  readonly type?: string;
  readonly is_array?: boolean;
  readonly enum?: Record<string, unknown>;
  readonly requirement?: string;
  readonly '@deprecated'?: unknown;
}
interface SchemaFile {
  readonly name: string;
  readonly uid?: number;
  readonly extends?: string;
  readonly category?: string;
  /** Attribute definitions, plus `$include`: the profile files whose attributes are added. */
  readonly attributes: Record<string, unknown>;
  readonly constraints?: { readonly at_least_one?: readonly string[] };
}
export interface Resolved {
  readonly attributes: Record<string, AttributeDef>;
  readonly atLeastOne: readonly (readonly string[])[];
  readonly category?: string | undefined;
  readonly uid?: number | undefined;
}

const CLASS_FILES: Readonly<Record<string, string>> = {
  base_event: 'events/base_event.json',
  network: 'events/network/network.json',
  http_activity: 'events/network/http_activity.json',
  finding: 'events/findings/finding.json',
  detection_finding: 'events/findings/detection_finding.json',
  application: 'events/application/application.json',
  application_lifecycle: 'events/application/application_lifecycle.json',
};
/** Profiles whose attributes we emit are vendored; the others are included by the classes but unused. */
const VENDORED_PROFILES = new Set(['profiles/host.json', 'profiles/network_proxy.json', 'profiles/security_control.json']);
const UNUSED_PROFILES = new Set(['cloud', 'datetime', 'osint', 'load_balancer', 'trace', 'incident', 'container', 'data_classification'].map((p) => `profiles/${p}.json`));
/** Deprecated after the version we claim (1.3.0): see ocsf-enums.ts. */
const ALLOWED_DEPRECATED = new Set(['user.credential_uid']);

const load = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as T;
export const dictionary = load<{ attributes: Record<string, AttributeDef>; types: { attributes: Record<string, { type?: string; range?: [number, number] }> } }>('dictionary.json');
export const categories = load<{ attributes: Record<string, { uid: number }> }>('categories.json');

function mergeDef(base: AttributeDef | undefined, over: AttributeDef): AttributeDef {
  if (base === undefined) return over;
  const merged = { ...base, ...over };
  return base.enum !== undefined && over.enum !== undefined ? { ...merged, enum: { ...base.enum, ...over.enum } } : merged;
}

function resolveFile(file: SchemaFile, parentOf: (name: string) => Resolved | undefined): Resolved {
  const parent = file.extends === undefined ? undefined : parentOf(file.extends);
  const attributes: Record<string, AttributeDef> = { ...(parent?.attributes ?? {}) };
  for (const include of (file.attributes['$include'] ?? []) as readonly string[]) {
    if (UNUSED_PROFILES.has(include)) continue;
    if (!VENDORED_PROFILES.has(include)) throw new Error(`${file.name} includes ${include}, which is neither vendored nor listed as unused`);
    for (const [name, def] of Object.entries(load<SchemaFile>(include).attributes)) attributes[name] = mergeDef(attributes[name], def as AttributeDef);
  }
  for (const [name, def] of Object.entries(file.attributes)) if (name !== '$include') attributes[name] = mergeDef(attributes[name], def as AttributeDef);
  const own = file.constraints?.at_least_one;
  return {
    attributes,
    // As the OCSF compiler merges: a class's own at_least_one replaces its parent's.
    atLeastOne: own === undefined ? (parent?.atLeastOne ?? []) : [own],
    category: file.category ?? parent?.category,
    uid: file.uid ?? parent?.uid,
  };
}

export function resolveClass(name: string): Resolved {
  const path = CLASS_FILES[name];
  if (path === undefined) throw new Error(`class file not vendored: ${name}`);
  return resolveFile(load<SchemaFile>(path), resolveClass);
}

export function resolveObject(name: string): Resolved {
  return resolveFile(load<SchemaFile>(`objects/${name}.json`), resolveObject);
}

/** The class's category_uid and class_uid, computed as the OCSF compiler does (category * 1000 + uid). */
export function classIds(resolved: Resolved): { category_uid: number; class_uid: number } {
  const category = categories.attributes[resolved.category ?? ''];
  if (category === undefined || resolved.uid === undefined) throw new Error('class without category or uid');
  return { category_uid: category.uid, class_uid: category.uid * 1000 + resolved.uid };
}

function primitiveError(type: string, value: unknown): string | undefined {
  const base = dictionary.types.attributes[type]?.type ?? type;
  if (dictionary.types.attributes[type] === undefined) return `type ${type} not in the dictionary types`;
  if (type === 'ip_t' && (typeof value !== 'string' || isIP(value) === 0)) return `not an IP address: ${String(value)}`;
  const range = dictionary.types.attributes[type]?.range;
  if (range !== undefined && (typeof value !== 'number' || value < range[0] || value > range[1])) return `out of range ${range.join('..')}`;
  const ok: Record<string, (v: unknown) => boolean> = {
    string_t: (v) => typeof v === 'string',
    integer_t: (v) => Number.isInteger(v),
    long_t: (v) => Number.isInteger(v),
    boolean_t: (v) => typeof v === 'boolean',
    json_t: () => true,
  };
  const check = ok[base] ?? ok[type];
  if (check === undefined) return `no JSON check for ${type}`;
  return check(value) ? undefined : `expected ${type}, got ${JSON.stringify(value)}`;
}

function checkValue(def: AttributeDef, value: unknown, path: string, errors: string[]): void {
  if (def.is_array === true) {
    if (!Array.isArray(value)) return void errors.push(`${path}: expected an array`);
    value.forEach((item, index) => checkValue({ ...def, is_array: false }, item, `${path}[${index}]`, errors));
    return;
  }
  const type = def.type ?? '';
  if (def.enum !== undefined && !(String(value) in def.enum)) errors.push(`${path}: ${String(value)} is not in the enum`);
  if (type.endsWith('_t')) {
    const error = primitiveError(type, value);
    if (error !== undefined) errors.push(`${path}: ${error}`);
  } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${path}: expected object ${type}`);
  } else if (type !== 'object') {
    validate(value as Record<string, unknown>, resolveObject(type), path, errors);
  }
}

export function validate(doc: Record<string, unknown>, resolved: Resolved, path: string, errors: string[] = []): string[] {
  for (const [key, value] of Object.entries(doc)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (where === 'unmapped') continue;
    const own = resolved.attributes[key];
    const entry = dictionary.attributes[key];
    if (own === undefined || entry === undefined) {
      errors.push(`${where}: not an attribute of this class/object${entry === undefined ? ' (nor in the dictionary)' : ''}`);
      continue;
    }
    // class_uid and category_uid enums are generated per class (base_event lists only 0): see classUid().
    const def = key === 'class_uid' || key === 'category_uid' ? { type: 'integer_t' } : mergeDef(entry, own);
    const objectPath = `${path.split('.').pop() ?? ''}.${key}`;
    if ((entry['@deprecated'] !== undefined || own['@deprecated'] !== undefined) && !ALLOWED_DEPRECATED.has(objectPath)) {
      errors.push(`${where}: deprecated`);
    }
    checkValue(def, value, where, errors);
  }
  for (const [name, def] of Object.entries(resolved.attributes)) {
    if (def.requirement === 'required' && !(name in doc)) errors.push(`${path || '(event)'}: required ${name} missing`);
  }
  for (const group of resolved.atLeastOne) {
    if (!group.some((name) => name in doc)) errors.push(`${path || '(event)'}: needs one of ${group.join(', ')}`);
  }
  return errors;
}
