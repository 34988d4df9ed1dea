// The shape limits every operation meets before it runs (graphql-armor): depth,
// aliases, directives, tokens and cost, each refused with its own code,
// QUERY_TOO_COMPLEX. Page sizes are checked here too, so that `first: 1000` is
// the contract's BAD_USER_INPUT on `first` rather than a cost refusal that the
// oversized page itself caused.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type ValidationContext, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { badInput } from '../errors.js';
import { MAX_PAGE } from '../schema/args.js';

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/** graphql-armor's refusal, with a code and without the "Syntax Error: " it prefixes. */
function limitError(error: GraphQLError) {
  return new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    extensions: { code: QUERY_TOO_COMPLEX },
  });
}

// Armor's validation rules throw by default, which ends validation at the first
// refusal; reporting instead lets the page-size rule's error be seen beside them.
const report = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(limitError(error)),
  ],
};

export function queryLimits(config: Config, options: { blockSuggestions: boolean }): Plugin[] {
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: config.MAX_DEPTH, flattenFragments: true, ...report },
      maxAliases: { n: config.MAX_ALIASES, ...report },
      maxDirectives: { n: config.MAX_DIRECTIVES, ...report },
      // The token limit runs in the parser, where there is nothing to report to.
      maxTokens: { n: config.MAX_TOKENS },
      costLimit: { maxCost: config.MAX_COST, ...report },
      // Suggestions ("Did you mean …?") map the schema for whoever cannot introspect it.
      blockFieldSuggestion: { enabled: options.blockSuggestions },
    }) as Plugin,
    {
      onParse:
        () =>
        ({ result, replaceParseResult }) => {
          if (result instanceof GraphQLError && /^Syntax Error: Token limit/.test(result.message)) {
            replaceParseResult(limitError(result));
          }
        },
      onValidate: ({ addValidationRule }) => {
        addValidationRule(pageSizeRule);
        return ({ result, setResult }) => {
          // A page too large is the client's error to fix; its cost follows from it.
          if (result.some((e) => e.extensions.field === 'first' || e.extensions.field === 'last')) {
            setResult(result.filter((e) => !/^Query Cost limit/.test(e.message)));
          }
        };
      },
    },
  ];
}

/** Literal `first` / `last` outside 1–100, on any field (variables are checked by resolvers). */
const pageSizeRule: ValidationRule = (context) => ({
  Argument(node) {
    const name = node.name.value;
    if ((name !== 'first' && name !== 'last') || node.value.kind !== Kind.INT) return;
    const size = Number(node.value.value);
    if (size < 1 || size > MAX_PAGE) {
      const error = badInput(name, `"${name}" must be between 1 and ${MAX_PAGE}.`);
      context.reportError(
        new GraphQLError(error.message, { nodes: [node], extensions: error.extensions }),
      );
    }
  },
});
