/**
 * The `Link` header of paginated tag lists (distribution spec "Listing Tags"):
 *   </v2/demo/app/tags/list?last=1.2.0&n=100>; rel="next"
 * The target is usually relative; it resolves against the URL that was fetched.
 */
export function nextPageUrl(link: string | null, currentUrl: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rels = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '');
    if (rels && (rels[1] ?? '').split(/\s+/).includes('next'))
      return new URL(match[1] ?? '', currentUrl).toString();
  }
  return undefined;
}
