import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionDecl, FunctionName } from '../declaration';
import { ConciergeFunction } from './concierge-function';

/** Properties of {@link ConciergeFunctions}. */
export interface ConciergeFunctionsProps {
  /** Every function of the declaration. */
  readonly declarations: Readonly<Record<FunctionName, FunctionDecl>>;
  /** Retention of every function's log group. */
  readonly logRetention: RetentionDays;
  /**
   * Variables every function receives (plain configuration, no permissions).
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Packages a function gets copied beside its bundle instead of inlined (ConciergeFunctionProps.installedModules).
   * @default - none for every function
   */
  readonly installedModulesFor?: (name: FunctionName, decl: FunctionDecl) => readonly string[];
}

/**
 * One {@link ConciergeFunction} per declared function, looked up by its
 * declared name. Grants are applied later, once the resources exist.
 */
export class ConciergeFunctions extends Construct {
  private readonly byName = new Map<FunctionName, ConciergeFunction>();

  constructor(scope: Construct, id: string, props: ConciergeFunctionsProps) {
    super(scope, id);
    for (const [name, decl] of entries(props.declarations)) {
      this.byName.set(
        name,
        new ConciergeFunction(this, pascal(name), {
          entry: decl.entry,
          description: decl.description,
          serviceName: `concierge-${kebab(name)}`,
          memorySize: decl.memoryMb ?? 512,
          timeout: Duration.seconds(decl.timeoutSeconds ?? 10),
          logRetention: props.logRetention,
          environment: props.environment,
          installedModules: props.installedModulesFor?.(name, decl) ?? [],
        }),
      );
    }
  }

  /** The function declared as `name`. */
  get(name: FunctionName): ConciergeFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`Function "${name}" is not declared in lib/declaration.ts`);
    return fn;
  }

  /** Every function with its declared name. */
  all(): ReadonlyArray<readonly [FunctionName, ConciergeFunction]> {
    return [...this.byName.entries()];
  }
}

/** `Object.entries` keeping the key type of a record whose keys are known. */
export function entries<K extends string, V>(record: Readonly<Record<K, V>>): Array<[K, V]> {
  const out: Array<[K, V]> = [];
  for (const key in record) {
    if (Object.hasOwn(record, key)) out.push([key, record[key]]);
  }
  return out;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
