// A date as people read it, with the exact moment for machines.
const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function TimeAgo({ at }: { at: string }) {
  return <time dateTime={at}>{format.format(new Date(at))}</time>;
}
