// A safe Markdown subset for question descriptions and evaluations: paragraphs, headings,
// lists, fenced code, **bold**, *italic*, `code` and http(s) links. It builds DOM nodes, so no
// text is ever parsed as HTML.

import { h, safeUrl } from "./dom.js";

// `_emphasis_` only between word boundaries: underscores inside a word (snake_case, a URL's
// path) stay literal, as in CommonMark.
const INLINE = new RegExp([
  /(`[^`\n]+`)/.source,
  /(\*\*[^*\n]+\*\*)/.source,
  /(\*[^*\s][^*\n]*\*|(?<![\p{L}\p{N}_])_[^_\s](?:[^_\n]*[^_\s])?_(?![\p{L}\p{N}_]))/.source,
  /(\[[^\]\n]+\]\([^)\s]+\))/.source,
].join("|"), "gu");

export function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    nodes.push(inlineNode(match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

function inlineNode(token) {
  if (token.startsWith("`")) return h("code", {}, token.slice(1, -1));
  if (token.startsWith("**")) return h("strong", {}, inline(token.slice(2, -2)));
  if (token.startsWith("[")) {
    const split = token.indexOf("](");
    const label = token.slice(1, split);
    const href = safeUrl(token.slice(split + 2, -1));
    return href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }, label) : label;
  }
  return h("em", {}, inline(token.slice(1, -1)));
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*)$/;

/** Renders Markdown text into a fragment; headings start at `headingLevel` (default h3). */
export function renderMarkdown(source, headingLevel = 3) {
  const out = document.createDocumentFragment();
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i += 1; continue; }
    if (line.trimStart().startsWith("```")) {
      const body = [];
      for (i += 1; i < lines.length && !lines[i].trimStart().startsWith("```"); i += 1) body.push(lines[i]);
      i += 1;
      out.append(h("pre", {}, h("code", {}, body.join("\n"))));
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const level = Math.min(6, headingLevel + heading[1].length - 1);
      out.append(h(`h${level}`, {}, inline(heading[2])));
      i += 1;
      continue;
    }
    const listKind = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (listKind) {
      const list = h(listKind === BULLET ? "ul" : "ol");
      while (i < lines.length && listKind.test(lines[i])) {
        let text = lines[i].match(listKind)[1];
        // Continuation lines indented under the item belong to it.
        while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]) && !BULLET.test(lines[i + 1])
          && !NUMBERED.test(lines[i + 1])) {
          i += 1;
          text += ` ${lines[i].trim()}`;
        }
        list.append(h("li", {}, inline(text)));
        i += 1;
      }
      out.append(list);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !HEADING.test(lines[i]) && !BULLET.test(lines[i])
      && !NUMBERED.test(lines[i]) && !lines[i].trimStart().startsWith("```")) {
      para.push(lines[i].trim());
      i += 1;
    }
    out.append(h("p", {}, inline(para.join(" "))));
  }
  return out;
}
