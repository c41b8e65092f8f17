// The commands: every tenant with its status (suspend/resume in place), and one
// command's page: its profile, the go-live checklist (tenantReadiness) and the invitation
// of its first tenant admin (inviteTenantAdmin, whose activation code is shown once).

import { gql, newClientKey, payloadErrors } from "../common/api.js";
import { h, replace, toast } from "../common/dom.js";
import { errorText, fmtDateTime, lang, t } from "../common/i18n.js";
import { showErrors } from "../common/shell.js";

const FIELDS = "slug name kind poldaCode regionCode regionName timeZone ticketPrefix status modules createdAt";
const TENANTS = `query Tenants { tenants { ${FIELDS} } }`;
const READINESS = `query Readiness($slug: String!) { tenantReadiness(slug: $slug) {
  ready issues { code severity subject message } } }`;
const SET_STATUS = {
  suspend: `mutation($slug: String!) { suspendTenant(slug: $slug) { tenant { ${FIELDS} } errors { code field message } } }`,
  resume: `mutation($slug: String!) { resumeTenant(slug: $slug) { tenant { ${FIELDS} } errors { code field message } } }`,
};
const INVITE = `mutation Invite($slug: String!, $username: String!, $fullName: String, $key: String) {
  inviteTenantAdmin(slug: $slug, username: $username, fullName: $fullName, clientKey: $key) {
    invite { username activationCode activationExpiresAt } errors { code field message } } }`;

/** A readiness item's title in the user's language; an unknown code names itself. */
function issueTitle(issue) {
  const key = `readiness.${issue.code}`;
  const text = t(key, { subject: issue.subject || "" });
  return text === key ? issue.code + (issue.subject ? `: ${issue.subject}` : "") : text;
}

/** The API's "Bahasa Indonesia / English" message, in the user's language. */
function issueDetail(message) {
  const parts = message.split(" / ");
  return parts.length === 2 ? parts[lang() === "en" ? 1 : 0] : message;
}

const statusBadge = (status) => h("span", { class: ["badge", "status", status === "ACTIVE" ? "ok" : "warn"], dataset: { status }, text: t(`status.${status}`) });

/** A Suspend or Resume button for a tenant; done(tenant) gets the tenant as it now is. */
function statusButton(tenant, done) {
  const action = tenant.status === "ACTIVE" ? "suspend" : "resume";
  const button = h("button", {
    type: "button",
    class: action === "suspend" ? "danger" : "primary",
    text: t(`action.${action}`),
    dataset: { action },
    onclick: async () => {
      button.disabled = true;
      try {
        const data = await gql(SET_STATUS[action], { slug: tenant.slug });
        const payload = data[action === "suspend" ? "suspendTenant" : "resumeTenant"];
        const errors = payloadErrors(payload);
        if (errors.length) { toast(errors.map(errorText).join(" "), "error"); return; }
        toast(t(action === "suspend" ? "action.suspended" : "action.resumed", { name: payload.tenant.name }));
        done(payload.tenant);
      } catch (e) {
        toast(errorText(e), "error");
      } finally {
        button.disabled = false;
      }
    },
  });
  return button;
}

export const tenantsView = {
  id: "tenants",
  label: "platform.tenants",
  async render(main) {
    main.append(h("p", { class: "loading", text: t("app.loading") }));
    const tenants = (await gql(TENANTS)).tenants || [];
    const body = h("tbody");
    function row(tenant) {
      const tr = h("tr", { dataset: { slug: tenant.slug } },
        h("td", {}, h("a", { href: `#/tenant/${encodeURIComponent(tenant.slug)}`, text: tenant.name }), h("div", { class: "muted", text: tenant.slug })),
        h("td", { text: t(`kind.${tenant.kind}`) }),
        h("td", { text: tenant.poldaCode }),
        h("td", { text: `${tenant.regionName || ""} (${tenant.regionCode})` }),
        h("td", { text: tenant.ticketPrefix }),
        h("td", { text: tenant.modules.map((m) => t(`module.${m}`)).join(", ") || "—" }),
        h("td", {}, statusBadge(tenant.status)),
        h("td", { text: fmtDateTime(tenant.createdAt) }),
        h("td", { class: "actions" },
          h("a", { href: `#/tenant/${encodeURIComponent(tenant.slug)}`, text: t("tenants.open") }), " ",
          statusButton(tenant, (now) => tr.replaceWith(row(now)))),
      );
      return tr;
    }
    for (const tenant of tenants) body.append(row(tenant));
    replace(main,
      h("div", { class: "row" },
        h("h1", { text: t("platform.tenants") }),
        h("span", { class: "muted", text: t("tenants.count", { n: tenants.length }) }),
        h("span", { class: "spacer" }),
        h("a", { class: "button primary", href: "#/onboard", text: t("platform.onboard") })),
      tenants.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "tenants" },
          h("thead", {}, h("tr", {}, ["tenants.name", "tenants.kind", "tenants.polda", "tenants.region", "tenants.prefix",
            "tenants.modules", "tenants.status", "tenants.created", "tenants.actions"].map((k) => h("th", { text: t(k) })))),
          body))
        : h("p", { class: "muted", text: t("tenants.empty") }));
  },
};

function checklist(box, slug) {
  if (!box.firstChild) replace(box, h("p", { class: "loading", text: t("app.loading") })); // a refresh keeps the old list meanwhile
  return gql(READINESS, { slug }).then(({ tenantReadiness: readiness }) => {
    if (!readiness) { replace(box, h("p", { class: "muted", text: t("tenant.unknown") })); return; }
    replace(box,
      h("h2", {}, t("ready.title"), " ",
        h("span", { class: ["badge", readiness.ready ? "ok" : "urgent"], dataset: { ready: String(readiness.ready) }, text: t(readiness.ready ? "ready.ready" : "ready.notready") })),
      readiness.issues.length
        ? h("ul", { class: "checklist" }, readiness.issues.map((issue) => h("li", { dataset: { code: issue.code, severity: issue.severity } },
          h("span", { class: ["badge", issue.severity === "BLOCKER" ? "urgent" : issue.severity === "WARNING" ? "warn" : null], text: t(`severity.${issue.severity}`) }), " ",
          h("strong", { text: issueTitle(issue) }),
          h("div", { class: "muted", text: issueDetail(issue.message) }))))
        : h("p", { text: t("ready.none") }));
  }).catch((e) => replace(box, h("p", { class: "error", role: "alert", text: errorText(e) })));
}

function inviteForm(slug, onInvited) {
  const result = h("div", { class: "invite-result", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", text: t("invite.submit") });
  let key = newClientKey();
  const form = h("form", { class: "card invite" },
    h("h2", { text: t("invite.title") }),
    h("div", { class: "grid2" },
      h("div", {}, h("label", {}, t("invite.username"), h("input", { name: "username", required: true, autocomplete: "off" }))),
      h("div", {}, h("label", {}, t("invite.fullName"), h("input", { name: "fullName", autocomplete: "off" })))),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "row" }, submit),
    result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    submit.disabled = true;
    try {
      const payload = (await gql(INVITE, {
        slug,
        username: String(data.get("username")).trim(),
        fullName: String(data.get("fullName")).trim() || null,
        key,
      })).inviteTenantAdmin;
      const errors = payloadErrors(payload);
      if (showErrors(form, errors)) {
        if (errors.some((e) => e.code === "CONFLICT" && String(e.field || "").endsWith("username"))) {
          const note = form.querySelector('.field-error[data-field="username"]');
          if (note) note.textContent = `${note.textContent} ${t("hint.username.taken")}`;
        }
        return;
      }
      key = newClientKey();
      form.reset();
      const { invite } = payload;
      // Shown here once: nothing keeps it; leaving the page forgets it.
      const code = h("code", { class: "activation-code", text: invite.activationCode });
      replace(result, h("div", { class: "card code-card", role: "status" },
        h("p", { text: t("invite.done", { username: invite.username }) }),
        h("div", { class: "row" }, code,
          h("button", { type: "button", text: t("invite.copy"), onclick: async () => {
            try { await navigator.clipboard.writeText(invite.activationCode); toast(t("invite.copied")); } catch { /* no clipboard: select by hand */ }
          } })),
        h("p", { class: "muted", text: t("invite.expires", { when: fmtDateTime(invite.activationExpiresAt) }) })));
      onInvited();
    } catch (e) {
      showErrors(form, [e]);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export const tenantView = {
  id: "tenant",
  label: "platform.tenant",
  nav: false,
  async render(main, ctx, slug) {
    main.append(h("p", { class: "loading", text: t("app.loading") }));
    const tenant = ((await gql(TENANTS)).tenants || []).find((x) => x.slug === slug);
    if (!tenant) {
      replace(main, h("p", {}, h("a", { href: "#/tenants", text: t("tenant.back") })), h("p", { class: "muted", text: t("tenant.unknown") }));
      return;
    }
    const profile = h("section", { class: "card profile" });
    const readiness = h("section", { class: "card readiness" });
    function drawProfile(now) {
      replace(profile,
        h("div", { class: "row" }, h("h1", { text: now.name }), statusBadge(now.status), h("span", { class: "spacer" }), statusButton(now, drawProfile)),
        h("dl", { class: "facts" },
          [["tenants.slug", now.slug], ["tenants.kind", t(`kind.${now.kind}`)], ["tenants.polda", now.poldaCode],
            ["tenants.region", `${now.regionName || ""} (${now.regionCode})`], ["tenant.timezone", now.timeZone],
            ["tenants.prefix", now.ticketPrefix], ["tenants.modules", now.modules.map((m) => t(`module.${m}`)).join(", ") || "—"],
            ["tenants.created", fmtDateTime(now.createdAt)]]
            .map(([k, v]) => [h("dt", { text: t(k) }), h("dd", { dataset: { fact: k.split(".")[1] }, text: v })])),
        h("p", {}, h("a", { href: `/t/${encodeURIComponent(now.slug)}/console/`, text: t("tenant.console") })));
    }
    drawProfile(tenant);
    checklist(readiness, tenant.slug);
    replace(main,
      h("p", {}, h("a", { href: "#/tenants", text: t("tenant.back") })),
      h("div", { class: "grid2" }, profile, readiness),
      inviteForm(tenant.slug, () => checklist(readiness, tenant.slug)));
  },
};
