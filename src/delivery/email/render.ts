// One message, two bodies: a template describes an email once as blocks, and this
// renders the text and the HTML body from them, escaping every user-written string.
export type Block =
  | { type: 'text'; text: string }
  | { type: 'quote'; text: string }
  | { type: 'link'; label: string; href: string }
  | { type: 'item'; title: string; detail: string; href: string };

export type EmailContent = { subject: string; blocks: Block[] };

export function renderText(blocks: readonly Block[]): string {
  return `${blocks.map(textOf).join('\n\n')}\n`;
}

function textOf(b: Block): string {
  switch (b.type) {
    case 'text':
      return b.text;
    case 'quote':
      return `"${b.text}"`;
    case 'link':
      return `${b.label}: ${b.href}`;
    case 'item':
      return `- ${b.title}\n  ${b.detail}\n  ${b.href}`;
  }
}

export function renderHtml(subject: string, blocks: readonly Block[]): string {
  const body = blocks.map(htmlOf).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>${body}</body></html>`;
}

function htmlOf(b: Block): string {
  switch (b.type) {
    case 'text':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'quote':
      return `<blockquote>${escapeHtml(b.text)}</blockquote>`;
    case 'link':
      return `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>`;
    case 'item':
      return `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.title)}</a><br>${escapeHtml(b.detail)}</p>`;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
