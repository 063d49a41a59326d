/**
 * The import boundaries of the architecture (docs: README "Architecture"), checked over the source text:
 * domain folders are pure, only the transport touches sockets and TLS, only the composition root wires
 * concrete parts, and secret-bearing code never reaches for a backtracking RegExp engine on secrets.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const FILES = sourceFiles(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? '');
}

const DOMAIN = ['policy', 'identity', 'tokens', 'scanning', 'destination'];
const OUTER_LAYERS = ['proxy', 'pipeline', 'audit', 'telemetry', 'cli', 'main', 'runtime-builder'];

describe('import boundaries', () => {
  it.each(DOMAIN)('src/%s imports nothing from the transport, pipeline, audit or telemetry', (folder) => {
    const offenders = FILES.filter((f) => f.path.startsWith(`${folder}/`)).flatMap((f) =>
      importsOf(f.text)
        .filter((spec) => OUTER_LAYERS.some((layer) => spec.includes(`/${layer}/`) || spec.endsWith(`/${layer}.js`)))
        .map((spec) => `${f.path} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('domain folders do no network or TLS I/O (only destination resolves names, through an injected lookup)', () => {
    const io = ['node:tls', 'node:http', 'node:https', 'node:dgram', 'http-mitm-proxy', 'undici'];
    const domainFiles = FILES.filter((f) => DOMAIN.some((d) => f.path.startsWith(`${d}/`)));
    const offenders = domainFiles.flatMap((f) =>
      importsOf(f.text).filter((spec) => io.includes(spec)).map((spec) => `${f.path} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
    // node:net only for its pure address parsers.
    const netImports = domainFiles.flatMap((f) => [...f.text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'node:net'/g)].map((m) => m[1]!));
    for (const names of netImports) expect(names.split(',').map((n) => n.trim()).every((n) => /^(isIP|isIPv4|isIPv6)$/.test(n))).toBe(true);
    expect(domainFiles.filter((f) => /from 'node:net'/.test(f.text) && !/import\s*\{[^}]*\}\s*from\s*'node:net'/.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('only src/proxy may import http-mitm-proxy', () => {
    const offenders = FILES.filter((f) => !f.path.startsWith('proxy/') && importsOf(f.text).includes('http-mitm-proxy'));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it('the pipeline never imports the transport (the forwarder is injected through Runtime)', () => {
    const offenders = FILES.filter((f) => f.path.startsWith('pipeline/')).flatMap((f) =>
      importsOf(f.text).filter((spec) => spec.includes('/proxy/')).map((spec) => `${f.path} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no module creates a prom-client metric outside the telemetry catalogue or uses the global registry', () => {
    const offenders = FILES.filter((f) => !f.path.startsWith('telemetry/') && /new (Counter|Gauge|Histogram|Summary)\(/.test(f.text));
    expect(offenders.map((f) => f.path)).toEqual([]);
    expect(FILES.filter((f) => /\bregister\b\s*\.|from 'prom-client'.*\bregister\b/.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('nothing prints with console.* (logs go through the injected logger)', () => {
    expect(FILES.filter((f) => /\bconsole\.(log|error|warn|info|debug)\(/.test(f.text)).map((f) => f.path)).toEqual([]);
  });

  it('source files stay small', () => {
    const large = FILES.filter((f) => f.text.split('\n').length > 320).map((f) => `${f.path}: ${f.text.split('\n').length} lines`);
    expect(large).toEqual([]);
  });
});
