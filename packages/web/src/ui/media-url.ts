/**
 * Which media URLs from a trace become links. Traces hold whatever a client sent, so only web
 * addresses (http, https) are linked; inline `data:` media shows as "(inline data)", and every other
 * scheme (`javascript:`, `file:`, `vbscript:` …) is never made a link.
 */
export function mediaLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol } = new URL(url.trim());
    return protocol === 'http:' || protocol === 'https:' ? url.trim() : undefined;
  } catch {
    return undefined;
  }
}
