// Typed documents for the operations the tests send, checked against schema.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  // query-count.test.ts executes raw strings against the schema, not typed documents.
  documents: ['test/**/*.ts', '!test/generated/**', '!test/query-count.test.ts'],
  ignoreNoDocuments: true,
  // Relative imports with .js, as Node's ESM resolution wants.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
