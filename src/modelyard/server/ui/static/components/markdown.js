// A small, safe markdown renderer: the text is never parsed as HTML. Blocks and inline marks
// are recognised on the raw text and built as DOM nodes whose content is set with textContent,
// so `<script>` in a description shows as the characters "<script>". Supported: # headings,
// paragraphs, - / * / 1. lists, ``` code blocks, > quotes, **bold**, *italic*, `code`, and
// [links](http…) (only http, https and mailto targets become links).
import { h } from "../dom.js";

const SAFE_URL = /^(https?:|mailto:)/i;

function inline(text) {
  const out = [];
  const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/g;
  let pos = 0;
  for (let m; (m = re.exec(text)); ) {
    if (m.index > pos) out.push(text.slice(pos, m.index));
    const t = m[0];
    if (m[1]) out.push(h("code", {}, t.slice(1, -1)));
    else if (m[2]) out.push(h("strong", {}, inline(t.slice(2, -2))));
    else if (m[3]) out.push(h("em", {}, inline(t.slice(1, -1))));
    else {
      const [, label, url] = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(t);
      out.push(SAFE_URL.test(url) ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, label) : t);
    }
    pos = m.index + t.length;
  }
  if (pos < text.length) out.push(text.slice(pos));
  return out;
}

/** A <div class="markdown"> for `source` (a string; anything else renders empty). */
export function markdown(source) {
  const root = h("div", { class: "markdown" });
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const body = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) body.push(lines[i]);
      i++;
      root.append(h("pre", {}, h("code", {}, body.join("\n"))));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(6, line.match(/^#+/)[0].length + 2);
      root.append(h(`h${level}`, {}, inline(line.replace(/^#+\s+/, ""))));
      i++;
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const list = h(ordered ? "ol" : "ul", {});
      for (; i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]); i++) list.append(h("li", {}, inline(lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ""))));
      root.append(list);
    } else if (/^>\s?/.test(line)) {
      const body = [];
      for (; i < lines.length && /^>\s?/.test(lines[i]); i++) body.push(lines[i].replace(/^>\s?/, ""));
      root.append(h("blockquote", {}, inline(body.join(" "))));
    } else if (!line.trim()) {
      i++;
    } else {
      const body = [];
      for (; i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*]|\d+\.)\s)/.test(lines[i]); i++) body.push(lines[i]);
      root.append(h("p", {}, inline(body.join("\n"))));
    }
  }
  return root;
}
