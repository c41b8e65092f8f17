// A dashboard view's frame: the scope line, the filter bar, and a body that reloads
// whenever the filter changes (a slower, older answer never overwrites a newer one).

import { h, replace } from "../common/dom.js";
import { errorText, extend, t } from "../common/i18n.js";
import { filterBar, filterError } from "./filters.js";
import { loadScope, onFilter, scopeLabel } from "./data.js";

extend({
  id: { "nat.scope.line": "Cakupan data: {scope}", "nat.loading": "Memuat data…" },
  en: { "nat.scope.line": "Data scope: {scope}", "nat.loading": "Loading data…" },
});

/**
 * mountView(main, ctx, {title, status, filters, load(body, scope) -> Promise}) -> cleanup.
 * filters: false for a view with its own controls (the audit log).
 */
export async function mountView(main, ctx, { title, status = true, filters = true, load }) {
  const scope = await loadScope(ctx.me);
  const body = h("div", { class: "view-body" });
  let bar = null;
  let generation = 0;

  async function reload() {
    const mine = ++generation;
    if (filters) {
      const fresh = filterBar(scope, { status });
      if (bar) bar.replaceWith(fresh);
      bar = fresh;
    }
    replace(body, h("p", { class: "loading", text: t("nat.loading") }));
    try {
      const parts = await load(scope, () => mine !== generation);
      if (mine !== generation) return;
      replace(body, parts);
    } catch (error) {
      if (mine !== generation) return;
      replace(body, h("p", { class: "error", role: "alert", text: errorText(error) }));
      if (bar && error.field) filterError(bar, error);
    }
  }

  if (filters) bar = filterBar(scope, { status });
  replace(main,
    h("div", { class: "view-head row" },
      h("h1", { text: t(title) }),
      h("span", { class: "badge scope-badge", dataset: { scope: scope.national ? "national" : "polda" }, text: t("nat.scope.line", { scope: scopeLabel(scope) }) })),
    bar, body);
  const off = filters ? onFilter(reload) : () => {};
  await reload();
  return off;
}
