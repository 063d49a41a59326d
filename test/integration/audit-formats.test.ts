/**
 * One request, three file sinks in three formats: the native line, the OCSF HTTP Activity and the ECS
 * document describe the same request with the same chain seq, and no format carries a secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy } from '../helpers/proxy.js';

const TOKEN = 'ghp_Q7wE2rT9yU4iO1pA6sD3fG8hJ5kL0zX2cV7b';
const SINKS = `audit:
  sinks:
    - { type: file, path: "{{dir}}/native.jsonl" }
    - { type: file, path: "{{dir}}/ocsf.jsonl", format: ocsf }
    - { type: file, path: "{{dir}}/ecs.jsonl", format: ecs }
`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Doc = Record<string, any>;
const read = (file: string): Doc[] => readFileSync(file, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Doc);

describe('audit formats per sink', () => {
  it('native, OCSF and ECS sinks each get every record, with the same seq', async () => {
    const pki = makeBackendPki();
    const backend = await startBackend({ pki });
    cleanups.push(() => backend.close());
    const proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert, SINKS), { env: EXAMPLE_ENV });
    const reader = { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert };
    expect((await curl('https://api.example.test/repos/a/b?per_page=5', { ...reader, args: ['-H', `Authorization: Bearer ${TOKEN}`] })).status).toBe(200);
    expect((await curl('https://api.example.test/admin', reader)).status).toBe(403);
    await proxy.stop();

    const native = read(join(proxy.dir, 'native.jsonl'));
    const ocsf = read(join(proxy.dir, 'ocsf.jsonl'));
    const ecs = read(join(proxy.dir, 'ecs.jsonl'));
    expect(ocsf.map((doc) => doc.metadata.sequence)).toEqual(native.map((line) => line.seq));
    expect(ecs.map((doc) => doc.event.sequence)).toEqual(native.map((line) => line.seq));

    const requests = native.filter((line) => line.kind === 'request');
    expect(requests.map((line) => line.decision.action)).toEqual(['allow', 'deny']);
    const [allowed, denied] = requests.map((line) => ocsf.find((doc) => doc.metadata.sequence === line.seq)!);
    expect(allowed).toMatchObject({ class_uid: 4002, activity_id: 3, type_uid: 400203, action_id: 1, disposition_id: 1, http_response: { code: 200 }, actor: { app_name: 'reader', user: { name: 'alice@example.com', type_id: 1, credential_uid: requests[0]!.credentials[0].fingerprint } } });
    expect(denied).toMatchObject({ class_uid: 4002, action_id: 2, disposition_id: 2, http_response: { code: 403 } });
    const [ecsAllowed, ecsDenied] = requests.map((line) => ecs.find((doc) => doc.event.sequence === line.seq)!);
    expect(ecsAllowed).toMatchObject({ event: { category: ['network', 'web'], type: ['access', 'allowed'] }, url: { domain: 'api.example.test', path: '/repos/a/b' }, http: { request: { method: 'GET' }, response: { status_code: 200 } }, user: { name: 'alice@example.com' } });
    expect(ecsDenied).toMatchObject({ event: { type: ['access', 'denied'] } });
    for (const file of ['native.jsonl', 'ocsf.jsonl', 'ecs.jsonl']) {
      const text = readFileSync(join(proxy.dir, file), 'utf8');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(READER_SECRET);
    }
  });
});
