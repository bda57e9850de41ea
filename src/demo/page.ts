// A check run as the page a reviewer sees: GitHub-flavoured markdown rendered with `marked`, styled with GitHub's
// own markdown stylesheet (github-markdown-css). Raw HTML in the summary is escaped, as GitHub's sanitiser would.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Marked } from "marked";

const require = createRequire(import.meta.url);
let css: string | undefined;
const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// GitHub keeps a small allow-list of attribute-free tags (details, summary, sub, br, ...); anything else in raw
// HTML is shown as text.
const ALLOWED = new Set(["details", "summary", "sub", "sup", "br", "b", "i", "code", "pre", "kbd"]);
const sanitise = (html: string): string =>
  html.replace(/<[^<>]*>|[<>]/g, (tag) => {
    const m = /^<\/?([a-z0-9]+)\s*\/?>$/i.exec(tag);
    return m && ALLOWED.has(m[1]!.toLowerCase()) ? tag : escapeHtml(tag);
  });
const marked = new Marked({ gfm: true, renderer: { html: ({ text }) => sanitise(text) } });

/** Markdown -> the HTML the page shows (GFM, raw HTML sanitised as GitHub would). */
export function renderMarkdown(markdown: string): string {
  return marked.parse(markdown, { async: false });
}

export function checkRunPage(opts: { scenario: string; title: string; conclusion: string; summary: string; text: string }): string {
  css ??= readFileSync(require.resolve("github-markdown-css/github-markdown-light.css"), "utf8");
  const badge = opts.conclusion === "success" ? "✅ success" : "❌ failure";
  const body = renderMarkdown(`${opts.summary}\n\n${opts.text}`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(opts.scenario)}</title>
<style>${css}
body{background:#f6f8fa;margin:0;padding:24px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif}
.run{max-width:980px;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:6px}
.head{padding:16px 24px;border-bottom:1px solid #d0d7de}.head h1{font-size:20px;margin:0 0 4px}.head p{margin:0;color:#57606a}
.markdown-body{padding:24px}</style></head>
<body><div class="run"><div class="head"><h1>agent-gate · ${escapeHtml(badge)}</h1><p>${escapeHtml(opts.title)}</p></div>
<article class="markdown-body">${body}</article></div></body></html>\n`;
}
