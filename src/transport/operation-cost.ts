// The limits that depend on an operation's variables, checked as it starts
// executing (validation results are cached per document, so validation cannot
// see them). graphql-armor's cost rule multiplies a selection by a literal
// `first`/`last` only; here `first: $n` and every list an argument receives
// (`nodes(ids: $ids)`, literal or variable) multiply it too, with armor's own
// weights, so the same query costs the same however its sizes are passed.
import {
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  getOperationAST,
  Kind,
  type SelectionNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { badInput } from '../errors.js';
import { MAX_PAGE } from '../schema/args.js';
import { QUERY_TOO_COMPLEX } from './query-limits.js';

// graphql-armor's defaults, which src/transport/query-limits.ts keeps.
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;
/**
 * Fields that can hold far more than a scalar's worth of data weigh more (armor
 * counts every scalar as 1): a post's body holds up to 20,000 characters, a
 * comment's text 5,000. Without this, fifteen aliased pages of 100 bodies cost
 * what one page of 100 notifications does, and would be read into memory whole
 * before the result size could be judged.
 */
const FIELD_COST: Record<string, number> = { body: 20, text: 5 };

export function operationCost(config: Config): Plugin {
  const check = (args: ExecutionArgs, stop: (result: { errors: GraphQLError[] }) => void) => {
    const error = refusal(args, config);
    if (error) stop({ errors: [error] });
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
  };
}

function refusal(args: ExecutionArgs, config: Config): GraphQLError | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return undefined;
  const variables = args.variableValues ?? {};
  const value = (node: ValueNode): unknown =>
    node.kind === Kind.VARIABLE ? variables[node.name.value] : undefined;

  // Sizes first: an out-of-range page or id list is the client's error to fix,
  // whatever it would cost (as src/transport/query-limits.ts does for literals).
  for (const field of fields(args.document, operation.selectionSet.selections)) {
    for (const argument of field.arguments ?? []) {
      const name = argument.name.value;
      const size = value(argument.value);
      if ((name === 'first' || name === 'last') && typeof size === 'number') {
        if (size < 1 || size > MAX_PAGE) {
          return badInput(name, `"${name}" must be between 1 and ${MAX_PAGE}.`);
        }
      }
      if (field.name.value === 'nodes' && name === 'ids') {
        const length = listLength(argument.value, variables);
        if (length > config.MAX_NODE_IDS) {
          return badInput('ids', `"ids" may name at most ${config.MAX_NODE_IDS} nodes.`);
        }
      }
    }
  }

  const cost = new Cost(args.document, variables).of(operation.selectionSet.selections, 0);
  if (cost > config.MAX_COST) {
    return new GraphQLError(`Query Cost limit of ${config.MAX_COST} exceeded, found ${cost}.`, {
      extensions: { code: QUERY_TOO_COMPLEX },
    });
  }
  return undefined;
}

/** Every field of the operation, through fragments (each fragment once). */
function* fields(
  document: DocumentNode,
  selections: readonly SelectionNode[],
  seen = new Set<string>(),
): Generator<FieldNode> {
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      yield selection;
      if (selection.selectionSet) {
        yield* fields(document, selection.selectionSet.selections, seen);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      yield* fields(document, selection.selectionSet.selections, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragmentNamed(document, selection.name.value);
      if (fragment) yield* fields(document, fragment.selectionSet.selections, seen);
    }
  }
}

function fragmentNamed(document: DocumentNode, name: string) {
  return document.definitions.find(
    (d): d is FragmentDefinitionNode =>
      d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name,
  );
}

function listLength(node: ValueNode, variables: Record<string, unknown>): number {
  if (node.kind === Kind.LIST) return node.values.length;
  if (node.kind === Kind.VARIABLE) {
    const value = variables[node.name.value];
    return Array.isArray(value) ? value.length : 0;
  }
  return 0;
}

/** graphql-armor's cost formula, with sizes read from variables and lists as well. */
class Cost {
  private readonly fragments = new Map<string, number>();

  constructor(
    private readonly document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {}

  of(selections: readonly SelectionNode[], depth: number): number {
    let cost = 0;
    for (const selection of selections) cost += this.selection(selection, depth + 1);
    return cost;
  }

  private selection(node: SelectionNode, depth: number): number {
    if (node.kind === Kind.FIELD && node.name.value === '__schema') return 0;
    if (node.kind === Kind.FRAGMENT_SPREAD) return this.spread(node.name.value, depth);
    if (!node.selectionSet) {
      return node.kind === Kind.FIELD ? (FIELD_COST[node.name.value] ?? SCALAR_COST) : SCALAR_COST;
    }
    let cost = OBJECT_COST;
    for (const child of node.selectionSet.selections) {
      cost += DEPTH_FACTOR * this.selection(child, depth + 1);
    }
    return cost * (node.kind === Kind.FIELD ? this.multiplier(node) : 1);
  }

  private spread(name: string, depth: number): number {
    const known = this.fragments.get(name);
    // A fragment already costed (or being costed: a cycle) counts as armor counts it.
    if (known !== undefined) return SCALAR_COST + DEPTH_FACTOR * Math.max(known, 0);
    this.fragments.set(name, -1);
    const fragment = fragmentNamed(this.document, name);
    if (!fragment) return SCALAR_COST;
    let inner = OBJECT_COST;
    for (const child of fragment.selectionSet.selections) {
      inner += DEPTH_FACTOR * this.selection(child, depth + 2);
    }
    this.fragments.set(name, inner);
    return SCALAR_COST + DEPTH_FACTOR * inner;
  }

  /** How many times a field's selection may be repeated: its page size or list length. */
  private multiplier(field: FieldNode): number {
    let multiplier = 1;
    for (const argument of field.arguments ?? []) {
      const name = argument.name.value;
      if (name === 'first' || name === 'last') {
        const size =
          argument.value.kind === Kind.INT
            ? Number.parseInt(argument.value.value, 10)
            : argument.value.kind === Kind.VARIABLE
              ? this.variables[argument.value.name.value]
              : undefined;
        if (typeof size === 'number' && Number.isFinite(size)) {
          multiplier = Math.max(multiplier, size);
        }
      } else {
        multiplier = Math.max(multiplier, listLength(argument.value, this.variables));
      }
    }
    return multiplier;
  }
}
