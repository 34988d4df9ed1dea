// Whether a Pothos `query` (the client's selection as Prisma arguments) asks for more
// than a row's own scalar columns, so that a row already in hand can answer it.
export function needsRelations(query: { include?: unknown; select?: unknown }): boolean {
  if (query.select !== undefined) return true;
  return query.include !== undefined && Object.keys(query.include as object).length > 0;
}
