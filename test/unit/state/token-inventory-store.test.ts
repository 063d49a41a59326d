/**
 * The token inventory file: a round trip keeps every record, the file is owner-only and written only when
 * the inventory changed, a corrupt file is moved aside (never fatal, never shown), an unreadable one is
 * refused untouched — and a token that went through the real detection path never reaches the file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditEvent, type AuditEvent } from '../../../src/audit/event.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import {
  createInventoryPersister,
  loadTokenInventory,
  readTokenInventory,
  TOKENS_FILE,
  TOKENS_SCHEMA,
  TokensFileError,
  writeTokenInventory,
} from '../../../src/state/token-inventory-store.js';
import { detectCredentials } from '../../../src/tokens/credential-detect.js';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';
import { createTokenInventory, type TokenInventory } from '../../../src/tokens/inventory.js';
import { httpsTarget, requestContext, toolIdentity } from '../../helpers/context-factory.js';

const root = mkdtempSync(join(tmpdir(), 'mcp-egress-tokens-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dir: string;
let caseNumber = 0;
beforeEach(() => {
  caseNumber += 1;
  dir = join(root, `data-${caseNumber}`);
  mkdirSync(dir, { mode: 0o700 });
});

const NOW = new Date('2026-01-01T00:00:00Z');
const fingerprint = createFingerprinter(Buffer.alloc(32, 5));
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const GHP = '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';
const EXPIRED_JWT = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ sub: 'svc', exp: NOW.getTime() / 1000 - 1 })}.U2lnbmF0dXJlUGFydE9mVGhlVG9rZW4`;

/** A request carrying real-looking tokens, through detection and the audit event, as the proxy builds it. */
function eventWith(headers: Record<string, string>, tool = 'reader'): AuditEvent {
  const ctx = requestContext({ headers: Object.entries(headers) });
  ctx.identity = toolIdentity(tool);
  ctx.target = httpsTarget();
  ctx.credentials = detectCredentials({ headers: ctx.req.headers, query: 'api_key=OpaqueQuerySecret0123456789' }, { scan: () => [], fingerprint, now: NOW });
  return buildAuditEvent(buildOutcome(ctx));
}

function filledInventory(): TokenInventory {
  const inventory = createTokenInventory({ dormantAfterMs: 30 * 86_400_000 });
  inventory.observe(eventWith({ Authorization: `Bearer ${GHP}`, 'X-Api-Key': EXPIRED_JWT }), NOW);
  inventory.observe(eventWith({ Authorization: `Bearer ${GHP}` }, 'ci-bot'), new Date(NOW.getTime() + 1000));
  return inventory;
}

const tokensPath = () => join(dir, TOKENS_FILE);

describe('round trip', () => {
  it('loads what was written, record for record', () => {
    const inventory = filledInventory();
    expect(inventory.records()).toHaveLength(3);
    writeTokenInventory(dir, inventory.records());
    expect(loadTokenInventory(dir)).toEqual(inventory.records());
    expect(JSON.parse(readFileSync(tokensPath(), 'utf8'))).toMatchObject({ schema: TOKENS_SCHEMA });
  });

  it('a missing file is an empty inventory', () => {
    expect(loadTokenInventory(dir)).toEqual([]);
    expect(readTokenInventory(dir)).toEqual([]);
  });

  it('writes the file owner-only (0600) and leaves no temporary file', () => {
    writeTokenInventory(dir, filledInventory().records());
    expect(statSync(tokensPath()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([TOKENS_FILE]);
  });

  it('holds fingerprints and hints, never a token value', () => {
    const inventory = filledInventory();
    writeTokenInventory(dir, inventory.records());
    const text = readFileSync(tokensPath(), 'utf8');
    for (const secret of [GHP, GHP.slice(4, 20), EXPIRED_JWT, EXPIRED_JWT.split('.')[1]!, 'OpaqueQuerySecret0123456789']) expect(text).not.toContain(secret);
    expect(text).toContain(fingerprint(GHP));
    expect(text).toContain('ghp_…QddT');
  });
});

describe('corrupt files are moved aside, never fatal', () => {
  const valid = () => ({ schema: TOKENS_SCHEMA, tokens: filledInventory().records() });
  const cases: { name: string; content: () => string }[] = [
    { name: 'not JSON', content: () => '{"schema": "mcp-egress.tokens/1", "tokens": [' },
    { name: 'empty', content: () => '' },
    { name: 'another schema', content: () => JSON.stringify({ ...valid(), schema: 'mcp-egress.tokens/2' }) },
    { name: 'a negative count', content: () => JSON.stringify({ ...valid(), tokens: [{ ...valid().tokens[0], count: -1 }] }) },
    { name: 'an unknown field', content: () => JSON.stringify({ ...valid(), tokens: [{ ...valid().tokens[0], token: GHP }] }) },
    { name: 'a bad time', content: () => JSON.stringify({ ...valid(), tokens: [{ ...valid().tokens[0], last_seen: 'yesterday' }] }) },
  ];

  it.each(cases)('$name', ({ content }) => {
    const text = content();
    writeFileSync(tokensPath(), text, { mode: 0o600 });
    expect(() => readTokenInventory(dir)).toThrow(TokensFileError);
    expect(existsSync(tokensPath())).toBe(true);

    const messages: string[] = [];
    const records = loadTokenInventory(dir, { now: new Date('2026-02-03T04:05:06.789Z'), onCorrupt: (m) => messages.push(m) });
    expect(records).toEqual([]);
    const aside = `${TOKENS_FILE}.corrupt-20260203T040506789Z`;
    expect(readdirSync(dir)).toEqual([aside]);
    expect(readFileSync(join(dir, aside), 'utf8')).toBe(text);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(aside);
    expect(messages[0]).not.toContain(GHP);
  });

  it('a file that cannot be read is refused and left alone', () => {
    mkdirSync(tokensPath());
    expect(() => loadTokenInventory(dir)).toThrow(expect.objectContaining({ problem: 'unreadable' }));
    expect(statSync(tokensPath()).isDirectory()).toBe(true);
  });
});

describe('createInventoryPersister', () => {
  it('saves on flush only when the inventory changed', () => {
    const inventory = createTokenInventory({ dormantAfterMs: 1000 });
    const persister = createInventoryPersister({ dataDir: dir, inventory });
    persister.flush();
    expect(existsSync(tokensPath())).toBe(false);
    inventory.observe(eventWith({ Authorization: `Bearer ${GHP}` }), NOW);
    persister.flush();
    expect(readTokenInventory(dir)).toEqual(inventory.records());
    rmSync(tokensPath());
    persister.flush();
    expect(existsSync(tokensPath())).toBe(false);
  });

  it('saves on its timer (which never keeps the process alive) and once more on stop', async () => {
    const inventory = createTokenInventory({ dormantAfterMs: 1000 });
    const persister = createInventoryPersister({ dataDir: dir, inventory, intervalMs: 10 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    persister.start();
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore);
    inventory.observe(eventWith({ Authorization: `Bearer ${GHP}` }), NOW);
    for (let i = 0; i < 200 && !existsSync(tokensPath()); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    // Each event also carries the query's api_key: two tokens, then a third.
    expect(readTokenInventory(dir)).toHaveLength(2);
    inventory.observe(eventWith({ Authorization: 'Bearer AnotherOpaqueToken0123456789' }), NOW);
    persister.stop();
    expect(readTokenInventory(dir)).toHaveLength(3);
  });

  it('reports a failed save on stop instead of throwing', () => {
    const inventory = createTokenInventory({ dormantAfterMs: 1000 });
    const errors: unknown[] = [];
    const persister = createInventoryPersister({ dataDir: join(dir, 'missing'), inventory, onError: (e) => errors.push(e) });
    inventory.observe(eventWith({ Authorization: `Bearer ${GHP}` }), NOW);
    expect(() => persister.flush()).toThrow();
    persister.stop();
    expect(errors).toHaveLength(1);
  });
});
