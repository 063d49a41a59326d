/**
 * Deep freezing for the loaded config. The config is shared by every request; freezing turns an accidental
 * write (a stage "adjusting" a tool's rules) into an immediate TypeError instead of a policy change.
 */

/**
 * A Map whose mutators throw. It stays `instanceof Map` so consumers can use it as one, and is typed as
 * ReadonlyMap. (Map.prototype.set.call() would still bypass it; freezing is a guard against mistakes, not
 * a sandbox.)
 */
export class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    // The Map constructor would call this.set(), which throws here; add entries through super instead.
    super();
    for (const [key, value] of entries) super.set(key, value);
    Object.freeze(this);
  }

  override set(): never {
    throw new TypeError('configuration maps are read-only');
  }

  override delete(): never {
    throw new TypeError('configuration maps are read-only');
  }

  override clear(): never {
    throw new TypeError('configuration maps are read-only');
  }
}

/** A deep copy with plain objects and arrays frozen and every Map replaced by a FrozenMap of frozen values. */
export function deepFrozenCopy<T>(value: T): T {
  return freezeValue(value) as T;
}

function freezeValue(value: unknown): unknown {
  if (value instanceof FrozenMap) return value;
  if (value instanceof Map) {
    return new FrozenMap([...value].map(([key, entry]) => [freezeValue(key), freezeValue(entry)] as const));
  }
  if (Array.isArray(value)) return Object.freeze(value.map(freezeValue));
  if (typeof value === 'object' && value !== null) {
    const copy = Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, freezeValue(entry)]));
    return Object.freeze(copy);
  }
  return value;
}
