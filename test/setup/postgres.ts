// Global setup of the "postgres" test project: one throwaway PostgreSQL server for
// the run (each test server then makes a database of its own on it).
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../helpers/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('postgresUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  const postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
