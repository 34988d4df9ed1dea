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
      // TEMPORARY: web/pending-schema.graphql is the planned delivery API
      // (shared/contract/next/delivery.graphql), which another branch is building. It
      // lets the preferences page, the mute button and the push button type-check now;
      // remove it from this list (and delete the file) once schema.graphql has those fields.
      schema: ['schema.graphql', 'web/pending-schema.graphql'],
      documents: ['web/src/**/*.{ts,tsx}', '!web/src/generated/**'],
    },
  },
};

export default config;
