// The Yoga plugins that guard the endpoint on every transport (HTTP, SSE and,
// through yoga.getEnveloped in socket.ts, graphql-ws): query shape limits and
// costs, response size, input strings, CSRF, introspection, SSE subscription
// caps, and the per-user mutation budget.
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import {
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { type Config, developerTools } from '../config.js';
import type { Context } from '../context.js';
import { inputGuard } from './input-guard.js';
import { operationCost } from './operation-cost.js';
import { queryLimits } from './query-limits.js';
import { responseSize } from './response-size.js';
import { sseLimits } from './sse-limits.js';

export function guards(config: Config): Plugin[] {
  const tools = developerTools(config);
  const plugins: Plugin[] = [
    ...queryLimits(config, { blockSuggestions: !tools.introspection }),
    operationCost(config),
    inputGuard(),
    responseSize(config.MAX_RESPONSE_BYTES),
    csrfPrevention(),
    sseLimits(),
    mutationBudget(),
  ];
  if (!tools.introspection) plugins.push(hideSchema());
  return plugins;
}

/**
 * A form post a browser would send without a CORS preflight must carry one of
 * these headers, which a foreign page cannot add; a bearer token counts, as it
 * cannot be sent cross-site without a preflight either. GET is left alone: the
 * contract promises plain GET queries, GET never runs a mutation, and with
 * bearer-only auth (no cookies) a forged GET acts as nobody.
 */
function csrfPrevention(): Plugin {
  const plugin = useCSRFPrevention({
    requestHeaders: ['x-graphql-yoga-csrf', 'apollo-require-preflight', 'authorization'],
  });
  return {
    onRequestParse(payload) {
      if (payload.request.method === 'GET') return;
      return plugin.onRequestParse?.(payload);
    },
  };
}

/**
 * With introspection off, the schema stays hidden on every transport: graphql-js'
 * own rule refuses introspection (Yoga's plugin for it only sees HTTP requests),
 * and "Did you mean …?" hints in variable errors are cut, since graphql-armor
 * only rewrites validation errors.
 */
function hideSchema(): Plugin {
  const withoutHints = (result: ExecutionResult): ExecutionResult =>
    result.errors?.some((e) => SUGGESTION.test(e.message))
      ? {
          ...result,
          errors: result.errors.map((e) =>
            SUGGESTION.test(e.message)
              ? new GraphQLError(e.message.replace(new RegExp(SUGGESTION, 'g'), ''), {
                  nodes: e.nodes,
                  path: e.path,
                  extensions: e.extensions,
                })
              : e,
          ),
        }
      : result;
  const strip = ({
    result,
    setResult,
  }: {
    result: unknown;
    setResult(r: ExecutionResult): void;
  }) => {
    if (result && typeof result === 'object' && 'errors' in result) {
      setResult(withoutHints(result as ExecutionResult));
    }
  };
  return {
    onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
    onExecute: () => ({ onExecuteDone: strip }),
    onSubscribe: () => ({ onSubscribeResult: strip }),
  };
}

const SUGGESTION = /\s*Did you mean [^?]*\?/;

/** Each mutation costs its author (or, when anonymous, its IP) one point of a budget. */
function mutationBudget(): Plugin {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const ctx = args.contextValue as unknown as Context;
      const key = ctx.viewer ? `user:${ctx.viewer.id}` : `ip:${ctx.clientIp}`;
      try {
        await ctx.limits.mutation(key);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        ctx.metrics.rateLimited.inc({ limit: 'mutation' });
        setResultAndStopExecution({ errors: [error] });
      }
    },
  };
}
