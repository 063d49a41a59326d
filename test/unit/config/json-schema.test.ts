/**
 * The editor JSON Schema is generated from the zod schema; the committed copy must match the generator,
 * and the generator script must write exactly that text.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText, DEFAULTS } from '../../../src/config/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const committedPath = join(root, 'schema', 'mcp-egress.config.schema.json');
const scratch = mkdtempSync(join(tmpdir(), 'mcp-egress-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ObjectSchema {
  readonly properties: Record<string, { readonly default?: unknown } & Record<string, unknown>>;
  readonly additionalProperties?: unknown;
}

describe('config JSON Schema', () => {
  it('the committed schema is up to date (if not: npx tsx scripts/gen-config-schema.ts)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(configJsonSchemaText());
  });

  it('the generator script writes exactly the generated text', () => {
    const target = join(scratch, 'out.schema.json');
    execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'gen-config-schema.ts'), target], {
      cwd: root,
      stdio: 'pipe',
    });
    expect(readFileSync(target, 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes the file as written: every top-level key, unknown keys refused, defaults shown', () => {
    const schema = configJsonSchema() as unknown as ObjectSchema;
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['admin', 'audit', 'dataDir', 'listen', 'mode', 'scrub', 'shutdownGraceMs', 'tokens', 'tools', 'upstream'].sort(),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.listen?.default).toBe(DEFAULTS.listen);
    expect(schema.properties.dataDir?.default).toBe(DEFAULTS.dataDir);
    expect(schema.properties.mode?.default).toBe(DEFAULTS.mode);
  });

  it('tools: names by pattern, strict bodies, exactly one secret source', () => {
    const tools = (configJsonSchema() as unknown as ObjectSchema).properties.tools as Record<string, any>;
    expect(tools.propertyNames.pattern).toBe('^[a-z0-9][a-z0-9_.-]{0,63}$');
    expect(tools.additionalProperties.additionalProperties).toBe(false);
    expect(tools.additionalProperties.oneOf).toEqual([{ required: ['secretEnv'] }, { required: ['secretFile'] }]);
  });
});
