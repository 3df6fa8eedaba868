/**
 * `npm run cost -- -c env=<name> --conversations 1000 [--<assumption> <value> ...] [--no-write]`:
 * prints the estimate of test/bench/cost.ts for one tenant environment and merges its figures into
 * bench-results/latest.json. `--help` lists every assumption.
 */
import { ConfigError, resolveTenantEnvironment } from '../../lib/config';
import { DEFAULT_ENVIRONMENT, environments } from '../../lib/environments';
import { assumptionsSchema, costMetrics, estimateCost, formatEstimate, mergeBenchResults, LATEST_RESULTS } from './cost';

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const flags = new Map(Object.keys(assumptionsSchema.shape).map((k) => [kebab(k), k] as const));

/** Thrown for a command line that cannot be understood; the message says what to write instead. */
class UsageError extends Error {}

interface Cli {
  readonly env: string;
  readonly assumptions: Record<string, number>;
  readonly write: boolean;
  readonly help: boolean;
}

function parseArgs(argv: readonly string[]): Cli {
  let env = DEFAULT_ENVIRONMENT;
  const assumptions: Record<string, number> = {};
  let write = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--no-write') write = false;
    else if (arg === '-c' || arg === '--context') {
      const value = argv[++i] ?? '';
      const m = /^env=(.+)$/.exec(value);
      if (!m?.[1]) throw new UsageError(`${arg} takes env=<name>, got "${value}"`);
      env = m[1];
    } else if (arg.startsWith('--')) {
      const [name = '', inline] = arg.slice(2).split('=', 2);
      const key = flags.get(name);
      if (!key) throw new UsageError(`unknown flag --${name}; valid: ${[...flags.keys()].map((f) => `--${f}`).join(', ')}, -c env=<name>, --no-write`);
      const raw = inline ?? argv[++i];
      const value = Number(raw);
      if (raw === undefined || raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} takes a number, got "${raw ?? ''}"`);
      assumptions[key] = value;
    } else throw new UsageError(`unexpected argument "${arg}"`);
  }
  return { env, assumptions, write, help };
}

function main(): number {
  let cli: Cli;
  try {
    cli = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`npm run cost: ${error.message}`);
    return 2;
  }
  if (cli.help) {
    console.log('npm run cost -- -c env=<name> --conversations 1000 [--<assumption> <value> ...] [--no-write]\n\nAssumptions:');
    for (const [flag, key] of flags) console.log(`  --${flag.padEnd(36)} ${assumptionsSchema.shape[key as keyof typeof assumptionsSchema.shape].description ?? ''}`);
    console.log(`\nEnvironments: ${Object.keys(environments).sort().join(', ')}`);
    return 0;
  }
  try {
    const env = resolveTenantEnvironment(cli.env, environments);
    const parsed = assumptionsSchema.safeParse(cli.assumptions);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) console.error(`npm run cost: --${kebab(issue.path.map(String).join('.'))}: ${issue.message}`);
      return 2;
    }
    const estimate = estimateCost(env, cli.assumptions);
    console.log(formatEstimate(estimate));
    if (cli.write) {
      mergeBenchResults(costMetrics(estimate));
      console.log(`\nmerged into ${LATEST_RESULTS}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

process.exitCode = main();
