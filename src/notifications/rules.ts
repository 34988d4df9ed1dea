// Who is told what: the texts of the contract's notification rules.

/** The first 10 characters followed by "...", counted in characters, not UTF-16 units. */
export function peek(text: string): string {
  return `${Array.from(text).slice(0, 10).join('')}...`;
}

export const commentMessage = (commenter: string) => `${commenter} commented on your post.`;
export const newPostMessage = (author: string) => `${author} published a new post.`;
