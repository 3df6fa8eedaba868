import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import type { FunctionName, StateMachineDecl } from '../declaration';
import { fromRepoRoot } from '../paths';
import { acknowledgeNag } from './nag';

/** Properties of {@link ConciergeWorkflows}. */
export interface ConciergeWorkflowsProps<Name extends string> {
  /** The state machines of the declaration. */
  readonly declarations: Readonly<Record<Name, StateMachineDecl>>;
  /** The function behind each declared function name (for `functionSubstitutions`). */
  readonly functionFor: (name: FunctionName) => IFunction;
  /**
   * Retention of the execution log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** Every `${Name}` placeholder in an ASL text. */
export function aslPlaceholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
}

/**
 * The Step Functions state machines, each from its ASL file with
 * `DefinitionBody.fromFile` and `definitionSubstitutions` (function ARNs and
 * values). Standard workflows, execution logs at level ALL, X-Ray tracing.
 * Synthesis fails when a placeholder has no substitution or a substitution has no placeholder.
 */
export class ConciergeWorkflows<Name extends string> extends Construct {
  private readonly byName = new Map<Name, StateMachine>();
  /** Functions that the state machines invoke (they may not receive the machines' ARNs: that would be a cycle). */
  readonly taskFunctions: ReadonlySet<FunctionName>;

  constructor(scope: Construct, id: string, props: ConciergeWorkflowsProps<Name>) {
    super(scope, id);
    const taskFunctions = new Set<FunctionName>();
    for (const name in props.declarations) {
      if (!Object.hasOwn(props.declarations, name)) continue;
      const decl = props.declarations[name];
      const file = fromRepoRoot(decl.file);
      const placeholders = aslPlaceholders(readFileSync(file, 'utf8'));
      const substitutions: Record<string, string> = { ...decl.valueSubstitutions };
      for (const [placeholder, fnName] of Object.entries(decl.functionSubstitutions)) {
        substitutions[placeholder] = props.functionFor(fnName).functionArn;
        taskFunctions.add(fnName);
      }
      const missing = placeholders.filter((p) => !(p in substitutions));
      const unused = Object.keys(substitutions).filter((s) => !placeholders.includes(s));
      if (missing.length > 0 || unused.length > 0) {
        throw new Error(
          `${decl.file}: placeholders without substitution [${missing.join(', ')}], ` +
            `substitutions without placeholder [${unused.join(', ')}]. Fix the ASL file or the declaration.`,
        );
      }

      const machineId = name.charAt(0).toUpperCase() + name.slice(1);
      const logs = new LogGroup(this, `${machineId}Logs`, { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
      const machine = new StateMachine(this, machineId, {
        comment: decl.description,
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromFile(file),
        definitionSubstitutions: substitutions,
        logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: true },
        tracingEnabled: true,
      });
      // Invoke exactly the substituted functions (unqualified ARNs, as the ASL names them).
      const invoked = [...new Set(Object.values(decl.functionSubstitutions))].map((f) => props.functionFor(f).functionArn);
      if (invoked.length > 0) {
        machine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked }));
      }
      acknowledgeNag(
        machine,
        'AwsSolutions-IAM5[Resource::*]',
        'Execution logging (logs:CreateLogDelivery and friends) and X-Ray tracing actions do not support resource-level permissions.',
      );
      this.byName.set(name, machine);
    }
    this.taskFunctions = taskFunctions;
  }

  /** The state machine declared as `name`. */
  get(name: Name): StateMachine {
    const machine = this.byName.get(name);
    if (!machine) throw new Error(`State machine "${name}" is not declared in lib/declaration.ts`);
    return machine;
  }

  /** Every state machine by declared name. */
  all(): Readonly<Record<string, StateMachine>> {
    return Object.fromEntries(this.byName);
  }
}
