// The onboarding wizard: template, command (name, slug, kind), region by name and its
// Polda, modules, ticket prefix and an optional jurisdiction, sent as one onboardTenant
// with a client key (a retry after a lost answer onboards nothing twice). Typed errors
// go next to their field; on success the command's go-live page opens.

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";
import { regionPicker } from "./region.js";

const OPTIONS = `query Options { templates { name description categoryCount defaultModules }
  onboardingOptions { kinds modules timeZones poldas { code name } } }`;

const ONBOARD = `mutation Onboard($input: OnboardTenantInput!, $key: String) {
  onboardTenant(input: $input, clientKey: $key) {
    tenant { slug name ticketPrefix } errors { code field message } } }`;

// A sharper word for some field errors, after the code's own text.
const HINTS = { "ticketPrefix.CONFLICT": "hint.prefix.taken", "slug.CONFLICT": "hint.slug.taken" };

/** showErrors, then a hint beside some errors: the region's own Polda for a wrong one. */
function showWizardErrors(form, errors, region) {
  const any = showErrors(form, errors);
  for (const error of errors) {
    const field = error.field ? String(error.field).split(".").pop() : null;
    const note = field && form.querySelector(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (!note) continue;
    let hint = HINTS[`${field}.${error.code}`] ? t(HINTS[`${field}.${error.code}`]) : null;
    if (field === "poldaCode" && error.code === "INVALID_INPUT" && region) hint = t("hint.polda", { region: region.name, polda: region.polda.name });
    if (field === "regionCode" && !region) hint = t("wizard.region.error");
    if (hint) note.textContent = `${note.textContent} ${hint}`;
  }
  return any;
}

const slugOf = (name) => name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);

// A labelled control in its own grid cell, so that a field error stays in the cell.
const cell = (text, control) => h("div", {}, h("label", {}, text, control));

export const onboardView = {
  id: "onboard",
  label: "platform.onboard",
  async render(main, ctx) {
    main.append(h("p", { class: "loading", text: t("app.loading") }));
    const { templates, onboardingOptions: options } = await gql(OPTIONS);
    let clientKey = newClientKey();
    let slugTouched = false;

    const template = h("select", { name: "template" },
      templates.map((tpl) => h("option", { value: tpl.name, text: tpl.name })));
    const templateInfo = h("p", { class: "muted" });
    const name = h("input", { name: "name", required: true, placeholder: t("wizard.name.hint"), autocomplete: "off" });
    const slug = h("input", { name: "slug", required: true, placeholder: t("wizard.slug.hint"), autocomplete: "off" });
    const kind = h("select", { name: "kind" },
      h("option", { value: "", text: t("kind.auto") }),
      options.kinds.map((k) => h("option", { value: k, text: t(`kind.${k}`) })));
    const polda = h("select", { name: "poldaCode", required: true },
      h("option", { value: "", text: t("wizard.polda.choose") }),
      options.poldas.map((p) => h("option", { value: p.code, text: p.name })));
    const timeZone = h("select", { name: "timeZone" },
      h("option", { value: "", text: t("wizard.timezone.auto") }),
      options.timeZones.map((z) => h("option", { value: z, text: z })));
    const region = regionPicker({ onPick: (r) => { if (r) polda.value = r.polda.code; } });
    const modules = options.modules.map((m) => h("input", { type: "checkbox", name: "module", value: m }));
    const prefix = h("input", { name: "ticketPrefix", maxlength: 6, autocomplete: "off", class: "prefix", placeholder: "MLG" });
    const jurisdiction = h("textarea", { name: "jurisdiction", rows: 4, placeholder: '{"type": "Polygon", "coordinates": [[[112.5, -7.9], …]]}' });
    const file = h("input", { type: "file", accept: ".geojson,.json,application/geo+json,application/json" });
    const submit = h("button", { type: "submit", class: "primary", text: t("wizard.submit") });

    function templateChosen() {
      const tpl = templates.find((x) => x.name === template.value);
      if (!tpl) return;
      templateInfo.textContent = `${tpl.description} — ${t("wizard.template.info", { categories: tpl.categoryCount, modules: tpl.defaultModules.join(", ") || "—" })}`;
      for (const box of modules) box.checked = tpl.defaultModules.includes(box.value);
    }
    template.addEventListener("change", templateChosen);
    name.addEventListener("input", () => { if (!slugTouched) slug.value = slugOf(name.value); });
    slug.addEventListener("input", () => { slugTouched = slug.value !== ""; });
    prefix.addEventListener("input", () => { prefix.value = prefix.value.toUpperCase(); });
    file.addEventListener("change", async () => {
      if (file.files && file.files[0]) jurisdiction.value = await file.files[0].text();
    });

    const form = h("form", { class: "wizard", novalidate: true },
      h("p", { class: "muted", text: t("wizard.intro") }),
      h("fieldset", { class: "card" }, h("legend", { text: t("wizard.step1") }),
        h("label", {}, t("wizard.template"), template), templateInfo),
      h("fieldset", { class: "card" }, h("legend", { text: t("wizard.step2") }),
        h("div", { class: "grid3" },
          cell(t("wizard.name"), name),
          cell(t("wizard.slug"), slug),
          cell(t("wizard.kind"), kind))),
      h("fieldset", { class: "card" }, h("legend", { text: t("wizard.step3") }),
        region.element,
        h("div", { class: "grid2" },
          cell(t("wizard.polda"), polda),
          cell(t("wizard.timezone"), timeZone))),
      h("fieldset", { class: "card" }, h("legend", { text: t("wizard.step4") }),
        h("div", { class: "modules", "data-field": "modules", role: "group", "aria-label": t("wizard.modules") },
          h("span", { class: "muted", text: t("wizard.modules") }),
          modules.map((box) => h("label", { class: "inline" }, box, t(`module.${box.value}`)))),
        h("label", {}, t("wizard.prefix"), prefix, h("span", { class: "muted", text: t("wizard.prefix.hint") }))),
      h("fieldset", { class: "card" }, h("legend", { text: t("wizard.step5") }),
        h("label", {}, t("wizard.jurisdiction"), jurisdiction),
        h("label", {}, t("wizard.jurisdiction.file"), file)),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "row" }, submit),
    );
    templateChosen();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!region.value()) {
        showWizardErrors(form, [{ code: "INVALID_INPUT", field: "regionCode", message: t("wizard.region.pick") }], null);
        return;
      }
      const input = {
        template: template.value,
        name: name.value,
        slug: slug.value.trim(),
        kind: kind.value || null,
        poldaCode: polda.value,
        regionCode: region.value().code,
        timeZone: timeZone.value || null,
        modules: modules.filter((b) => b.checked).map((b) => b.value),
        ticketPrefix: prefix.value.trim() || null,
        jurisdiction: jurisdiction.value.trim() || null,
      };
      submit.disabled = true;
      submit.textContent = t("wizard.busy");
      try {
        const payload = (await gql(ONBOARD, { input, key: clientKey })).onboardTenant;
        if (showWizardErrors(form, payloadErrors(payload), region.value())) return;
        clientKey = newClientKey();
        toast(t("wizard.done", { name: payload.tenant.name, prefix: payload.tenant.ticketPrefix }));
        ctx.navigate(`#/tenant/${encodeURIComponent(payload.tenant.slug)}`);
      } catch (e) {
        showWizardErrors(form, [e], region.value());
      } finally {
        submit.disabled = false;
        submit.textContent = t("wizard.submit");
      }
    });
    replace(main, h("h1", { text: t("platform.onboard") }), form);
  },
};
