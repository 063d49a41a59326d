/**
 * JSON Schema for editors (e.g. yaml-language-server: `# yaml-language-server: $schema=...`), generated
 * from the same zod schema the loader uses. It describes the file as written (zod's input side), so
 * defaults show up and transformed values (addresses, resolve map) appear as the strings users type.
 * Checks that need code (host patterns, globs, secrets on disk) are enforced by the loader only.
 */
import { z } from 'zod';
import { ConfigFileSchema, ToolFileSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigFileSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // The "exactly one secret source" refinement, expressed so editors can flag it too.
      if (zodSchema === ToolFileSchema) jsonSchema.oneOf = [{ required: ['secretEnv'] }, { required: ['secretFile'] }];
    },
  });
  const { $schema, ...rest } = schema;
  return { $schema, title: 'mcp-egress configuration', ...rest };
}

/** The committed file's exact text: stable key order, two-space indent, trailing newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
