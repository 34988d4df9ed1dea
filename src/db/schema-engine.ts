// Prisma's schema engine (the part of the CLI that diffs schemas and applies
// migrations), run from its WebAssembly build because the native binary cannot be
// downloaded everywhere this project runs. See /work/shared/notes/prisma-offline.md.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type * as WasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg';

export type {
  MigrationDirectory,
  MigrationList,
  SchemaContainer,
} from '@prisma/schema-engine-wasm/schema_engine_bg';

type Bindings = typeof WasmBindings;
export type SchemaEngineApi = WasmBindings.SchemaEngine;

/** No tables or enums are managed outside Prisma in this project. */
export const NO_FILTERS = { externalTables: [], externalEnums: [] } as const;

let bindings: Promise<Bindings> | undefined;

// The package's ESM entry does `import * as wasm from './x.wasm'`, which Node 20
// cannot load, so do by hand what a bundler would: instantiate the module with the
// JS glue as its import object, then hand the instance back to the glue.
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const dir = dirname(entry);
    const glue = (await import(pathToFileURL(join(dir, 'schema_engine_bg.js')).href)) as Bindings;
    const bytes = await readFile(join(dir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return bindings;
}

export type SchemaEngine = {
  api: SchemaEngineApi;
  /** Frees the engine and closes every connection it opened. */
  close(): Promise<void>;
};

/**
 * An engine working on `adapter`'s database; `schemaFiles` are needed only by
 * operations that read the Prisma schema (none of the migration ones here do).
 */
export async function openSchemaEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  options: { schemaFiles?: WasmBindings.SchemaContainer[]; log?: (msg: string) => void } = {},
): Promise<SchemaEngine> {
  const { SchemaEngine } = await loadBindings();
  const opened: SqlDriverAdapter[] = [];
  // The engine never disposes the connections it asks for; a pg pool left open
  // would keep the process alive and, worse, keep holding session-level locks.
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    async connect() {
      const conn = await adapter.connect();
      opened.push(conn);
      return conn;
    },
    async connectToShadowDb() {
      const conn = await adapter.connectToShadowDb();
      opened.push(conn);
      return conn;
    },
  };
  const log = options.log ?? (() => {});
  const api = await SchemaEngine.new(
    { datamodels: options.schemaFiles?.map((f) => [f.path, f.content]) },
    (msg: string) => log(msg),
    // The engine expects the Result-returning interface of the bound factory;
    // a bare adapter fails deep inside the WASM with "reading 'valueOf'".
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  return {
    api,
    async close() {
      api.free();
      await Promise.all(opened.splice(0).map((conn) => conn.dispose()));
    },
  };
}
