// A NUL character in any string an operation receives, as a literal or through
// variables, is BAD_USER_INPUT naming its field. PostgreSQL cannot store it in
// text and would otherwise fail the write with an unexpected error.
import {
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLError,
  Kind,
  visit,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput } from '../errors.js';

export function inputGuard(): Plugin {
  // Yoga's parse cache hands the same document object for the same query text, so
  // its literals are walked once, not on every request (a walk cost 50 µs).
  const literals = new WeakMap<DocumentNode, string | null>();
  const literalIn = (document: DocumentNode) => {
    let field = literals.get(document);
    if (field === undefined) {
      field = literalWithNul(document) ?? null;
      literals.set(document, field);
    }
    return field ?? undefined;
  };
  const check = (args: ExecutionArgs, stop: (result: { errors: GraphQLError[] }) => void) => {
    const field = literalIn(args.document) ?? variableWithNul(args.variableValues ?? {});
    if (field !== undefined) {
      stop({ errors: [badInput(field, `"${field}" cannot contain a NUL character.`)] });
    }
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
  };
}

/** The argument or input field whose literal string holds a NUL, if any. */
function literalWithNul(document: DocumentNode): string | undefined {
  let found: string | undefined;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (found !== undefined || !node.value.includes('\0')) return;
      // `ancestors` stops short of the parent, which may itself be the named field.
      const named = [...ancestors, parent]
        .reverse()
        .find(
          (a): a is ASTNode & { name: { value: string } } =>
            !Array.isArray(a) &&
            ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD),
        );
      found = named?.name.value ?? 'input';
    },
  });
  return found;
}

/** The innermost key under which a variable's string holds a NUL, if any. */
function variableWithNul(variables: Record<string, unknown>): string | undefined {
  const stack: Array<[string, unknown]> = Object.entries(variables);
  while (stack.length > 0) {
    const [key, value] = stack.pop() as [string, unknown];
    if (typeof value === 'string') {
      if (value.includes('\0')) return key;
    } else if (Array.isArray(value)) {
      for (const element of value) stack.push([key, element]);
    } else if (value !== null && typeof value === 'object') {
      stack.push(...Object.entries(value));
    }
  }
  return undefined;
}
