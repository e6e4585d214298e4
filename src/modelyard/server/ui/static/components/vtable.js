// A virtualized table: only the rows in view (plus a margin) exist in the DOM, so 10,000+ rows
// scroll smoothly and changing columns costs one redraw of ~40 rows. The header is sticky
// inside the scroll container (it stays pinned while rows scroll). Column widths come from one
// CSS grid template shared by the header and the rows. Sortable headers are buttons (keyboard
// reachable); the scroll area takes focus and scrolls with the arrow / page keys.
import { h } from "../dom.js";

/**
 * columns: [{id, label, width (px), render(row) -> Node|string, sort: "<order_by key>" | undefined, title}]
 * options: {rowHeight, height, sort: {key, dir}, onSort(key, dir), rowAttrs(row) -> attrs, label}
 * Returns {el, setRows(rows), setColumns(columns), scrollToIndex(i), rows()}.
 */
export function virtualTable(columns, { rowHeight = 34, height = 560, sort = null, onSort = null, rowAttrs = () => ({}), label = "Table" } = {}) {
  let cols = columns;
  let rows = [];
  const head = h("div", { class: "vt-head", role: "row" });
  const spacer = h("div", { class: "vt-body", role: "rowgroup" });
  const scroller = h("div", { class: "vt-scroll", tabindex: "0", role: "table", "aria-label": label, "aria-rowcount": "0" }, head, spacer);
  scroller.style.height = `${height}px`;
  const el = h("div", { class: "vt" }, scroller);
  let drawn = [-1, -1];

  const template = () => cols.map((c) => `${c.width || 140}px`).join(" ");

  const drawHead = () => {
    const tpl = template();
    head.style.gridTemplateColumns = tpl;
    const width = cols.reduce((n, c) => n + (c.width || 140), 0);
    head.style.width = spacer.style.width = `${width}px`;
    head.replaceChildren(...cols.map((c) => {
      const active = sort && c.sort && sort.key === c.sort;
      const ariaSort = active ? (sort.dir === "ASC" ? "ascending" : "descending") : undefined;
      const content = c.sort && onSort
        ? h("button", { type: "button", class: "vt-sort", title: `Sort by ${c.label}`, onclick: () => onSort(c.sort, active && sort.dir === "DESC" ? "ASC" : "DESC") },
          c.label, active ? (sort.dir === "DESC" ? " ▼" : " ▲") : "")
        : c.header ? c.header() : c.label;
      return h("div", { class: `vt-th${active ? " sorted" : ""}`, role: "columnheader", "aria-sort": ariaSort, title: c.title || (typeof c.label === "string" ? c.label : undefined) }, content);
    }));
  };

  const drawRows = (force = false) => {
    const top = scroller.scrollTop;
    const view = scroller.clientHeight || height;
    const first = Math.max(0, Math.floor(top / rowHeight) - 10);
    const last = Math.min(rows.length, Math.ceil((top + view) / rowHeight) + 10);
    if (!force && first === drawn[0] && last === drawn[1]) return;
    drawn = [first, last];
    const tpl = template();
    const out = [];
    for (let i = first; i < last; i++) {
      const row = rows[i];
      const attrs = rowAttrs(row) || {};
      const r = h("div", { ...attrs, class: `vt-row ${attrs.class || ""}`.trim(), role: "row", "aria-rowindex": String(i + 2), "data-index": String(i) },
        cols.map((c) => h("div", { class: `vt-td ${c.cls || ""}`.trim(), role: "cell" }, c.render(row))));
      r.style.gridTemplateColumns = tpl;
      r.style.top = `${i * rowHeight}px`;
      r.style.height = `${rowHeight}px`;
      out.push(r);
    }
    spacer.replaceChildren(...out);
  };

  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; drawRows(); });
  });
  scroller.addEventListener("keydown", (e) => {
    if (e.target !== scroller) return;
    const by = { ArrowDown: rowHeight, ArrowUp: -rowHeight, PageDown: scroller.clientHeight - rowHeight, PageUp: rowHeight - scroller.clientHeight }[e.key];
    if (by) { scroller.scrollTop += by; e.preventDefault(); }
    if (e.key === "End") { scroller.scrollTop = scroller.scrollHeight; e.preventDefault(); }
    if (e.key === "Home") { scroller.scrollTop = 0; e.preventDefault(); }
  });

  drawHead();
  return {
    el,
    setRows(next) {
      rows = next;
      spacer.style.height = `${rows.length * rowHeight}px`;
      scroller.setAttribute("aria-rowcount", String(rows.length + 1));
      drawRows(true);
    },
    setColumns(next, nextSort = sort) {
      cols = next;
      sort = nextSort;
      drawHead();
      drawRows(true);
    },
    redraw() { drawRows(true); },
    scrollToIndex(i) { scroller.scrollTop = i * rowHeight; drawRows(true); },
    rows: () => rows,
    scroller,
  };
}
