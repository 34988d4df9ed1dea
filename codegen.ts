// Typed documents for the operations the tests and the web app send, checked against
// schema.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';

const shared = {
  preset: 'client' as const,
  config: {
    scalars: { DateTime: 'string' },
    enumsAsTypes: true,
    useTypeImports: true,
  },
  presetConfig: { fragmentMasking: false },
};

const config: CodegenConfig = {
  ignoreNoDocuments: true,
  // Relative imports with .js, as Node's ESM resolution wants.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      ...shared,
      schema: 'schema.graphql',
      // query-count.test.ts executes raw strings against the schema, not typed documents.
      documents: ['test/**/*.ts', '!test/generated/**', '!test/query-count.test.ts'],
    },
    'web/src/generated/': {
      ...shared,
      schema: 'schema.graphql',
      documents: ['web/src/**/*.{ts,tsx}', '!web/src/generated/**'],
    },
  },
};

export default config;
