// Prisma's schema engine (the part of the CLI that diffs schemas and applies
// migrations), run from its WebAssembly build because the native binary cannot be
// downloaded everywhere this project runs. See /work/shared/notes/prisma-offline.md.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import {
  bindMigrationAwareSqlAdapterFactory,
  DriverAdapterError,
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
export const NO_FILTERS: WasmBindings.SchemaFilter = { externalTables: [], externalEnums: [] };

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
    // The engine arms a timer for every timeout it races (10 s around the advisory
    // lock) and never clears it, which would hold a finished process open that long.
    const imports: WebAssembly.ModuleImports = { ...glue };
    for (const [key, fn] of Object.entries(glue)) {
      if (key.startsWith('__wbg_setTimeout_')) {
        const arm = fn as (...args: unknown[]) => NodeJS.Timeout;
        imports[key] = (...args: unknown[]) => arm(...args).unref();
      }
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
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
  const wasm = await loadBindings();
  const opened: SqlDriverAdapter[] = [];
  // The engine never disposes the connections it asks for; a pg pool left open
  // would keep the process alive and, worse, keep holding session-level locks.
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    async connect() {
      const conn = wholeScripts(await adapter.connect());
      opened.push(conn);
      return conn;
    },
    async connectToShadowDb() {
      const conn = wholeScripts(await adapter.connectToShadowDb());
      opened.push(conn);
      return conn;
    },
  };
  const log = options.log ?? (() => {});
  const api = await wasm.SchemaEngine.new(
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

type PostgresError = Error & {
  code?: string;
  severity?: string;
  detail?: string;
  column?: string;
  hint?: string;
};

/**
 * The engine applies each migration with `executeScript`, and neither adapter does
 * that the way the native engine does (one simple-protocol round trip, which
 * PostgreSQL runs as a single implicit transaction):
 * - @prisma/adapter-pg splits the script on every ";" (breaking `$$` bodies and
 *   string literals) and runs the pieces one by one, so a failure half-way leaves
 *   half a migration behind;
 * - pglite-prisma-adapter does not await the script, so a failing migration is
 *   recorded as applied and its error becomes an unhandled rejection.
 */
function wholeScripts(conn: SqlDriverAdapter): SqlDriverAdapter {
  if (conn.adapterName === '@prisma/adapter-pg') {
    // With no parameters, pg sends the text as one simple query.
    conn.executeScript = async (script) => {
      await conn.executeRaw({ sql: script, args: [], argTypes: [] });
    };
  } else if (conn.adapterName === 'pglite-prisma-adapter') {
    const pglite = (conn as unknown as { client: PGlite }).client;
    conn.executeScript = async (script) => {
      await pglite.exec(script).catch((err: PostgresError) => {
        // Typed this way, the engine reports PostgreSQL's message, not "External error id#0".
        throw new DriverAdapterError({
          kind: 'postgres',
          code: err.code ?? '',
          severity: err.severity ?? 'ERROR',
          message: err.message,
          detail: err.detail,
          column: err.column,
          hint: err.hint,
        });
      });
    };
  }
  return conn;
}
