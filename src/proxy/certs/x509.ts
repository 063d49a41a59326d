/**
 * The single entry to @peculiar/x509: importing it through here guarantees the Reflect metadata
 * polyfill it needs (its algorithm registry uses tsyringe, which refuses to load without
 * `Reflect.getMetadata`) is evaluated first (ES modules evaluate imports in source order).
 */
import 'reflect-metadata';

export * from '@peculiar/x509';
