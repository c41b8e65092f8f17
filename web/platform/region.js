// The region picker: a type-ahead over the Kemendagri kabupaten/kota the platform API
// offers (`regions(search)`), chosen by name. The chosen code rides in a hidden input
// named regionCode (so a typed error on regionCode shows next to this field).

import { gql } from "../common/api.js";
import { h, replace } from "../common/dom.js";
import { errorText, t } from "../common/i18n.js";

const REGIONS = `query Regions($s: String!) { regions(search: $s, limit: 12) {
  code name province timeZone polda { code name } } }`;

/** regionPicker({onPick(region|null)}) -> {element, value(): region|null}. */
export function regionPicker({ onPick }) {
  let chosen = null;
  let options = [];
  let active = -1;
  let timer = null;
  let asked = 0;
  const code = h("input", { type: "hidden", name: "regionCode" });
  const list = h("ul", { class: "typeahead hidden", role: "listbox", id: "region-options" });
  const info = h("span", { class: "muted region-chosen", "aria-live": "polite" });
  const input = h("input", {
    name: "regionSearch",
    autocomplete: "off",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": "region-options",
    placeholder: t("wizard.region.hint"),
  });

  function pick(region) {
    chosen = region;
    code.value = region ? region.code : "";
    if (region) input.value = region.name;
    info.textContent = region
      ? t("wizard.region.chosen", { name: region.name, code: region.code, province: region.province, polda: region.polda.name, tz: region.timeZone })
      : "";
    close();
    onPick(region);
  }

  function close() {
    list.classList.add("hidden");
    input.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function draw() {
    replace(
      list,
      options.length
        ? options.map((r, i) => h("li", {
          role: "option",
          id: `region-${r.code}`,
          class: i === active ? "active" : null,
          "aria-selected": i === active ? "true" : "false",
          onmousedown: (e) => { e.preventDefault(); pick(r); },
        }, h("strong", { text: r.name }), " ", h("span", { class: "muted", text: `${r.code} · ${r.province} · ${r.polda.name}` })))
        : h("li", { class: "muted", text: t("wizard.region.none") }),
    );
    list.classList.remove("hidden");
    input.setAttribute("aria-expanded", "true");
    if (active >= 0) input.setAttribute("aria-activedescendant", `region-${options[active].code}`);
    else input.removeAttribute("aria-activedescendant");
  }

  async function search() {
    const text = input.value.trim();
    if (!text) { options = []; close(); return; }
    const mine = ++asked;
    try {
      const data = await gql(REGIONS, { s: text });
      if (mine !== asked) return; // a later keystroke's answer wins
      options = data.regions || [];
      active = options.length ? 0 : -1;
      draw();
    } catch (e) {
      if (mine === asked) replace(list, h("li", { class: "error", text: errorText(e) }));
      list.classList.remove("hidden");
    }
  }

  input.addEventListener("input", () => {
    if (chosen) pick(null);
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (list.classList.contains("hidden") || !options.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
      draw();
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (active >= 0) pick(options[active]);
    } else if (e.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));

  // The list and the chosen region's line sit beside the label, not in it, so that the
  // field's accessible name stays its label.
  const element = h("div", { class: "region" }, h("label", {}, t("wizard.region"), input, code), list, info);
  return { element, value: () => chosen };
}
