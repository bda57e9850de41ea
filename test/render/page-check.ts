// Reading the HTML the demo's renderer (marked, GFM, GitHub's sanitiser rules) makes of a check run, as a
// reviewer sees it: which elements came alive, and what text shows, after GitHub's own text filters would run.
const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: "\u00a0" };

export function decodeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+|#39);/gi, (m, e: string) => {
    if (e in NAMED) return NAMED[e]!;
    if (/^#x/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (/^#\d/.test(e)) return String.fromCodePoint(Number(e.slice(1)));
    return m;
  });
}

/** The number of opening tags of each element. */
export function tagCounts(html: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of html.matchAll(/<([a-z][a-z0-9]*)\b/gi)) {
    const name = m[1]!.toLowerCase();
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** The text a reader sees: tags gone, entities decoded, block line breaks and word joiners (invisible) dropped. */
export function pageText(html: string): string {
  return decodeHtml(html.replace(/<[^>]*>/g, "")).replace(/\n/g, "").replace(/\u2060/g, "");
}

/**
 * What came alive that the page did not intend: elements outside `allowed` (a paragraph is always allowed), and
 * text outside code that GitHub's filters would turn into a mention, an issue reference, an emoji or a link.
 */
export function inertProblems(html: string, opts: { allowed: readonly string[] }): string[] {
  const allowed = new Set(["p", ...opts.allowed]);
  const problems = Object.keys(tagCounts(html))
    .filter((t) => !allowed.has(t))
    .map((t) => `element <${t}>`);
  const prose = decodeHtml(html.replace(/<code\b[^>]*>[\s\S]*?<\/code>/g, " ").replace(/<[^>]*>/g, " "));
  const filters: [string, RegExp][] = [
    ["mention", /(?:^|[^\w`])@[A-Za-z0-9]/],
    ["issue reference", /(?:^|[^\w&])(?:[\w.-]+\/[\w.-]+)?#\d/],
    ["emoji shortcode", /:[a-z0-9_+-]+:/i],
    ["URL autolink", /\b(?:(?:https?|ftp):\/\/|(?:mailto|xmpp):[^\s\u2060])/i],
    ["www autolink", /\bwww\./i],
    ["e-mail autolink", /[\w.+-]@[\w-]+\.[\w-]/],
  ];
  for (const [what, re] of filters) if (re.test(prose)) problems.push(`${what} in ${JSON.stringify(prose)}`);
  return problems;
}
