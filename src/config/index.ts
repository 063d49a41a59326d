/** The config module's public surface: load, check, and describe mcp-egress configuration. */
export type { ActorType, AuditSinkConfig, EgressConfig, HostPort, ToolConfig } from './types.js';
export type { ConfigIssue } from './errors.js';
export { ConfigError, formatIssue } from './errors.js';
export type { Environment } from './environment.js';
export type { ParseOptions } from './load.js';
export { loadConfigFile, loadEmbeddedDefault, parseConfigText } from './load.js';
export type { CheckResult } from './check.js';
export { checkConfig } from './check.js';
export { configJsonSchema, configJsonSchemaText } from './json-schema.js';
export { DEFAULTS, MIN_SECRET_LENGTH } from './default.js';
