/** The product issue's example config, verbatim in shape, pointed at a test backend. */
export const READER_SECRET = 'reader-Secr3t-9f8e7d6c5b4a';
export const CI_BOT_SECRET = 'cibot-Secr3t-0a1b2c3d4e5f';

export function exampleConfig(backendPort: number, caCert: string, extra = ''): string {
  return `
mode: enforce
upstream:
  ca: ${caCert}
  resolve:
    api.example.test:443: 127.0.0.1:${backendPort}
    other.example.test:443: 127.0.0.1:${backendPort}
tools:
  reader:
    secretEnv: READER_PROXY_SECRET
    actor: { principal: alice@example.com, type: human }
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ["/repos/**"]
  ci-bot:
    secretEnv: CI_BOT_PROXY_SECRET
    actor: { principal: ci, type: automation }
    mode: report
    allow:
      - host: api.example.test
        methods: [GET, POST]
        paths: ["/repos/*/*/issues"]
${extra}`;
}

export const EXAMPLE_ENV = { READER_PROXY_SECRET: READER_SECRET, CI_BOT_PROXY_SECRET: CI_BOT_SECRET };
