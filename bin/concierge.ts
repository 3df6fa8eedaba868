#!/usr/bin/env node
/**
 * Entry point of `cdk synth|deploy -c env=<name>`: one stack per tenant environment.
 */
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';

try {
  buildApp();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
