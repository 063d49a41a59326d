/**
 * Writes the editor JSON Schema generated from the zod config schema.
 * Run after changing src/config/schema.ts: `npx tsx scripts/gen-config-schema.ts`
 * (default target schema/mcp-egress.config.schema.json; an optional argument names another file).
 * test/unit/config/json-schema.test.ts fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchemaText } from '../src/config/json-schema.js';

const committed = fileURLToPath(new URL('../schema/mcp-egress.config.schema.json', import.meta.url));
const target = process.argv[2] === undefined ? committed : resolve(process.argv[2]);
writeFileSync(target, configJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
