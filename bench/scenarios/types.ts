// What every scenario provides: its sizes, its data, its client side (run in the
// load generator process) and how its result reads in the report.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { LoadIO } from '../lib/io.js';

export type Params = Record<string, number>;

export type Flags = {
  quick: boolean;
  /** --name=value options from the command line, e.g. subscribers, followers, rates. */
  options: Record<string, string>;
};

/** One row of the report's table; `better` says which way a ratio is good. */
export type Figure = {
  label: string;
  unit: string;
  value: number | null;
  better: 'lower' | 'higher' | 'none';
};

export type Chart = { title: string; x: string; y: string; logY?: boolean };

export type Scenario<R = unknown> = {
  name: string;
  describe(params: Params): string;
  sizes(flags: Flags): Params[];
  seed(db: pg.Client, redis: Redis, params: Params): Promise<void>;
  generate(io: LoadIO, params: Params): Promise<R>;
  /** Hard bound on one load generator run; it is killed after this. */
  timeoutMs(params: Params): number;
  figures(result: R): Figure[];
  chart: Chart;
  points(result: R): [number, number][];
};

export const list = (text: string | undefined, fallback: number[]) =>
  text ? text.split(',').map(Number) : fallback;
